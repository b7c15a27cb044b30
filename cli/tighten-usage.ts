/** `tighten`'s help, apart from the command so that the help text imports no command (no import cycle). */
export const TIGHTEN_USAGE = `  tighten    --group SG --state FILE [--flow-logs FILE …] [--log-format FORMAT] [--window-days N]
             [--end ISO-TIME] [--approve auto|reject|prompt|web [--store DIR] [--out FILE]] [--json]
             Least-privilege rules for a group from VPC Flow Logs (plain or .gz files, S3 layout
             with its header line, or --log-format for files without one): the proposal, what will
             no longer be allowed, and how much of the window the logs cover. Reads only, unless
             --approve: then applies it (snapshot, approval, add, re-check, revoke, verify) with
             its own id that rollback --remediation undoes.
  tighten    --group SG [--region R] [--flow-logs auto | s3://BUCKET/FOLDER | cloudwatch:LOG-GROUP | FILE …]
             [--approve auto|reject|prompt|web [--store DIR]]
             The same on a real account: the state read live, the group's flow logs found with
             DescribeFlowLogs (auto, the default) or the destination named; --approve applies it there.
`;
