/**
 * The "Roll back EC2.2" custom action needs a remediation id, and a Security Hub event carries only the finding. The
 * remediation leaves its id on the finding it resolves (the note `Closed by default-sg-remediation <id>: …`, written
 * by the UpdateFinding step, handlers/steps/report.ts), so this small state machine, for each selected finding:
 *   1. reads the id from the note (the fourth word, up to its colon: `States.StringSplit` on ' ', then on ':' — one
 *      character each, where every reading of StringSplit's delimiter agrees);
 *   2. looks the remediation up in the ledger and checks that it is for the finding's account and group, so a
 *      hand-edited note cannot roll back another group;
 *   3. starts the rollback state machine with `{ remediationId }` under the execution name `rollback-<id>`, the same
 *      name the rollback link uses (handlers/adapters/aws/sfn.ts), so one remediation is rolled back at most once
 *      whichever way it is asked for;
 *   4. otherwise tells the team (SNS) that the finding names no remediation and changes nothing.
 * JSONPath and intrinsic functions only, like the main definitions; test/infra/rollback-action.test.ts runs it with
 * aws-local-stepfunctions against the sample custom-action event.
 */

export const ROLLBACK_ACTION_PLACEHOLDERS = ['LedgerTableName', 'RollbackStateMachineArn', 'TopicArn'] as const;

/** `${name}`: a placeholder that `definitionSubstitutions` replaces at deployment. */
const slot = (name: (typeof ROLLBACK_ACTION_PLACEHOLDERS)[number]) => `\${${name}}`;

/** The note's beginning that marks a finding this service resolved (handlers/steps/report.ts NOTES.remediated). */
export const NOTE_MATCH = 'Closed by default-sg-remediation *: *';

const nothingToRollBack =
  'States.Format(\'The "Roll back EC2.2" action was used on finding {} but nothing was rolled back: {} Use npm run cli -- rollback --remediation <id> if you know the remediation.\', $.finding.Id, $.why)';

export const ROLLBACK_ACTION_DEFINITION = {
  Comment:
    'Roll back EC2.2 custom action: read the remediation id from the note on each selected finding, check it against the ledger, start the rollback state machine at most once per remediation.',
  StartAt: 'Each selected finding',
  States: {
    'Each selected finding': {
      Type: 'Map',
      Comment: 'A custom action may carry several findings; each is handled on its own.',
      ItemsPath: '$.detail.findings',
      ItemSelector: { 'finding.$': '$$.Map.Item.Value' },
      MaxConcurrency: 5,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Does the finding carry a note?',
        States: {
          'Does the finding carry a note?': {
            Type: 'Choice',
            Choices: [
              {
                And: [
                  { Variable: '$.finding.Note.Text', IsPresent: true },
                  { Variable: '$.finding.AwsAccountId', IsPresent: true },
                  { Variable: '$.finding.Resources[0].Id', IsPresent: true },
                ],
                Next: 'Does the note name a remediation?',
              },
            ],
            Default: 'No remediation in the note',
          },
          'Does the note name a remediation?': {
            Type: 'Choice',
            Choices: [{ Variable: '$.finding.Note.Text', StringMatches: NOTE_MATCH, Next: 'Read the remediation id' }],
            Default: 'No remediation in the note',
          },
          'No remediation in the note': {
            Type: 'Pass',
            Parameters: {
              'finding.$': '$.finding',
              why: 'its note does not say that default-sg-remediation closed it (it was never remediated, or the note was replaced).',
            },
            Next: 'Tell the team nothing was rolled back',
          },
          'Read the remediation id': {
            Type: 'Pass',
            Parameters: {
              'finding.$': '$.finding',
              'remediationId.$':
                "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.finding.Note.Text, ' '), 3), ':'), 0)",
              'groupId.$': "States.ArrayGetItem(States.StringSplit($.finding.Resources[0].Id, '/'), 1)",
            },
            Next: 'Look the remediation up',
          },
          'Look the remediation up': {
            Type: 'Task',
            Resource: 'arn:aws:states:::dynamodb:getItem',
            Parameters: {
              TableName: slot('LedgerTableName'),
              Key: { pk: { 'S.$': "States.Format('remediation#{}', $.remediationId)" } },
              ConsistentRead: true,
            },
            ResultPath: '$.lookup',
            TimeoutSeconds: 30,
            Retry: [
              {
                ErrorEquals: ['States.TaskFailed', 'States.Timeout'],
                IntervalSeconds: 2,
                MaxAttempts: 3,
                BackoffRate: 2,
                JitterStrategy: 'FULL',
              },
            ],
            Next: 'Is it in the ledger?',
          },
          'Is it in the ledger?': {
            Type: 'Choice',
            Choices: [
              {
                And: [
                  { Variable: '$.lookup.Item.groupId.S', IsPresent: true },
                  { Variable: '$.lookup.Item.accountId.S', IsPresent: true },
                ],
                Next: 'Is it for this group?',
              },
            ],
            Default: 'Not a remediation of this group',
          },
          'Is it for this group?': {
            Type: 'Choice',
            Choices: [
              {
                And: [
                  { Variable: '$.lookup.Item.groupId.S', StringEqualsPath: '$.groupId' },
                  { Variable: '$.lookup.Item.accountId.S', StringEqualsPath: '$.finding.AwsAccountId' },
                ],
                Next: 'Start the rollback',
              },
            ],
            Default: 'Not a remediation of this group',
          },
          'Not a remediation of this group': {
            Type: 'Pass',
            Parameters: {
              'finding.$': '$.finding',
              why: 'the remediation its note names is unknown to the ledger, or is for another account or group.',
            },
            Next: 'Tell the team nothing was rolled back',
          },
          'Start the rollback': {
            Type: 'Task',
            Comment: 'Same execution name as a rollback link: a remediation is rolled back at most once.',
            Resource: 'arn:aws:states:::states:startExecution',
            Parameters: {
              StateMachineArn: slot('RollbackStateMachineArn'),
              'Name.$': "States.Format('rollback-{}', $.remediationId)",
              Input: { 'remediationId.$': '$.remediationId' },
            },
            ResultPath: '$.started',
            TimeoutSeconds: 60,
            Retry: [
              {
                ErrorEquals: [
                  'StepFunctions.ExecutionLimitExceededException',
                  'StepFunctions.AWSStepFunctionsException',
                  'StepFunctions.SdkClientException',
                ],
                IntervalSeconds: 2,
                MaxAttempts: 4,
                BackoffRate: 2,
                JitterStrategy: 'FULL',
              },
            ],
            Catch: [
              {
                ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'],
                ResultPath: null,
                Next: 'Already rolled back or rolling back',
              },
              {
                ErrorEquals: ['States.ALL'],
                ResultPath: '$.error',
                Next: 'The rollback could not be started',
              },
            ],
            End: true,
          },
          'Already rolled back or rolling back': { Type: 'Succeed' },
          'The rollback could not be started': {
            Type: 'Pass',
            Parameters: {
              'finding.$': '$.finding',
              'why.$': "States.Format('the rollback state machine refused to start ({}).', $.error.Error)",
            },
            Next: 'Tell the team nothing was rolled back',
          },
          'Tell the team nothing was rolled back': {
            Type: 'Task',
            Resource: 'arn:aws:states:::sns:publish',
            Parameters: {
              TopicArn: slot('TopicArn'),
              Subject: 'Roll back EC2.2: nothing was rolled back',
              'Message.$': nothingToRollBack,
            },
            ResultPath: null,
            TimeoutSeconds: 30,
            Retry: [
              {
                ErrorEquals: ['States.TaskFailed', 'States.Timeout'],
                IntervalSeconds: 2,
                MaxAttempts: 3,
                BackoffRate: 2,
                JitterStrategy: 'FULL',
              },
            ],
            End: true,
          },
        },
      },
      ResultPath: null,
      End: true,
    },
  },
} as const;

export const ROLLBACK_ACTION_TEXT = JSON.stringify(ROLLBACK_ACTION_DEFINITION, null, 2);
