/** One readable line per finished step, for the command line's progress output. */
import type { StepEvent } from './runner.ts';

type Output = Record<string, unknown>;

const SUMMARIES: Record<string, (output: Output) => string> = {
  ParseFinding: (o) =>
    o.outcome === 'skipped'
      ? `needs no action: ${(o.reasons as string[]).join(' ')}`
      : `${(o.target as Output).groupId} in ${(o.target as Output).accountId} ${(o.target as Output).region}`,
  TakeLock: (o) =>
    o.acquired ? (o.inherited ? 'lock re-entered' : 'lock taken') : `busy: ${(o.reasons as string[]).join(' ')}`,
  ReleaseLock: (o) => (o.released ? 'lock released' : 'lock kept by the run that owns it'),
  Discover: (o) =>
    `${o.members} interface(s), ${o.references} reference(s), ${o.defaultRules} rule(s) → ${o.status}${
      (o.reasons as string[]).length ? ` (${(o.reasons as string[]).length} reason(s))` : ''
    }`,
  SaveSnapshot: (o) => `${o.key} (sha256 ${String(o.checksum).slice(0, 12)}…)`,
  CreateReplacement: (o) => `${o.groupId} ${o.created ? 'created' : 'found (already created)'}`,
  AddReferences: (o) => `${o.added} twin rule(s) added`,
  MoveInterfaces: (o) => moveLine(o),
  MoveBack: (o) => moveLine(o),
  RequestApproval: (o) => `approval requested, expires ${new Date(Number(o.expiresAt) * 1000).toISOString()}`,
  Recheck: () => 'live state matches the plan',
  Strip: (o) => `${o.revoked} rule(s) revoked`,
  Verify: (o) => `verified; checks run: ${(o.checks as string[]).join(', ')}`,
  UpdateFinding: (o) => (o.updated ? 'finding updated' : 'no finding to update (direct run)'),
  Notify: () => 'notice sent',
  LoadRollback: (o) => `snapshot intact; replacement ${o.replacementGroupId ?? 'none'}`,
  RestoreRules: (o) => `${o.added} rule(s) put back`,
  RemoveReplacement: (o) => `${o.removed} twin rule(s) revoked${o.deleted ? ', replacement deleted' : ''}`,
  ParseTighten: (o) =>
    `${(o.target as Output).groupId}, flow logs of the ${(o.window as Output).days} days to ${(o.window as Output).end}`,
  ProposeTightening: (o) =>
    o.tighten
      ? `${o.add} rule(s) to add, ${o.revoke} to revoke; every observed flow stays allowed`
      : 'nothing to tighten',
  SaveTightening: (o) => `${o.key} (sha256 ${String(o.checksum).slice(0, 12)}…)`,
  RequestTightening: (o) => `approval requested, expires ${new Date(Number(o.expiresAt) * 1000).toISOString()}`,
  AddProposedRules: (o) => `${o.added} rule(s) added`,
  RecheckTightening: () => 'the group is as the proposal saw it',
  RevokeBroadRules: (o) => `${o.removed} rule(s) revoked`,
  VerifyTightening: (o) => `exactly the proposal; ${o.connectionsKept} observed connection(s) still allowed`,
  RestoreCopyRules: (o) => `${o.added} rule(s) put back, ${o.removed} added rule(s) revoked`,
  VerifyCopyRules: () => "the copy's rules match the snapshot",
  VerifyRollback: (o) =>
    `matches the snapshot${(o.interfacesGone as string[]).length ? `; gone since: ${(o.interfacesGone as string[]).join(', ')}` : ''}`,
};

function moveLine(o: Output): string {
  const parts = [`batch ${Number(o.batch) + 1}: ${o.moved} moved`];
  if (Number(o.alreadyMoved) > 0) parts.push(`${o.alreadyMoved} already done`);
  if ((o.gone as string[]).length > 0) parts.push(`${(o.gone as string[]).length} deleted since`);
  if ((o.changed as string[]).length > 0) parts.push(`${(o.changed as string[]).length} changed by someone else`);
  return parts.join(', ');
}

export function narrateStep(event: StepEvent): string {
  if (event.error) return `  ✗ ${event.state} — ${event.error.name}: ${event.error.message}`;
  const summary = SUMMARIES[event.step]?.((event.output ?? {}) as Output);
  return `  ✓ ${event.state}${summary ? ` — ${summary}` : ''}`;
}
