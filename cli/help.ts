/** The command line's help: one text per command (`help COMMAND`, `COMMAND --help`) and the whole usage. */
import { TIGHTEN_USAGE } from './tighten-usage.ts';

export const PROGRAM = 'npx default-sg-remediation';

export const COMMAND_HELP = {
  plan: `  plan       (--group SG | --finding EVENT.json) (--state FILE | --region REGION) [--verbose] [--json]
             What a remediation would do. Reads only. Honours the opt-out tag (default-sg-remediation:exclude) as remediate does.
             --finding takes a Security Hub event (ASFF or OCSF), a direct input, or a test/fixtures/events file;
             a custom action on several findings (up to 20) plans each group once, with one summary.
  plan       --all-regions [--accounts ID,…] [--regions R,…] [--state FILE|DIR …] [--report DIR] [--json]
             Audits every VPC default group in reach: in use / empty / compliant / blocked /
             excluded / unreachable, with counts. Reads only. Progress on stderr.
             --report DIR also writes DIR/audit.html (self-contained: counts, chart, every group
             with its reasons) and DIR/audit.csv, for a security team.`,
  remediate: `  remediate  (--group SG | --finding EVENT.json) [--state FILE | --region REGION]
             [--approve auto|reject|prompt|web] [--store DIR] [--out FILE] [--json]
             Runs the remediation state machine. --approve defaults to prompt (on a terminal);
             web serves the approval page on 127.0.0.1 (random port) and prints its link on stderr.
             Ctrl-C, a hang-up, SIGTERM or a closed stdout roll back what it changed and release the lock.
             A --finding event with several findings runs each group once, one after the other, one summary.
  remediate  --all-empty [--accounts ID,…] [--regions R,…] [--state FILE|DIR …]
             [--approve auto|reject|prompt] [--store DIR] [--out DIR] [--json]
             Strips every unused default group (no members, no references), each through the
             remediation state machine; one approval decision for the batch. Never touches a
             group in use. --out DIR writes each final state as DIR/<its file name>.`,
  rollback: `  rollback   --remediation ID [--state FILE | --region REGION] [--store DIR] [--out FILE] [--json]
             Runs the rollback state machine from the stored snapshot. With --state, give the file the
             remediation left (its --out; "list" names it): another one is refused before any lock.
             Takes over the lock of its own remediation when that run's process is gone.`,
  capture: `  capture    (--group SG | --vpc VPC) [--region REGION] [--out FILE] [--json]
             Writes a state file of the group's VPC from the real account (read-only describes): its groups,
             interfaces and tags, the groups that reference them, peering, prefix lists, quotas, and every
             owner service's records in the VPC. Checked as --state reads it; written whole or not at all.
             Without --out the state goes to stdout.`,
  status: `  status     [--store DIR] [--json]
             What holds a lock now, per group: running, waiting for approval, gone, or a failed
             rollback; its age, next step and how to undo it. Reads only.`,
  list: `  list       [--store DIR] [--json]
             Every remediation in the ledger: group, outcome, when, and the exact rollback command
             with the state file to give it. Reads only.`,
  unlock: `  unlock     --group SG [--store DIR] [--force] [--json]
             Removes a group's lock, recorded in the ledger. Refuses while the run that holds it is alive;
             --force for a lock whose process cannot be checked (another host) or a failed rollback's.`,
  tighten: TIGHTEN_USAGE.trimEnd(),
  demo: `  demo       plan → remediate → rollback on the bundled sample VPC, narrated.`,
  help: `  help       [COMMAND]   This text, or one command's.`,
} as const;

export type CommandName = keyof typeof COMMAND_HELP;

export const COMMANDS = Object.keys(COMMAND_HELP) as CommandName[];

export function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMAND_HELP, name);
}

const OPTIONS_HELP = `Options
  --state FILE   use the embedded EC2 simulator loaded from FILE (aws ec2 describe-security-groups +
                 describe-network-interfaces output); without it the real EC2 API is used
                 (--region or AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL honoured; paced as the deployed functions)
  --state DIR    (--all-regions, --all-empty) every *.json in DIR; --state may be repeated. One file per
                 account and region: its first group's OwnerId and SecurityGroupArn region
  --region       the region of a single-group run or a capture on a real account (default AWS_REGION)
  --vpc VPC      capture: the VPC to capture (instead of --group)
  --accounts     without --state: accounts reached by assuming the role MEMBER_ROLE_NAME names (default
                 DefaultSgRemediationMember); default the current credentials' account
  --regions      default every region DescribeRegions lists (or, with --state, every state's region)
  --out FILE     with --state: write the final simulated state to FILE (same shape)
  --store DIR    where snapshots and the ledger are kept between runs (default .remediation/)
  --verbose      plan: list every interface, not only the counts by owner kind
  --report DIR   plan --all-regions: also write DIR/audit.html and DIR/audit.csv (made if missing)
  --json         print exactly one JSON object on stdout`;

const EXIT_CODES =
  'Exit codes: 0 done as designed, 2 invalid input, 3 blocked (both: nothing changed), 1 anything else;\n128 + the signal when a signal ended it (130 Ctrl-C, 129 hang-up, 143 SIGTERM), 141 a closed stdout.';

export const USAGE = `Usage: ${PROGRAM} <command> [options]

Commands
${Object.values(COMMAND_HELP).join('\n')}

${OPTIONS_HELP}

${EXIT_CODES}
`;

export function commandHelp(command: CommandName): string {
  return `Usage: ${PROGRAM} ${command} [options]\n\n${COMMAND_HELP[command]}\n\n${OPTIONS_HELP}\n\n${EXIT_CODES}\n`;
}
