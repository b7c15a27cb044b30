/**
 * Every Task of the state machines (remediate, rollback, tighten), by the name its Resource uses in the ASL files: `${DiscoverFunctionArn}` is
 * bound to `steps.Discover`, in Lambda and in the local runner alike; and the watcher, which EventBridge invokes.
 */
import { requestApproval, requestTightening } from './approval.ts';
import type { Deps } from './deps.ts';
import { discover } from './discover.ts';
import { recheck, strip, verify } from './finish.ts';
import { releaseLock, takeLock } from './lock.ts';
import { addReferences, createReplacement, moveInterfaces } from './migrate.ts';
import { parseFinding } from './parse.ts';
import { notify, updateFinding } from './report.ts';
import { loadRollback, moveBack, removeReplacement, restoreRules, verifyRollback } from './rollback.ts';
import { saveSnapshot } from './snapshot.ts';
import {
  addProposedRules,
  parseTighten,
  proposeTightening,
  recheckTightening,
  restoreCopyRules,
  revokeBroadRules,
  saveTightening,
  verifyCopyRules,
  verifyTightening,
} from './tighten.ts';
import { watch } from './watch.ts';

export type Step = (input: unknown, deps: Deps) => Promise<unknown>;

export const steps = {
  ParseFinding: parseFinding,
  TakeLock: takeLock,
  ReleaseLock: releaseLock,
  Discover: discover,
  SaveSnapshot: saveSnapshot,
  CreateReplacement: createReplacement,
  AddReferences: addReferences,
  MoveInterfaces: moveInterfaces,
  RequestApproval: requestApproval,
  Recheck: recheck,
  Strip: strip,
  Verify: verify,
  UpdateFinding: updateFinding,
  Notify: notify,
  LoadRollback: loadRollback,
  RestoreRules: restoreRules,
  MoveBack: moveBack,
  RemoveReplacement: removeReplacement,
  VerifyRollback: verifyRollback,
  ParseTighten: parseTighten,
  ProposeTightening: proposeTightening,
  SaveTightening: saveTightening,
  RequestTightening: requestTightening,
  AddProposedRules: addProposedRules,
  RecheckTightening: recheckTightening,
  RevokeBroadRules: revokeBroadRules,
  VerifyTightening: verifyTightening,
  RestoreCopyRules: restoreCopyRules,
  VerifyCopyRules: verifyCopyRules,
  Watch: watch,
} satisfies Record<string, Step>;

export type StepName = keyof typeof steps;

export function isStepName(name: string): name is StepName {
  return Object.hasOwn(steps, name);
}
