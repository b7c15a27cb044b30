/**
 * The "Roll back EC2.2" custom action's state machine (infra/rollback-action.ts), executed with
 * aws-local-stepfunctions against the sample custom-action event carrying the note the remediation leaves.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../handlers/steps/deps.ts';
import { updateFinding } from '../../handlers/steps/report.ts';
import { CUSTOM_ACTIONS } from '../../infra/patterns.ts';
import { NOTE_MATCH, ROLLBACK_ACTION_PLACEHOLDERS, ROLLBACK_ACTION_TEXT } from '../../infra/rollback-action.ts';

// aws-local-stepfunctions needs Promise.withResolvers (Node 22); the runner polyfills it for Node 20.
beforeAll(async () => {
  await import('../../cli/runner.ts');
});

const REMEDIATION_ID = '3f1c2b7e-9a4d-4e8f-b1c2-0d9e8f7a6b5c';
const ROLLBACK_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:Rollback';
const sample = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', '..', 'shared', 'examples', 'finding-custom-action.json'), 'utf8'),
);

/** The note UpdateFinding writes when it resolves the finding of a remediation. */
async function noteOfRemediation(remediationId: string): Promise<string> {
  let note = '';
  const deps = {
    findings: {
      update: async (_: unknown, change: { note: string }) => {
        note = change.note;
      },
    },
  };
  await updateFinding(
    {
      remediationId,
      target: {
        ...{ accountId: '111122223333', region: 'us-east-1', groupId: 'sg-07d2e3f4a5b6c7d8e' },
        findingId: 'f',
        productArn: 'p',
      },
      event: 'remediated',
    },
    deps as unknown as Deps,
  );
  return note;
}

function rollbackEvent(notes: (string | undefined)[]) {
  const finding = sample.detail.findings[0];
  return {
    ...sample,
    resources: [`arn:aws:securityhub:us-east-1:111122223333:action/custom/${CUSTOM_ACTIONS.rollback.id}`],
    detail: {
      ...sample.detail,
      actionName: CUSTOM_ACTIONS.rollback.name,
      findings: notes.map((text) => ({
        ...finding,
        ...(text === undefined ? {} : { Note: { Text: text, UpdatedBy: 'x' } }),
      })),
    },
  };
}

interface Calls {
  lookups: unknown[];
  starts: { StateMachineArn: string; Name: string; Input: unknown }[];
  notices: { Message: string }[];
}

async function run(event: unknown, ledger: Record<string, unknown>, startError?: string): Promise<Calls> {
  const text = ROLLBACK_ACTION_TEXT.replace(/\$\{(\w+)\}/g, (_, key: string) =>
    key === 'RollbackStateMachineArn' ? ROLLBACK_MACHINE : `local-${key}`,
  );
  const machine = new StateMachine(JSON.parse(text), { validationOptions: { checkArn: false } });
  const calls: Calls = { lookups: [], starts: [], notices: [] };
  const execution = machine.run(event as never, {
    overrides: {
      taskResourceLocalHandlers: {
        'Look the remediation up': async (input: { Key: { pk: { S: string } } }) => {
          calls.lookups.push(input);
          const item = ledger[input.Key.pk.S];
          return item ? { Item: item } : {};
        },
        'Start the rollback': async (input: Calls['starts'][number]) => {
          calls.starts.push(input);
          if (startError) {
            const error = new Error('already');
            error.name = startError;
            throw error;
          }
          return { ExecutionArn: `${ROLLBACK_MACHINE}:${input.Name}` };
        },
        'Tell the team nothing was rolled back': async (input: Calls['notices'][number]) => {
          calls.notices.push(input);
          return {};
        },
      } as never,
    },
  });
  await execution.result;
  return calls;
}

const record = (groupId = 'sg-07d2e3f4a5b6c7d8e', accountId = '111122223333') => ({
  [`remediation#${REMEDIATION_ID}`]: {
    pk: { S: `remediation#${REMEDIATION_ID}` },
    groupId: { S: groupId },
    accountId: { S: accountId },
  },
});

describe('the Roll back EC2.2 action', () => {
  it('the note UpdateFinding writes is the one the machine reads (fourth word = remediation id)', async () => {
    const note = await noteOfRemediation(REMEDIATION_ID);
    const pattern = new RegExp(`^${NOTE_MATCH.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 's');
    expect(note).toMatch(pattern);
    expect(note.split(' ')[3]?.split(':')[0]).toBe(REMEDIATION_ID);
    expect(ROLLBACK_ACTION_PLACEHOLDERS.every((key) => ROLLBACK_ACTION_TEXT.includes(`\${${key}}`))).toBe(true);
  });

  it('starts the rollback of the remediation the note names, under the name a rollback link uses', async () => {
    const calls = await run(rollbackEvent([await noteOfRemediation(REMEDIATION_ID)]), record());
    expect(calls.lookups).toEqual([
      { TableName: 'local-LedgerTableName', Key: { pk: { S: `remediation#${REMEDIATION_ID}` } }, ConsistentRead: true },
    ]);
    expect(calls.starts).toEqual([
      {
        StateMachineArn: ROLLBACK_MACHINE,
        Name: `rollback-${REMEDIATION_ID}`,
        Input: { remediationId: REMEDIATION_ID },
      },
    ]);
    expect(calls.notices).toEqual([]);
  });

  it('a rollback already started counts as done', async () => {
    const calls = await run(
      rollbackEvent([await noteOfRemediation(REMEDIATION_ID)]),
      record(),
      'StepFunctions.ExecutionAlreadyExistsException',
    );
    expect(calls.starts).toHaveLength(1);
    expect(calls.notices).toEqual([]);
  });

  it('changes nothing and tells the team when the note names no remediation, or one of another group', async () => {
    const note = await noteOfRemediation(REMEDIATION_ID);
    const noNote = await run(rollbackEvent([undefined, 'Looked at it, fine.']), record());
    expect(noNote.starts).toEqual([]);
    expect(noNote.lookups).toEqual([]);
    expect(noNote.notices).toHaveLength(2);
    expect(noNote.notices[0]?.Message).toMatch(/nothing was rolled back: its note does not say/);

    const otherGroup = await run(rollbackEvent([note]), record('sg-0123456789abcdef0'));
    expect(otherGroup.starts).toEqual([]);
    expect(otherGroup.notices[0]?.Message).toMatch(/another account or group/);

    const unknown = await run(rollbackEvent([note]), {});
    expect(unknown.starts).toEqual([]);
    expect(unknown.notices).toHaveLength(1);

    const failed = await run(rollbackEvent([note]), record(), 'StepFunctions.InvalidName');
    expect(failed.notices[0]?.Message).toMatch(/refused to start \(StepFunctions.InvalidName\)/);
  });
});
