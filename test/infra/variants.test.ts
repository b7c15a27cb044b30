/**
 * The configuration switches, on one synthesis with them all set: autoRemediate adds the findings rule, an email
 * adds the subscription (with its dead-letter queue), an external id and an organization tighten the member trust
 * and the AssumeRole grants, mutatingConcurrency 0 reserves nothing.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FINDING_IMPORTED_PATTERN, WATCH_PATTERN } from '../../infra/patterns.ts';
import { EC2_STEPS, STEP_NAMES } from '../../infra/steps.ts';
import { allStatements, logicalId, type Synthesized, synthesize } from './synth.ts';

let s: Synthesized;
beforeAll(() => {
  s = synthesize({
    autoRemediate: 'true',
    watch: 'true',
    notificationEmail: 'secops@example.com',
    externalId: 'dsgr-external-1',
    organizationId: 'o-abcdefghij',
    approvalTimeout: '2 days',
    approvalDigestMinutes: '0',
    approval: 'when-in-use',
    memberRoleName: 'OrgSgFixer',
    mutatingConcurrency: '0',
  });
});

describe('with every switch set', () => {
  it('approvalDigestMinutes 0: no digest sender, no schedule; every run mails its own notice at once', () => {
    expect(
      Object.keys(s.remediationTemplate.findResources('AWS::Lambda::Function')).filter((id) =>
        id.startsWith('SendDigests'),
      ),
    ).toEqual([]);
    for (const rule of Object.values(s.remediationTemplate.findResources('AWS::Events::Rule'))) {
      expect(rule.Properties.ScheduleExpression).toBeUndefined();
    }
    const approval = logicalId(s.remediationTemplate, 'AWS::Lambda::Function', 'RequestApprovalStepFunction');
    expect(
      s.remediationTemplate.toJSON().Resources[approval].Properties.Environment.Variables.APPROVAL_DIGEST_SECONDS,
    ).toBe('0');
  });

  it('autoRemediate: new FAILED EC2.2 findings start the remediation machine', () => {
    // The three custom actions', the findings' and the watcher's rules (approvalDigestMinutes 0: no digest schedule).
    s.remediationTemplate.resourceCountIs('AWS::Events::Rule', 5);
    s.remediationTemplate.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: FINDING_IMPORTED_PATTERN,
      Targets: [
        Match.objectLike({
          Arn: { Ref: logicalId(s.remediationTemplate, 'AWS::StepFunctions::StateMachine', 'WorkflowsRemediation') },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
  });

  it('watch: successful EC2 calls recorded by CloudTrail go to the watcher function, with retries and the DLQ', () => {
    const watch = logicalId(s.remediationTemplate, 'AWS::Lambda::Function', 'WatchStepFunction');
    s.remediationTemplate.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: WATCH_PATTERN,
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [watch, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeadLettersQueue'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        }),
      ],
    });
    // Only that rule may invoke the function.
    const rule = logicalId(s.remediationTemplate, 'AWS::Events::Rule', 'WatcherRule');
    s.remediationTemplate.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [watch, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [rule, 'Arn'] },
    });
    const watchProps = s.remediationTemplate.toJSON().Resources[watch].Properties;
    expect(watchProps.Environment.Variables.MEMBER_ROLE_PREFIX).toBe('OrgSgFixer');
  });

  it('notificationEmail: an email subscription whose undeliverable notices go to the dead-letter queue', () => {
    s.remediationTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'secops@example.com',
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeadLettersQueue'), 'Arn'] } },
    });
  });

  it('passes the settings to the functions', () => {
    for (const step of STEP_NAMES) {
      const id = logicalId(s.remediationTemplate, 'AWS::Lambda::Function', `${step}StepFunction`);
      const props = s.remediationTemplate.toJSON().Resources[id].Properties;
      expect(props.Environment.Variables).toMatchObject({
        APPROVAL_TIMEOUT_SECONDS: String(2 * 86400),
        APPROVAL_MODE: 'when-in-use',
      });
      expect(props.ReservedConcurrentExecutions).toBeUndefined();
      if (EC2_STEPS.includes(step)) {
        expect(props.Environment.Variables).toMatchObject({
          MEMBER_ROLE_NAME: `OrgSgFixer-${step}`,
          MEMBER_ROLE_EXTERNAL_ID: 'dsgr-external-1',
        });
      }
    }
  });

  it('each member role trusts its step role with the external id and the organization; no parameter asks for it', () => {
    const roles = Object.values(s.memberTemplate.findResources('AWS::IAM::Role'));
    expect(roles.map((role) => role.Properties.RoleName).sort()).toEqual(
      EC2_STEPS.map((step) => `OrgSgFixer-${step}`).sort(),
    );
    for (const role of roles) {
      expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals).toEqual({
        'aws:PrincipalOrgID': 'o-abcdefghij',
        'sts:ExternalId': 'dsgr-external-1',
      });
    }
    expect(Object.keys(s.memberTemplate.toJSON().Parameters ?? {})).not.toContain('OrganizationId');
  });

  it('AssumeRole is limited to the step’s member role name, in the organization', () => {
    const assumes = allStatements(s.remediationTemplate).filter(
      ({ statement }) => [statement.Action].flat().includes('sts:AssumeRole') && !statement.Principal,
    );
    expect(assumes).toHaveLength(EC2_STEPS.length);
    for (const { where, statement } of assumes) {
      const step = where.replace(/StepRole(Default|Overflow)Policy.*$/, '');
      expect(JSON.stringify(statement.Resource)).toContain(`:iam::*:role/OrgSgFixer-${step}"`);
      expect(statement.Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': 'o-abcdefghij' } });
    }
  });
});
