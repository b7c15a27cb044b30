/**
 * The command line: plan (read-only), remediate, rollback and demo, against the embedded EC2 simulator (--state)
 * or a real account (standard credential chain). Exit codes: 0 ended as designed, 2 invalid input (nothing
 * changed), 3 blocked (nothing changed), 1 otherwise.
 */
import { constants as fsConstants } from 'node:fs';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Ec2Simulator } from '../handlers/adapters/local/ec2-simulator.ts';
import { InvalidInputError } from '../handlers/core/errors.ts';
import { describeFailure } from '../handlers/core/failures.ts';
import { parseRemediationInput } from '../handlers/core/finding.ts';
import { describePlan } from '../handlers/core/messages.ts';
import { NOTICE_LIST_LIMIT } from '../handlers/core/notices.ts';
import { planRemediation } from '../handlers/core/plan.ts';
import { plainText } from '../handlers/core/untrusted.ts';
import type { Decision } from '../handlers/steps/approval.ts';
import { lockKey, targetSchema } from '../handlers/steps/common.ts';
import { readInventory, withinRunAllowance } from '../handlers/steps/discover.ts';
import { summary as captureSummary, runCapture } from './capture.ts';
import { runDemo } from './demo.ts';
import { createLocalDeps } from './deps.ts';
import type { Endings } from './endings.ts';
import { batchResult, batchSummary, type FindingRun, findingBatchOf } from './finding-batch.ts';
import { COMMANDS, commandHelp, isCommand, PROGRAM, USAGE } from './help.ts';
import { listCommand, rollbackCommand, statusCommand, unlockCommand } from './ledger-commands.ts';
import { narrateStep } from './narrate.ts';
import { planAllRegions, refuseOrgFlags, remediateAllEmpty } from './org-command.ts';
import { moveProgress, rollbackMoves } from './progress.ts';
import { promptApprover } from './prompt-approver.ts';
import {
  commandLine,
  currentOwner,
  isWaiting,
  ledgerPath,
  livenessOf,
  type OwnedLock,
  RunLedger,
  readLedgerView,
} from './run-ledger.ts';
import { type Approver, type ExecutionResult, newExecutionName, runMachine } from './runner.ts';
import { runTighten } from './tighten.ts';
import { createWebApproval } from './web-approval.ts';

export { USAGE };

export type Outcome =
  | 'remediated'
  | 'compliant'
  | 'blocked'
  | 'skipped'
  | 'rejected'
  | 'rolled-back'
  | 'failed'
  | 'planned'
  | 'not-approved'
  | 'listed'
  | 'unlocked'
  | 'captured';

export interface CliResult {
  outcome: Outcome;
  remediationId?: string;
  groupId?: string;
  reasons?: string[];
  [key: string]: unknown;
}

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether a person can answer a prompt. */
  interactive: boolean;
  /** Whether stderr is a terminal (progress redrawn in place) rather than a file or pipe (plain lines). */
  stderrTty?: boolean;
  /** How the process may end early (cli/endings.ts); absent in-process (tests), where nothing ends it. */
  endings?: Endings;
}

/** The process's own streams: nothing more goes to a stdout its reader closed, nor to a stderr that is gone. */
export function processIo(endings?: Endings): Io {
  return {
    stdout: (text) => {
      if (!endings?.stdoutClosed()) process.stdout.write(text);
    },
    stderr: (text) => {
      try {
        process.stderr.write(text);
      } catch {
        // The terminal is gone (SIGHUP).
      }
    },
    interactive: Boolean(process.stdin.isTTY),
    stderrTty: Boolean(process.stderr.isTTY),
    ...(endings ? { endings } : {}),
  };
}

const defaultIo: Io = processIo();

const OPTIONS = {
  group: { type: 'string' },
  vpc: { type: 'string' },
  finding: { type: 'string' },
  state: { type: 'string', multiple: true },
  'all-regions': { type: 'boolean' },
  'all-empty': { type: 'boolean' },
  accounts: { type: 'string' },
  regions: { type: 'string' },
  region: { type: 'string' },
  approve: { type: 'string' },
  store: { type: 'string' },
  out: { type: 'string' },
  report: { type: 'string' },
  remediation: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

type Flags = ReturnType<typeof parseFlags>;

function parseFlags(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new InvalidInputError([(error as Error).message]);
  }
}

function exitCodeOf(result: CliResult): number {
  if (result.outcome === 'blocked') return 3;
  if (result.outcome === 'failed') return result.error === 'InvalidInput' ? 2 : 1;
  return 0;
}

/** The CLI's view of an execution: outcome, ids and reasons. */
export function resultOf(execution: ExecutionResult): CliResult {
  if (execution.status === 'SUCCEEDED') {
    const output = execution.output ?? {};
    return {
      ...output,
      outcome: output.outcome as Outcome,
      remediationId: String(output.remediationId ?? execution.executionName),
    };
  }
  const rolledBack = execution.children.some((child) => child.status === 'SUCCEEDED');
  return {
    outcome: 'failed',
    remediationId: execution.machine === 'remediate' ? execution.executionName : undefined,
    error: execution.error,
    reasons: describeFailure(execution.error, execution.cause).reasons,
    ...(execution.machine === 'remediate' ? { rolledBack } : {}),
  };
}

async function readJsonFile(path: string, what: string, maxBytes = 1_000_000): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError([`Cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`]);
  }
  if (text.length > maxBytes) throw new InvalidInputError([`The ${what} ${path} is over ${maxBytes / 1_000_000} MB.`]);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError([`The ${what} ${path} is not valid JSON: ${(error as Error).message}`]);
  }
}

/** A state file: a missing or unreadable one is invalid input naming the path (exit 2), as a malformed one is. */
async function loadSimulator(path: string): Promise<Ec2Simulator> {
  const state = await readJsonFile(path, 'state file', 512_000_000);
  return Ec2Simulator.fromState(state);
}

/** --out and --store are checked before anything runs: a run must not change a group and then fail to say so. */
async function checkWritablePaths(flags: Flags): Promise<void> {
  const problems: string[] = [];
  if (flags.out) {
    const directory = dirname(resolve(flags.out));
    try {
      await access(directory, fsConstants.W_OK);
    } catch (error) {
      problems.push(`--out ${flags.out}: cannot write in ${directory} (${(error as NodeJS.ErrnoException).code}).`);
    }
  }
  const store = resolve(flags.store ?? '.remediation');
  try {
    const found = await stat(store);
    if (!found.isDirectory()) problems.push(`--store ${store} is not a directory.`);
    else await access(store, fsConstants.W_OK | fsConstants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') problems.push(`--store ${store}: cannot read and write it (${code}).`);
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
}

async function accountOf(region: string): Promise<string> {
  const identity = await new STSClient({ region }).send(new GetCallerIdentityCommand({}));
  return identity.Account ?? '';
}

function regionOf(flags: Flags): string {
  const region = flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new InvalidInputError(['No region: pass --region or set AWS_REGION.']);
  return region;
}

function approverOf(flags: Flags, io: Io): Approver | 'web' {
  const mode = flags.approve ?? (io.interactive ? 'prompt' : undefined);
  if (mode === 'auto' || mode === 'reject') {
    const decision: Decision = mode === 'auto' ? 'approved' : 'rejected';
    return async () => decision;
  }
  if (mode === 'web') return 'web';
  if (mode === 'prompt') {
    if (!io.interactive) throw new InvalidInputError(['--approve prompt needs a terminal.']);
    return promptApprover(
      io,
      (id) => `\nApprove remediation ${id}? Type "approve" to strip the default group, anything else rejects: `,
    );
  }
  if (mode === undefined) throw new InvalidInputError(['--approve auto|reject is required when not on a terminal.']);
  throw new InvalidInputError([`--approve must be auto, reject, prompt or web, not "${mode.slice(0, 40)}".`]);
}

async function withEc2<T>(flags: Flags, run: (simulator: Ec2Simulator | undefined) => Promise<T>): Promise<T> {
  refuseOrgFlags(flags);
  if ((flags.state?.length ?? 0) > 1)
    throw new InvalidInputError(['Several --state files go with plan --all-regions or remediate --all-empty.']);
  if (flags.out && !flags.state?.[0])
    throw new InvalidInputError(['--out needs --state (it writes the simulated state).']);
  await checkWritablePaths(flags);
  const simulator = flags.state?.[0] ? await loadSimulator(flags.state[0]) : undefined;
  try {
    return await run(simulator);
  } finally {
    if (simulator && flags.out) await writeFile(flags.out, `${JSON.stringify(simulator.toState(), null, 1)}\n`);
  }
}

/**
 * The event in a `--finding` file: the file itself (an EventBridge event, or a direct input), or the `input` of one of
 * this repository's event fixtures (`{ description, expect, input }`, test/fixtures/events/), so they run as they are.
 */
async function readFinding(path: string): Promise<unknown> {
  const json = await readJsonFile(path, 'finding');
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !('input' in json)) return json;
  const keys = Object.keys(json);
  return keys.every((key) => ['description', 'expect', 'input'].includes(key)) ? json.input : json;
}

async function plan(flags: Flags, io: Io): Promise<CliResult> {
  if (flags['all-empty']) throw new InvalidInputError(['--all-empty goes with remediate; plan takes --all-regions.']);
  if (flags['all-regions']) return planAllRegions(flags, io);
  if (Boolean(flags.group) === Boolean(flags.finding))
    throw new InvalidInputError(['plan needs exactly one of --group SG or --finding EVENT.json.']);
  const event = flags.finding ? await readFinding(flags.finding) : undefined;
  // Several findings (a custom action): every group planned, one summary (cli/finding-batch.ts).
  const batch = findingBatchOf(event);
  if (batch)
    return withEc2(flags, async (simulator) => {
      const results: CliResult[] = [];
      for (const run of batch.runs) {
        if (!flags.json) io.stdout(`\n== ${run.target.groupId} (${run.target.accountId} ${run.target.region}) ==\n`);
        results.push(await refusedAsResult(() => planGroup(flags, io, simulator, run.target)));
      }
      return batchResult(batch, results, []);
    });
  // A finding names its account, Region and group; it is read as the deployed rule reads it (handlers/core/finding.ts).
  const parsed = event === undefined ? undefined : parseRemediationInput(event);
  if (parsed?.kind === 'invalid') throw new InvalidInputError(parsed.reasons.map((reason) => `--finding: ${reason}`));
  if (parsed?.kind === 'skip') return { outcome: 'skipped', reasons: [parsed.reason] };
  return withEc2(flags, async (simulator) =>
    planGroup(
      flags,
      io,
      simulator,
      parsed?.kind === 'target'
        ? parsed.target
        : {
            accountId: simulator?.accountId ?? (await accountOf(regionOf(flags))),
            region: simulator?.region ?? regionOf(flags),
            groupId: String(flags.group),
          },
    ),
  );
}

/** One group's failure in a batch, as its result: the others still run. */
async function refusedAsResult(run: () => Promise<CliResult>): Promise<CliResult> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    return { outcome: 'failed', error: 'InvalidInput', reasons: error.reasons };
  }
}

/** What a remediation of one group would do, as Discover reads it. */
async function planGroup(
  flags: Flags,
  io: Io,
  simulator: Ec2Simulator | undefined,
  named: { accountId: string; region: string; groupId: string },
): Promise<CliResult> {
  const target = targetSchema.safeParse({ accountId: named.accountId, region: named.region, groupId: named.groupId });
  if (!target.success) throw new InvalidInputError([`--group must look like sg-0123456789abcdef0.`]);
  const deps = createLocalDeps({ simulator, storeDir: resolve(flags.store ?? '.remediation') });
  // As Discover reads it: the VPC's tags too, so the opt-out tag on the VPC is seen (handlers/steps/discover.ts).
  const inventory = await readInventory(deps.ec2(target.data), target.data, {
    vpcTags: Boolean(deps.settings.excludeTag),
    services: deps.services(target.data),
    serviceQuotas: deps.serviceQuotas(target.data),
  });
  const planned = withinRunAllowance(
    planRemediation(inventory, {
      remediationId: 'plan',
      batchSize: deps.settings.batchSize,
      excludeTag: deps.settings.excludeTag,
    }),
    deps.settings,
  );
  // The summary by owner kind, and each list to its first 20: a 1,205-interface plan is a page, not 1,231 lines.
  const words = flags.verbose
    ? describePlan(planned)
    : describePlan(planned, { limit: NOTICE_LIST_LIMIT, where: 'run with --verbose (or --json) for all' });
  if (!flags.json) io.stdout(`${words.join('\n')}\n`);
  const outcome: Outcome =
    planned.status === 'ready' ? 'planned' : planned.status === 'excluded' ? 'skipped' : planned.status;
  return {
    outcome,
    groupId: planned.defaultGroupId,
    ...(planned.reasons.length > 0 ? { reasons: planned.reasons } : {}),
    plan: { ...planned, remediationId: undefined },
  };
}

/** Where a run keeps its ledger and snapshots, absolute. */
function storeOf(flags: Flags): string {
  return resolve(flags.store ?? '.remediation');
}

/** What an ending of the process left: said on stderr, after the run's own output. */
async function tellEnding(
  io: Io,
  ledger: RunLedger,
  remediationId: string | undefined,
  target: { accountId: string; region: string; groupId: string } | undefined,
  result: CliResult,
  rollbackHint: string | undefined,
): Promise<void> {
  const cause = io.endings?.cause();
  if (!cause) return;
  const lines = [`Interrupted (${cause}).`];
  if (result.rolledBack) lines.push('What this run had changed is rolled back to the snapshot.');
  else if (result.outcome === 'rolled-back') lines.push('The rollback finished before it could stop.');
  else if (result.outcome !== 'failed') lines.push(`The run had already ended: ${result.outcome}.`);
  if (target) {
    const view = await readLedgerView(ledger.file.path.replace(/\/ledger\.json$/, ''));
    const lock = view.locks[lockKey(target)];
    if (lock && lock.remediationId === remediationId) {
      lines.push(`The lock on ${target.groupId} is kept (${lock.failedRollback ? 'the rollback failed' : lock.kind}).`);
      if (rollbackHint) lines.push(`Finish with: ${rollbackHint}`);
    } else {
      lines.push(`The lock on ${target.groupId} is released.`);
    }
  }
  io.stderr(`${lines.join('\n')}\n`);
}

async function remediate(flags: Flags, io: Io): Promise<CliResult> {
  if (flags['all-regions']) throw new InvalidInputError(['--all-regions goes with plan; remediate takes --all-empty.']);
  if (flags['all-empty']) return remediateAllEmpty(flags, io);
  if (Boolean(flags.group) === Boolean(flags.finding))
    throw new InvalidInputError(['remediate needs exactly one of --group SG or --finding EVENT.json.']);
  const approver = approverOf(flags, io);
  const finding = flags.finding ? await readFinding(flags.finding) : undefined;
  // Several findings (a custom action): one run per group, one after the other, one summary (cli/finding-batch.ts).
  const batch = findingBatchOf(finding);
  return withEc2(flags, async (simulator) => {
    if (!batch) return remediateOne(flags, io, simulator, approver, finding);
    const results: CliResult[] = [];
    const notStarted: FindingRun[] = [];
    for (const run of batch.runs) {
      // Once the process is ending (Ctrl-C, a hang-up…), the run in flight rolls back and no other starts.
      if (io.endings?.cause()) {
        notStarted.push(run);
        continue;
      }
      if (!flags.json) io.stdout(`\n== ${run.target.groupId} (${run.target.accountId} ${run.target.region}) ==\n`);
      results.push(await remediateOne(flags, io, simulator, approver, run.input));
    }
    return batchResult(batch, results, notStarted);
  });
}

/** One remediation run: a group (--group) or one finding's group, through the remediation state machine. */
async function remediateOne(
  flags: Flags,
  io: Io,
  simulator: Ec2Simulator | undefined,
  approver: Approver | 'web',
  finding: unknown,
): Promise<CliResult> {
  const target = finding
    ? undefined
    : {
        accountId: simulator?.accountId ?? (await accountOf(regionOf(flags))),
        region: simulator?.region ?? regionOf(flags),
        groupId: String(flags.group),
      };
  const stateFile = flags.state?.[0] ? resolve(flags.state[0]) : undefined;
  const outFile = flags.out ? resolve(flags.out) : undefined;
  const store = storeOf(flags);
  const ledger = new RunLedger(store, currentOwner(commandLine('remediate', flags), { stateFile, outFile }));
  const deps = createLocalDeps({
    simulator,
    storeDir: store,
    ledger,
    ...(flags.json ? { notifier: { publish: async () => {} } } : {}),
  });
  // --approve web: the link goes to stderr (the terminal), so that stdout stays one JSON object with --json.
  const web = approver === 'web' ? createWebApproval(deps, { print: io.stderr }) : undefined;
  const executionName = newExecutionName('rem');
  const progress = io.stderrTty && !flags.json ? moveProgress(io.stderr) : undefined;
  const run = () =>
    runMachine('remediate', finding ?? target, {
      deps,
      executionName,
      approver: web ? web.approver : (approver as Approver),
      onStep: flags.json
        ? undefined
        : (event) => {
            io.stdout(`${narrateStep(event)}\n`);
            progress?.(event);
          },
      ...(io.endings ? { signal: io.endings.signal } : {}),
    });
  let execution: ExecutionResult;
  try {
    execution = io.endings ? await io.endings.holding(run) : await run();
  } finally {
    await web?.close();
  }
  const result = resultOf(execution);
  const record = await ledger.getRemediation(executionName);
  const where = record ?? target;
  // The state a rollback must be given: the final simulated state (--out); without --out it was not kept.
  const rollbackState = outFile ?? stateFile;
  const hint =
    where && (!simulator || outFile)
      ? rollbackCommand(executionName, { stateFile: rollbackState, region: where.region, store })
      : undefined;
  const cause = io.endings?.cause();
  await ledger.recordEnding(
    executionName,
    {
      machine: 'remediate',
      outcome: result.outcome,
      executionName,
      ...(typeof result.error === 'string' ? { error: result.error } : {}),
      ...(cause ? { interruptedBy: cause } : {}),
      ...(result.rolledBack !== undefined ? { rolledBack: Boolean(result.rolledBack) } : {}),
      ...(rollbackState ? { stateFile: rollbackState } : {}),
    },
    target,
  );
  await tellEnding(io, ledger, executionName, where, result, hint);
  return {
    ...result,
    ...(hint && result.outcome === 'remediated' ? { rollbackCommand: hint } : {}),
    ...(simulator && !outFile && result.outcome === 'remediated' ? { stateSaved: false } : {}),
    ...(simulator ? { ec2Calls: simulator.callCounts() } : {}),
  };
}

/**
 * A rollback's checks before it takes any lock: the remediation is in this store's ledger, the state file (or the
 * account and region) is the one it ran on, and the lock on the group is free, or held by its own remediation whose run
 * is gone — then taken over, after saying what was found.
 */
async function prepareRollback(
  flags: Flags,
  io: Io,
  simulator: Ec2Simulator | undefined,
  remediationId: string,
): Promise<{ target: { accountId: string; region: string; groupId: string }; takeOver?: OwnedLock }> {
  const store = storeOf(flags);
  const view = await readLedgerView(store);
  const record = view.remediations[remediationId];
  if (!record)
    throw new InvalidInputError([`No remediation ${remediationId} in the ledger ${ledgerPath(store)} (--store).`]);
  const target = { accountId: record.accountId, region: record.region, groupId: record.groupId };
  const last = record.endings?.at(-1);
  const used = record.endings?.findLast((ending) => ending.stateFile)?.stateFile;
  const undone = last !== undefined && (last.outcome === 'rolled-back' || last.rolledBack === true);
  if (simulator) {
    const groups = new Set(simulator.toState().SecurityGroups.map((group) => group.GroupId));
    const problems: string[] = [];
    if (simulator.accountId !== record.accountId || simulator.region !== record.region || !groups.has(record.groupId))
      problems.push(
        `it changed ${record.groupId} in account ${record.accountId} ${record.region}; this file simulates account ${simulator.accountId} ${simulator.region}${groups.has(record.groupId) ? '' : ` without ${record.groupId}`}.`,
      );
    // The copy it made is in the state it left, until a rollback removes it: a state without it is from before.
    else if (record.replacementGroupId && !undone && !groups.has(record.replacementGroupId))
      problems.push(
        `this file has no ${record.replacementGroupId}, the copy it made: it is from before the remediation.`,
      );
    if (problems.length > 0)
      throw new InvalidInputError([
        `--state ${flags.state?.[0]} is not the state ${remediationId} left: ${problems.join(' ')}`,
        ...(used ? [`Its run left its state in ${used}.`] : []),
      ]);
  } else {
    if (flags.region && flags.region !== record.region)
      throw new InvalidInputError([`--region ${flags.region}: ${remediationId} ran in ${record.region}.`]);
    const account = await accountOf(record.region);
    if (account !== record.accountId)
      throw new InvalidInputError([
        `These credentials are for account ${account}; ${remediationId} ran in account ${record.accountId}.`,
      ]);
  }
  const lock = view.locks[lockKey(target)];
  if (!lock || lock.remediationId !== remediationId || lock.failedRollback) return { target };
  const now = Math.floor(Date.now() / 1000);
  const liveness = livenessOf(lock);
  const waiting = isWaiting(view, remediationId, now);
  const holder = `its ${lock.kind} run (pid ${lock.pid ?? '?'} on ${lock.host ?? 'an unrecorded host'}, since ${lock.takenAt ?? '?'})`;
  if (liveness === 'dead') {
    io.stderr(
      `Found: the lock on ${record.groupId} is held by ${holder}, and that process is gone${waiting ? ' (it was waiting for approval)' : ''}. This rollback takes the lock over.\n`,
    );
    return { target, takeOver: lock };
  }
  const how =
    liveness === 'alive'
      ? waiting
        ? `It is waiting for approval: answer "reject" at its prompt, or stop it (kill -TERM ${lock.pid}); either rolls it back.`
        : `It is still running: stop it (Ctrl-C, or kill -TERM ${lock.pid}); it rolls back what it changed itself.`
      : `It runs on another host, or its process was not recorded: stop it there, or once it is surely gone run: ${PROGRAM} unlock --group ${record.groupId} …`;
  throw new BusyError([`The lock on ${record.groupId} is held by ${holder}. ${how}`]);
}

/** The group is locked by a live run: nothing was changed (exit 1, as the rollback state machine's refusal). */
class BusyError extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join(' '));
    this.name = 'Busy';
  }
}

async function rollback(flags: Flags, io: Io): Promise<CliResult> {
  if (flags['all-regions'] || flags['all-empty'])
    throw new InvalidInputError([
      'rollback takes one --remediation; --all-regions and --all-empty are for plan and remediate.',
    ]);
  if (!flags.remediation) throw new InvalidInputError(['rollback needs --remediation ID.']);
  const remediationId = flags.remediation;
  return withEc2(flags, async (simulator) => {
    let prepared: Awaited<ReturnType<typeof prepareRollback>>;
    try {
      prepared = await prepareRollback(flags, io, simulator, remediationId);
    } catch (error) {
      if (error instanceof BusyError)
        return { outcome: 'failed', error: 'Busy', reasons: error.reasons, remediationId };
      throw error;
    }
    const { target, takeOver } = prepared;
    const stateFile = flags.state?.[0] ? resolve(flags.state[0]) : undefined;
    const outFile = flags.out ? resolve(flags.out) : undefined;
    const store = storeOf(flags);
    const ledger = new RunLedger(store, currentOwner(commandLine('rollback', flags), { stateFile, outFile }));
    const deps = createLocalDeps({
      simulator,
      storeDir: store,
      ledger,
      ...(flags.json ? { notifier: { publish: async () => {} } } : {}),
    });
    const executionName = newExecutionName('rb');
    const progress =
      io.stderrTty && !flags.json
        ? moveProgress(io.stderr, Date.now, await rollbackMoves(deps, remediationId, target.groupId))
        : undefined;
    const run = () =>
      runMachine(
        'rollback',
        { remediationId, ...(takeOver ? { lockToken: takeOver.token } : {}) },
        {
          deps,
          executionName,
          onStep: flags.json
            ? undefined
            : (event) => {
                io.stdout(`${narrateStep(event)}\n`);
                progress?.(event);
              },
          ...(io.endings ? { signal: io.endings.signal } : {}),
        },
      );
    const execution = io.endings ? await io.endings.holding(run) : await run();
    const result: CliResult = { ...resultOf(execution), remediationId };
    // A lock taken over is entered with its owner's token, so the definition leaves releasing it to its owner: here.
    if (takeOver && result.outcome === 'rolled-back') await ledger.releaseLock(lockKey(target), takeOver.token);
    const cause = io.endings?.cause();
    await ledger.recordEnding(remediationId, {
      machine: 'rollback',
      outcome: result.outcome,
      executionName,
      ...(typeof result.error === 'string' ? { error: result.error } : {}),
      ...(cause ? { interruptedBy: cause } : {}),
      ...((outFile ?? stateFile) ? { stateFile: outFile ?? stateFile } : {}),
    });
    await tellEnding(
      io,
      ledger,
      remediationId,
      target,
      result,
      rollbackCommand(remediationId, { stateFile: outFile ?? stateFile, region: target.region, store }),
    );
    return { ...result, ...(takeOver ? { tookOverLockOf: { pid: takeOver.pid, host: takeOver.host } } : {}) };
  });
}

function printResult(result: CliResult, json: boolean | undefined, io: Io): void {
  if (json) {
    io.stdout(`${JSON.stringify(result)}\n`);
    return;
  }
  if (Array.isArray(result.runs)) {
    io.stdout(`${batchSummary(result).join('\n')}\n`);
    return;
  }
  // status, list and unlock have said what they found.
  if (result.outcome === 'listed' || result.outcome === 'unlocked') return;
  const lines = [`\nOutcome: ${result.outcome}${result.remediationId ? ` (remediation ${result.remediationId})` : ''}`];
  // Reasons carry account text (names, descriptions): escaped, so nothing reaches the terminal as a control.
  for (const reason of result.reasons ?? []) lines.push(`  - ${plainText(reason)}`);
  if (result.outcome === 'remediated' && typeof result.rollbackCommand === 'string') {
    lines.push(`Undo it with: ${plainText(result.rollbackCommand)}`);
  }
  if (result.stateSaved === false)
    lines.push('The simulated result was not saved (no --out): there is no state file to roll back.');
  if (result.rolledBack) lines.push('Everything was rolled back to the snapshot.');
  io.stdout(`${lines.join('\n')}\n`);
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...args] = argv;
  // Known before the flags are parsed, so even a flag error answers in JSON.
  const json = args.includes('--json');
  // tighten parses its own flags (cli/tighten.ts).
  if (command === 'tighten') return await runTighten(args, io);
  try {
    if (!command || command === 'help' || command === '--help' || command === '-h') {
      const topic = command === 'help' ? args[0] : undefined;
      if (topic !== undefined && !isCommand(topic))
        throw new InvalidInputError([`No command "${topic.slice(0, 40)}". Commands: ${COMMANDS.join(', ')}.`]);
      io.stdout(topic ? commandHelp(topic) : USAGE);
      return command ? 0 : 2;
    }
    if (!isCommand(command))
      throw new InvalidInputError([`Unknown command "${command.slice(0, 40)}". Commands: ${COMMANDS.join(', ')}.`]);
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout(commandHelp(command));
      return 0;
    }
    const flags = parseFlags(args);
    if (flags.vpc !== undefined && command !== 'capture')
      throw new InvalidInputError([`--vpc goes with capture; ${command} takes --group.`]);
    let result: CliResult;
    switch (command) {
      case 'plan':
        result = await plan(flags, io);
        break;
      case 'remediate':
        result = await remediate(flags, io);
        break;
      case 'rollback':
        result = await rollback(flags, io);
        break;
      case 'status':
        result = await statusCommand(storeOf(flags), io, Boolean(flags.json));
        break;
      case 'list':
        result = await listCommand(storeOf(flags), io, Boolean(flags.json));
        break;
      case 'unlock':
        result = await unlockCommand(
          { group: flags.group, force: flags.force, store: storeOf(flags), command: commandLine('unlock', flags) },
          io,
          Boolean(flags.json),
        );
        break;
      case 'capture': {
        const { group, vpc, region, out, json: asJson, ...rest } = flags;
        const others = Object.keys(rest).filter((name) => rest[name as keyof typeof rest] !== undefined);
        const captured = await runCapture({ group, vpc, region, out, json: asJson, others }, io);
        // Without --out the state itself went to stdout.
        if (captured.state === undefined)
          io.stdout(asJson ? `${JSON.stringify(captured)}\n` : `${captureSummary(captured)}\n`);
        return 0;
      }
      case 'demo':
        return await runDemo(io);
      case 'tighten':
        return await runTighten(args, io);
      case 'help':
        throw new Error('help is answered above');
    }
    printResult(result, flags.json, io);
    return exitCodeOf(result);
  } catch (error) {
    const invalid = error instanceof InvalidInputError;
    const result: CliResult = {
      outcome: 'failed',
      error: invalid ? 'InvalidInput' : (error as Error).name,
      reasons: invalid ? error.reasons : [(error as Error).message],
    };
    if (json) io.stdout(`${JSON.stringify(result)}\n`);
    else io.stderr(`Error: ${result.reasons?.join('\n  ')}\n${invalid ? `\nRun "${PROGRAM} help" for usage.\n` : ''}`);
    return invalid ? 2 : 1;
  }
}
