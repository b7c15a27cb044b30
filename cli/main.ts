/**
 * The command line: plan (read-only), remediate, rollback and demo, against the embedded EC2 simulator (--state)
 * or a real account (standard credential chain). Exit codes: 0 ended as designed, 2 invalid input (nothing
 * changed), 3 blocked (nothing changed), 1 otherwise.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Ec2Simulator } from '../handlers/adapters/local/ec2-simulator.ts';
import { InvalidInputError } from '../handlers/core/errors.ts';
import { describeFailure } from '../handlers/core/failures.ts';
import { describePlan } from '../handlers/core/messages.ts';
import { planRemediation } from '../handlers/core/plan.ts';
import { plainText } from '../handlers/core/untrusted.ts';
import type { Decision } from '../handlers/steps/approval.ts';
import { targetSchema } from '../handlers/steps/common.ts';
import { readInventory, withinRunAllowance } from '../handlers/steps/discover.ts';
import { runDemo } from './demo.ts';
import { createLocalDeps } from './deps.ts';
import { narrateStep } from './narrate.ts';
import { planAllRegions, refuseOrgFlags, remediateAllEmpty } from './org-command.ts';
import { type Approver, type ExecutionResult, runMachine } from './runner.ts';
import { runTighten, TIGHTEN_USAGE } from './tighten.ts';
import { createWebApproval } from './web-approval.ts';

export const USAGE = `Usage: npm run cli -- <command> [options]

Commands
  plan       --group SG (--state FILE | --region REGION) [--json]
             What a remediation would do. Reads only.
  plan       --all-regions [--accounts ID,…] [--regions R,…] [--state FILE|DIR …] [--json]
             Audits every VPC default group in reach: in use / empty / compliant / blocked /
             excluded / unreachable, with counts. Reads only. Progress on stderr.
  remediate  (--group SG | --finding EVENT.json) [--state FILE] [--approve auto|reject|prompt|web]
             [--store DIR] [--out FILE] [--json]
             Runs the remediation state machine. --approve defaults to prompt (on a terminal);
             web serves the approval page on 127.0.0.1 (random port) and prints its link on stderr.
  remediate  --all-empty [--accounts ID,…] [--regions R,…] [--state FILE|DIR …]
             [--approve auto|reject|prompt] [--store DIR] [--out DIR] [--json]
             Strips every unused default group (no members, no references), each through the
             remediation state machine; one approval decision for the batch. Never touches a
             group in use. --out DIR writes each final state as DIR/<its file name>.
  rollback   --remediation ID [--state FILE] [--store DIR] [--out FILE] [--json]
             Runs the rollback state machine from the stored snapshot.
  demo       plan → remediate → rollback on the bundled sample VPC, narrated.
${TIGHTEN_USAGE}
Options
  --state FILE   use the embedded EC2 simulator loaded from FILE (aws ec2 describe-security-groups +
                 describe-network-interfaces output); without it the real EC2 API is used
                 (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL honoured)
  --state DIR    (--all-regions, --all-empty) every *.json in DIR; --state may be repeated. One file per
                 account and region: its first group's OwnerId and SecurityGroupArn region
  --accounts     without --state: accounts reached by assuming the role MEMBER_ROLE_NAME names (default
                 DefaultSgRemediationMember); default the current credentials' account
  --regions      default every region DescribeRegions lists (or, with --state, every state's region)
  --out FILE     with --state: write the final simulated state to FILE (same shape)
  --store DIR    where snapshots and the ledger are kept between runs (default .remediation/)
  --json         print exactly one JSON object on stdout

Exit codes: 0 done as designed, 2 invalid input, 3 blocked (both: nothing changed), 1 anything else.
`;

export type Outcome =
  | 'remediated'
  | 'compliant'
  | 'blocked'
  | 'skipped'
  | 'rejected'
  | 'rolled-back'
  | 'failed'
  | 'planned';

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
}

const defaultIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: Boolean(process.stdin.isTTY),
  stderrTty: Boolean(process.stderr.isTTY),
};

const OPTIONS = {
  group: { type: 'string' },
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
  remediation: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
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

async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError([`Cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`]);
  }
  if (text.length > 1_000_000) throw new InvalidInputError([`The ${what} ${path} is over 1 MB.`]);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError([`The ${what} ${path} is not valid JSON: ${(error as Error).message}`]);
  }
}

async function accountOf(): Promise<string> {
  const identity = await new STSClient({}).send(new GetCallerIdentityCommand({}));
  return identity.Account ?? '';
}

function regionOf(flags: Flags): string {
  const region = flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new InvalidInputError(['No region: pass --region or set AWS_REGION.']);
  return region;
}

function promptApprover(io: Io): Approver {
  return async ({ remediationId }) => {
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await prompt.question(
        `\nApprove remediation ${remediationId}? Type "approve" to strip the default group, anything else rejects: `,
      );
      return answer.trim().toLowerCase() === 'approve' ? 'approved' : 'rejected';
    } finally {
      prompt.close();
      io.stderr('\n');
    }
  };
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
    return promptApprover(io);
  }
  if (mode === undefined) throw new InvalidInputError(['--approve auto|reject is required when not on a terminal.']);
  throw new InvalidInputError([`--approve must be auto, reject, prompt or web, not "${mode.slice(0, 40)}".`]);
}

async function withEc2<T>(flags: Flags, run: (simulator: Ec2Simulator | undefined) => Promise<T>): Promise<T> {
  refuseOrgFlags(flags);
  if ((flags.state?.length ?? 0) > 1)
    throw new InvalidInputError(['Several --state files go with plan --all-regions or remediate --all-empty.']);
  const simulator = flags.state?.[0] ? await Ec2Simulator.fromFile(flags.state[0]) : undefined;
  if (flags.out && !simulator) throw new InvalidInputError(['--out needs --state (it writes the simulated state).']);
  try {
    return await run(simulator);
  } finally {
    if (simulator && flags.out) await writeFile(flags.out, `${JSON.stringify(simulator.toState(), null, 1)}\n`);
  }
}

async function plan(flags: Flags, io: Io): Promise<CliResult> {
  if (flags['all-empty']) throw new InvalidInputError(['--all-empty goes with remediate; plan takes --all-regions.']);
  if (flags['all-regions']) return planAllRegions(flags, io);
  if (!flags.group) throw new InvalidInputError(['plan needs --group SG.']);
  return withEc2(flags, async (simulator) => {
    const target = targetSchema.safeParse({
      accountId: simulator?.accountId ?? (await accountOf()),
      region: simulator?.region ?? regionOf(flags),
      groupId: flags.group,
    });
    if (!target.success) throw new InvalidInputError([`--group must look like sg-0123456789abcdef0.`]);
    const deps = createLocalDeps({ simulator, storeDir: resolve(flags.store ?? '.remediation') });
    const inventory = await readInventory(deps.ec2(target.data), target.data, {
      services: deps.services(target.data),
      serviceQuotas: deps.serviceQuotas(target.data),
    });
    const planned = withinRunAllowance(
      planRemediation(inventory, {
        remediationId: 'plan',
        batchSize: deps.settings.batchSize,
      }),
      deps.settings,
    );
    if (!flags.json) io.stdout(`${describePlan(planned).join('\n')}\n`);
    const outcome: Outcome =
      planned.status === 'ready' ? 'planned' : planned.status === 'excluded' ? 'skipped' : planned.status;
    return {
      outcome,
      groupId: planned.defaultGroupId,
      ...(planned.reasons.length > 0 ? { reasons: planned.reasons } : {}),
      plan: { ...planned, remediationId: undefined },
    };
  });
}

async function remediate(flags: Flags, io: Io): Promise<CliResult> {
  if (flags['all-regions']) throw new InvalidInputError(['--all-regions goes with plan; remediate takes --all-empty.']);
  if (flags['all-empty']) return remediateAllEmpty(flags, io);
  if (Boolean(flags.group) === Boolean(flags.finding))
    throw new InvalidInputError(['remediate needs exactly one of --group SG or --finding EVENT.json.']);
  const approver = approverOf(flags, io);
  const finding = flags.finding ? await readJsonFile(flags.finding, 'finding') : undefined;
  return withEc2(flags, async (simulator) => {
    const input = finding ?? {
      accountId: simulator?.accountId ?? (await accountOf()),
      region: simulator?.region ?? regionOf(flags),
      groupId: flags.group,
    };
    const deps = createLocalDeps({
      simulator,
      storeDir: resolve(flags.store ?? '.remediation'),
      ...(flags.json ? { notifier: { publish: async () => {} } } : {}),
    });
    // --approve web: the link goes to stderr (the terminal), so that stdout stays one JSON object with --json.
    const web = approver === 'web' ? createWebApproval(deps, { print: io.stderr }) : undefined;
    let execution: ExecutionResult;
    try {
      execution = await runMachine('remediate', input, {
        deps,
        approver: web ? web.approver : (approver as Approver),
        onStep: flags.json ? undefined : (event) => io.stdout(`${narrateStep(event)}\n`),
      });
    } finally {
      await web?.close();
    }
    const result = resultOf(execution);
    return { ...result, ...(simulator ? { ec2Calls: simulator.callCounts() } : {}) };
  });
}

async function rollback(flags: Flags, io: Io): Promise<CliResult> {
  if (flags['all-regions'] || flags['all-empty'])
    throw new InvalidInputError([
      'rollback takes one --remediation; --all-regions and --all-empty are for plan and remediate.',
    ]);
  if (!flags.remediation) throw new InvalidInputError(['rollback needs --remediation ID.']);
  return withEc2(flags, async (simulator) => {
    const deps = createLocalDeps({
      simulator,
      storeDir: resolve(flags.store ?? '.remediation'),
      ...(flags.json ? { notifier: { publish: async () => {} } } : {}),
    });
    const execution = await runMachine(
      'rollback',
      { remediationId: flags.remediation },
      { deps, onStep: flags.json ? undefined : (event) => io.stdout(`${narrateStep(event)}\n`) },
    );
    return { ...resultOf(execution), remediationId: flags.remediation };
  });
}

function printResult(result: CliResult, json: boolean | undefined, io: Io): void {
  if (json) {
    io.stdout(`${JSON.stringify(result)}\n`);
    return;
  }
  const lines = [`\nOutcome: ${result.outcome}${result.remediationId ? ` (remediation ${result.remediationId})` : ''}`];
  // Reasons carry account text (names, descriptions): escaped, so nothing reaches the terminal as a control.
  for (const reason of result.reasons ?? []) lines.push(`  - ${plainText(reason)}`);
  if (result.outcome === 'remediated' && result.remediationId) {
    lines.push(`Undo it with: npm run cli -- rollback --remediation ${result.remediationId} (same --state/--store)`);
  }
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
      io.stdout(USAGE);
      return command ? 0 : 2;
    }
    const flags = parseFlags(args);
    if (flags.help) {
      io.stdout(USAGE);
      return 0;
    }
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
      case 'demo':
        return await runDemo(io);
      default:
        throw new InvalidInputError([
          `Unknown command "${command.slice(0, 40)}". Commands: plan, remediate, rollback, tighten, demo.`,
        ]);
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
    else
      io.stderr(`Error: ${result.reasons?.join('\n  ')}\n${invalid ? '\nRun "npm run cli -- help" for usage.\n' : ''}`);
    return invalid ? 2 : 1;
  }
}
