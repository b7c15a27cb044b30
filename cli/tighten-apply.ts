/**
 * `tighten … --approve auto|reject|prompt|web`: applies the proposal through the tighten state machine
 * (state-machine/tighten.asl.json) on the simulated state, exactly as `remediate` runs its machine: a lock on the
 * group, the snapshot before any change, its own approval, the proposed rules added before the broad ones are revoked,
 * a re-check before the revoke, verification of the guarantee on the live state, and the rollback machine on any
 * failure. The outcome `tightened` carries its own id, which `rollback --remediation <id>` undoes.
 */
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LocalFlowLogFinder } from '../handlers/adapters/flow-logs/finders.ts';
import type { FlowLogFinder } from '../handlers/adapters/flow-logs/sources.ts';
import { Ec2Simulator } from '../handlers/adapters/local/ec2-simulator.ts';
import { describeFailure } from '../handlers/core/failures.ts';
import type { FlowLogLayout } from '../handlers/core/flow-logs/format.ts';
import { describeRule } from '../handlers/core/flow-logs/propose.ts';
import { openTightenSnapshot, tightenSnapshotKey } from '../handlers/core/tighten.ts';
import { plainText } from '../handlers/core/untrusted.ts';
import { createLocalDeps } from './deps.ts';
import type { Endings } from './endings.ts';
import type { LiveAccount } from './flow-log-sources.ts';
import { rollbackCommand } from './ledger-commands.ts';
import { narrateStep } from './narrate.ts';
import { promptApprover } from './prompt-approver.ts';
import { currentOwner, RunLedger } from './run-ledger.ts';
import { type Approver, type ExecutionResult, newExecutionName, runMachine } from './runner.ts';
import { createWebApproval } from './web-approval.ts';

export interface ApplyIo {
  stdout(text: string): void;
  stderr(text: string): void;
  interactive?: boolean;
  endings?: Endings;
}

export interface ApplyOptions {
  group: string;
  /** The simulated account's state file; without it, `live` (a real account). */
  stateFile?: string;
  files: string[];
  /** A real account: its EC2 and the flow logs found there (cli/flow-log-sources.ts). */
  live?: { account: LiveAccount; flowLogs: FlowLogFinder };
  layout?: FlowLogLayout;
  windowDays: number;
  /** The window's end, epoch ms. */
  endMs: number;
  approve: string;
  store?: string;
  out?: string;
  json: boolean;
  /** The command as typed, for the ledger's record of who ran what. */
  command: string;
}

export class ApplyInputError extends Error {}

export const APPROVE_MODES = ['auto', 'reject', 'prompt', 'web'] as const;

async function checkWritable(options: ApplyOptions, store: string): Promise<void> {
  if (options.out) {
    const directory = dirname(resolve(options.out));
    try {
      await access(directory, fsConstants.W_OK);
    } catch (error) {
      throw new ApplyInputError(
        `--out: cannot write in ${directory} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  try {
    await mkdir(store, { recursive: true });
    await access(store, fsConstants.W_OK | fsConstants.R_OK);
  } catch (error) {
    throw new ApplyInputError(
      `--store: cannot read and write ${store} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** The simulated account of the state file, or the real one. */
async function accountOf(
  options: ApplyOptions,
): Promise<{ simulator?: Ec2Simulator; account: { accountId: string; region: string } }> {
  if (!options.stateFile) {
    if (!options.live) throw new ApplyInputError('--state: required (or a real account, without --state)');
    return { account: { accountId: options.live.account.accountId, region: options.live.account.region } };
  }
  let text: string;
  try {
    text = await readFile(options.stateFile, 'utf8');
  } catch (error) {
    throw new ApplyInputError(
      `--state: cannot read ${options.stateFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    const simulator = Ec2Simulator.fromState(JSON.parse(text));
    return { simulator, account: { accountId: simulator.accountId, region: simulator.region } };
  } catch (error) {
    throw new ApplyInputError(`--state: ${options.stateFile} is not a state file (${(error as Error).message})`);
  }
}

/** The result of the run: the machine's output, or its failure in words. */
function resultOf(execution: ExecutionResult): Record<string, unknown> {
  if (execution.status === 'SUCCEEDED') return { ...execution.output };
  const failure = describeFailure(execution.error, execution.cause);
  return {
    outcome: 'failed',
    remediationId: execution.executionName,
    error: execution.error,
    reasons: failure.reasons,
    rolledBack: execution.children.some((child) => child.status === 'SUCCEEDED'),
  };
}

/** Runs the tighten state machine; answers the exit code (0 tightened, unchanged, rejected or skipped; 2 bad input). */
export async function applyTighten(options: ApplyOptions, io: ApplyIo): Promise<number> {
  if (!(APPROVE_MODES as readonly string[]).includes(options.approve))
    throw new ApplyInputError(`--approve: auto, reject, prompt or web, not "${options.approve.slice(0, 40)}"`);
  if (options.approve === 'prompt' && !io.interactive) throw new ApplyInputError('--approve prompt needs a terminal');
  const store = resolve(options.store ?? '.remediation');
  await checkWritable(options, store);
  const { simulator, account } = await accountOf(options);
  const stateFile = options.stateFile ? resolve(options.stateFile) : undefined;
  const outFile = options.out ? resolve(options.out) : undefined;
  const ledger = new RunLedger(store, currentOwner(options.command, { stateFile, outFile }));
  const deps = createLocalDeps({
    ...(simulator ? { simulator } : { accountEc2: options.live?.account.ec2 }),
    storeDir: store,
    ledger,
    flowLogs: options.live?.flowLogs ?? new LocalFlowLogFinder(options.files, options.layout),
    ...(options.json ? { notifier: { publish: async () => {} } } : {}),
  });
  const decision = options.approve === 'auto' ? 'approved' : 'rejected';
  const web = options.approve === 'web' ? createWebApproval(deps, { print: io.stderr }) : undefined;
  const approver: Approver =
    web?.approver ??
    (options.approve === 'prompt'
      ? promptApprover(
          io,
          (id) =>
            `\nApprove tightening ${id}? Type "approve" to replace the copy's rules with the proposal, anything else rejects: `,
        )
      : async () => decision);
  const target = { ...account, groupId: options.group };
  const executionName = newExecutionName('tgt');
  const run = () =>
    runMachine(
      'tighten',
      { target, windowDays: options.windowDays, windowEnd: new Date(options.endMs).toISOString() },
      {
        deps,
        executionName,
        approver,
        onStep: options.json ? undefined : (event) => io.stdout(`${narrateStep(event)}\n`),
        ...(io.endings ? { signal: io.endings.signal } : {}),
      },
    );
  let execution: ExecutionResult;
  try {
    execution = io.endings ? await io.endings.holding(run) : await run();
  } finally {
    await web?.close();
    if (outFile && simulator) await writeFile(outFile, `${JSON.stringify(simulator.toState(), null, 1)}\n`);
  }
  const result = resultOf(execution);
  const rollbackState = outFile ?? stateFile;
  await ledger.recordEnding(
    executionName,
    {
      machine: 'tighten',
      outcome: String(result.outcome),
      executionName,
      ...(typeof result.error === 'string' ? { error: result.error } : {}),
      ...(result.rolledBack !== undefined ? { rolledBack: Boolean(result.rolledBack) } : {}),
      stateFile: rollbackState,
    },
    target,
  );
  const snapshotText = await deps.store.get(tightenSnapshotKey(executionName));
  const snapshot = snapshotText === undefined ? undefined : openTightenSnapshot(snapshotText, executionName);
  const output: Record<string, unknown> = {
    ...result,
    remediationId: executionName,
    groupId: options.group,
    ...(snapshot
      ? {
          rules: snapshot.proposal.rules.map((r) => describeRule(r)),
          add: snapshot.proposal.add.map((rule) => describeRule({ rule })),
          revoke: snapshot.proposal.revoke.map((rule) => describeRule({ rule })),
          noLongerAllowed: snapshot.noLongerAllowed,
          window: snapshot.proposal.window,
          warnings: snapshot.proposal.warnings,
          observedConnectionsKept: snapshot.connections.length,
          portSpace: snapshot.portSpace,
        }
      : {}),
    ...(result.outcome === 'tightened'
      ? {
          rollbackCommand: rollbackCommand(executionName, { stateFile: rollbackState, region: account.region, store }),
          ...(outFile || !simulator ? {} : { stateSaved: false }),
        }
      : {}),
  };
  if (options.json) io.stdout(`${JSON.stringify(output)}\n`);
  else io.stdout(words(output));
  if (output.outcome === 'failed') return output.error === 'InvalidInput' ? 2 : 1;
  return 0;
}

function words(output: Record<string, unknown>): string {
  const lines = [`\nOutcome: ${output.outcome} (tightening ${output.remediationId})`];
  for (const reason of (output.reasons as string[] | undefined) ?? []) lines.push(`  - ${plainText(reason)}`);
  if (output.outcome === 'tightened') {
    const rules = (output.rules as string[]) ?? [];
    lines.push(`${output.groupId} now allows only (${rules.length} rules):`, ...rules.map((r) => `  ${r}`));
    const gone = (output.noLongerAllowed as string[]) ?? [];
    lines.push('No longer allowed (traffic model):', ...gone.map((line) => `  ${line}`));
    lines.push(`Every one of the ${output.observedConnectionsKept} observed connections is still allowed (verified).`);
    lines.push(`Undo it with: ${plainText(String(output.rollbackCommand))}`);
    if (output.stateSaved === false)
      lines.push('The simulated result was not saved (no --out): there is no state file to roll back.');
  }
  if (output.rolledBack) lines.push("The copy's rules were put back as they were.");
  return `${lines.join('\n')}\n`;
}
