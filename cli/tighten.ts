/**
 * `tighten` (issue 14): least-privilege rules for a group (the remediation's copy) from flow logs, the change in words
 * and as a traffic-model diff (what will no longer be allowed, by peer and port), and the guarantee checked. Without
 * `--approve` nothing is changed; with it the proposal is applied through the tighten state machine
 * (cli/tighten-apply.ts).
 *
 *   tighten --state FILE --group sg-… [--flow-logs FILE …] [--log-format '${version} …'] [--window-days 30]
 *           [--end 2026-12-01T00:00:00Z] [--approve auto|reject|prompt|web --store DIR --out FILE] [--json]
 *   tighten --group sg-… [--region R] [--flow-logs auto | s3://bucket/folder | cloudwatch:LOG-GROUP | FILE …] …
 *           [--approve … --store DIR] (a real account: the state read live, the flow logs found or named, see
 *           cli/flow-log-sources.ts; applying reads them again when the run proposes)
 *
 * Exit codes as the other commands: 0 proposed (or nothing to tighten), 2 invalid input naming the field, 1 else.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { readSources } from '../handlers/adapters/flow-logs/sources.ts';
import type { Ec2State } from '../handlers/core/ec2-shapes.ts';
import { FlowAggregator } from '../handlers/core/flow-logs/aggregate.ts';
import { FlowLogFormatError, type FlowLogLayout, parseLogFormat } from '../handlers/core/flow-logs/format.ts';
import { checkGuarantee, tightenedState } from '../handlers/core/flow-logs/guarantee.ts';
import {
  DEFAULT_WINDOW_DAYS,
  describeRule,
  membersOf,
  ProposalInputError,
  propose,
} from '../handlers/core/flow-logs/propose.ts';
import { compareTraffic } from '../handlers/core/reachability.ts';
import {
  awsAccountOf,
  FlowLogsInputError,
  type FlowLogsSpec,
  type LiveAccountOf,
  liveRegion,
  namedLogGroupMissing,
  parseFlowLogsSpec,
  readLiveState,
  selectSources,
} from './flow-log-sources.ts';
import { ApplyInputError, type ApplyIo, applyTighten } from './tighten-apply.ts';

export type TightenIo = ApplyIo;

const OPTIONS = {
  group: { type: 'string' },
  state: { type: 'string' },
  region: { type: 'string' },
  'flow-logs': { type: 'string', multiple: true },
  'log-format': { type: 'string' },
  'window-days': { type: 'string' },
  end: { type: 'string' },
  json: { type: 'boolean' },
  approve: { type: 'string' },
  store: { type: 'string' },
  out: { type: 'string' },
} as const;

const stateSchema = z.object({
  SecurityGroups: z.array(z.object({ GroupId: z.string().optional() }).passthrough()),
  NetworkInterfaces: z.array(z.object({ NetworkInterfaceId: z.string().optional() }).passthrough()),
});

class TightenInputError extends Error {}

async function readState(path: string): Promise<Ec2State> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TightenInputError(`--state: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new TightenInputError(`--state: ${path} is not JSON`);
  }
  const parsed = stateSchema.safeParse(data);
  if (!parsed.success)
    throw new TightenInputError(
      `--state: ${path} is not describe-security-groups + describe-network-interfaces output`,
    );
  return parsed.data as unknown as Ec2State;
}

/** Runs `tighten` with its arguments (after the command name); answers the exit code. */
export async function runTighten(
  args: string[],
  io: TightenIo,
  accountOf: LiveAccountOf = awsAccountOf,
): Promise<number> {
  const json = args.includes('--json');
  let spec: FlowLogsSpec | undefined;
  try {
    let flags: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];
    try {
      flags = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
    } catch (error) {
      throw new TightenInputError((error as Error).message);
    }
    if (!flags.group) throw new TightenInputError('--group: required (the group to tighten, e.g. the copy sg-…)');
    if (!/^sg-[0-9a-f]{8}([0-9a-f]{9})?$/.test(flags.group))
      throw new TightenInputError('--group: not a security group id (sg- and 8 or 17 hex digits)');
    if (flags.state && flags.region !== undefined)
      throw new TightenInputError('--region: goes with a real account; the state file names its own');
    const days = flags['window-days'] === undefined ? DEFAULT_WINDOW_DAYS : Number(flags['window-days']);
    if (!Number.isInteger(days) || days < 1 || days > 366)
      throw new TightenInputError('--window-days: a whole number of days from 1 to 366');
    const endMs = flags.end === undefined ? Date.now() : Date.parse(flags.end);
    if (Number.isNaN(endMs)) throw new TightenInputError('--end: not a date and time (e.g. 2026-12-01T00:00:00Z)');
    let layout: FlowLogLayout | undefined;
    if (flags['log-format'] !== undefined) {
      try {
        layout = parseLogFormat(flags['log-format']);
      } catch (error) {
        throw new TightenInputError(`--log-format: ${(error as Error).message}`);
      }
    }
    spec = await parseFlowLogsSpec(flags['flow-logs'] ?? [], !flags.state);
    if (flags.approve === undefined) {
      if (flags.store !== undefined) throw new TightenInputError('--store: goes with --approve (applying)');
      if (flags.out !== undefined) throw new TightenInputError('--out: goes with --approve (applying)');
    } else {
      if (!flags.state && flags.out !== undefined)
        throw new TightenInputError(
          '--out: writes the simulated state; a real account keeps its own (leave out --out)',
        );
      // On a real account the flow logs are those found (or named) there, read when the run proposes.
      const account = flags.state ? undefined : await accountOf(liveRegion(flags.region));
      const live = account && {
        account,
        flowLogs: {
          find: (scope: { vpcId: string; interfaceIds: readonly string[] }) =>
            selectSources(spec as FlowLogsSpec, {
              ...(layout ? { layout } : {}),
              live: { account, vpcId: scope.vpcId, interfaceIds: [...scope.interfaceIds] },
            }),
        },
      };
      try {
        return await applyTighten(
          {
            group: flags.group,
            ...(flags.state ? { stateFile: flags.state } : {}),
            files: spec.kind === 'files' ? spec.paths : [],
            ...(live ? { live } : {}),
            ...(layout ? { layout } : {}),
            windowDays: days,
            endMs,
            approve: flags.approve,
            ...(flags.store !== undefined ? { store: flags.store } : {}),
            ...(flags.out !== undefined ? { out: flags.out } : {}),
            json,
            command: ['tighten', ...args].join(' '),
          },
          io,
        );
      } catch (error) {
        if (error instanceof ApplyInputError) throw new TightenInputError(error.message);
        throw error;
      }
    }
    const live = flags.state ? undefined : await accountOf(liveRegion(flags.region));
    const { state, vpcId } = live
      ? await readLiveState(live, flags.group)
      : { state: await readState(flags.state as string), vpcId: undefined };

    const end = Math.floor(endMs / 1000);
    const window = { start: end - days * 86400, end };
    const members = membersOf(state, flags.group);
    const aggregator = new FlowAggregator({ interfaces: members, window });
    const selected = await selectSources(spec, {
      ...(layout ? { layout } : {}),
      ...(live && vpcId ? { live: { account: live, vpcId, interfaceIds: [...members.keys()] } } : {}),
    });
    await readSources(selected.sources, aggregator, window);
    const observations = aggregator.observations();
    const proposal = propose(state, flags.group, observations);
    const after = tightenedState(state, proposal);
    const traffic = compareTraffic(state, after, { limit: 50 });
    const guarantee = checkGuarantee(state, proposal, observations);
    const result = {
      outcome: 'planned',
      groupId: proposal.groupId,
      tighten: proposal.tighten,
      applied: false,
      rules: proposal.rules.map((r) => ({ ...r, words: describeRule(r) })),
      add: proposal.add.map((rule) => describeRule({ rule })),
      revoke: proposal.revoke.map((rule) => describeRule({ rule })),
      classes: proposal.classes,
      noLongerAllowed: traffic.differences.filter((line) => !line.endsWith('denied before, allowed after')),
      newlyAllowed: traffic.differences.filter((line) => line.endsWith('denied before, allowed after')),
      window: proposal.window,
      flowLogs: { sources: selected.sources.map((source) => source.label), notes: selected.notes },
      warnings: proposal.warnings,
      counts: proposal.counts,
      guarantee: {
        observedConnectionsKept: guarantee.checked,
        broken: guarantee.broken,
        portSpaceBefore: guarantee.portSpaceBefore,
        portSpaceAfter: guarantee.portSpaceAfter,
      },
    };
    if (json) io.stdout(`${JSON.stringify(result)}\n`);
    else io.stdout(words(result));
    return 0;
  } catch (caught) {
    const error = (spec && namedLogGroupMissing(caught, spec)) ?? caught;
    const invalid =
      error instanceof TightenInputError ||
      error instanceof FlowLogsInputError ||
      error instanceof ProposalInputError ||
      error instanceof FlowLogFormatError;
    const reason = (error as Error).message;
    if (json)
      io.stdout(
        `${JSON.stringify({ outcome: 'failed', error: invalid ? 'InvalidInput' : (error as Error).name, reasons: [reason] })}\n`,
      );
    else io.stderr(`Error: ${reason}\n`);
    return invalid ? 2 : 1;
  }
}

function words(result: {
  groupId: string;
  tighten: boolean;
  rules: { words: string }[];
  revoke: string[];
  noLongerAllowed: string[];
  window: { from: string; to: string; days: number; coveredDays: number };
  flowLogs: { sources: string[]; notes: string[] };
  warnings: string[];
  guarantee: { observedConnectionsKept: number; portSpaceBefore: number; portSpaceAfter: number };
}): string {
  const lines: string[] = [];
  const w = result.window;
  lines.push(
    `Tighten ${result.groupId} from flow logs, ${w.from} to ${w.to} (${w.days} days, ${w.coveredDays} covered).`,
  );
  if (!result.tighten) lines.push('Nothing to tighten: the group stays as it is.');
  else {
    lines.push('', 'The group would allow only:', ...result.rules.map((r) => `  ${r.words}`));
    lines.push('', 'Rules removed:', ...result.revoke.map((r) => `  ${r}`));
    lines.push('', 'No longer allowed (traffic model):', ...result.noLongerAllowed.map((l) => `  ${l}`));
    const g = result.guarantee;
    const shrink = g.portSpaceBefore > 0 ? (1 - g.portSpaceAfter / g.portSpaceBefore) * 100 : 0;
    lines.push(
      '',
      `Every one of the ${g.observedConnectionsKept} observed connections stays allowed; the allowed port space ` +
        `between interfaces shrinks by ${shrink.toFixed(5)} %.`,
    );
  }
  const { sources, notes } = result.flowLogs;
  if (sources.length > 0 || notes.length > 0)
    lines.push(
      '',
      `Flow logs read: ${sources.length > 0 ? sources.join('; ') : 'none'}`,
      ...notes.map((x) => `  - ${x}`),
    );
  if (result.warnings.length > 0) lines.push('', 'Warnings:', ...result.warnings.map((x) => `  - ${x}`));
  lines.push('', 'Nothing was changed: add --approve (with --store and --out) to apply it.');
  return `${lines.join('\n')}\n`;
}
