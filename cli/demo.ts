/** `npx default-sg-remediation demo`: the whole story on the bundled sample VPC, narrated, with no AWS account. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ec2Simulator } from '../handlers/adapters/local/ec2-simulator.ts';
import type { Ec2State, NetworkInterface } from '../handlers/core/ec2-shapes.ts';
import { describePlan, describeRule } from '../handlers/core/messages.ts';
import { planRemediation } from '../handlers/core/plan.ts';
import { computeFlows, diffFlows } from '../handlers/core/reachability.ts';
import { rulesOf } from '../handlers/core/rules.ts';
import { canonicalJson } from '../handlers/core/snapshot.ts';
import { readInventory } from '../handlers/steps/discover.ts';
import { createLocalDeps } from './deps.ts';
import type { Io } from './main.ts';
import { narrateStep } from './narrate.ts';
import { runMachine } from './runner.ts';

const SAMPLE = join(dirname(fileURLToPath(import.meta.url)), 'demo', 'web-app.state.json');

function membership(state: Ec2State): string[] {
  const names = new Map(state.SecurityGroups.map((group) => [group.GroupId, group.GroupName]));
  return state.NetworkInterfaces.map(
    (eni: NetworkInterface) =>
      `    ${eni.NetworkInterfaceId}: ${(eni.Groups ?? []).map((group) => `${group.GroupId} (${names.get(group.GroupId)})`).join(', ')}`,
  );
}

export async function runDemo(io: Io): Promise<number> {
  const say = (text = '') => io.stdout(`${text}\n`);
  const storeDir = mkdtempSync(join(tmpdir(), 'default-sg-demo-'));
  try {
    const original = JSON.parse(readFileSync(SAMPLE, 'utf8')) as Ec2State;
    const simulator = Ec2Simulator.fromState(original);
    const notices: string[] = [];
    const deps = createLocalDeps({
      simulator,
      storeDir,
      notifier: { publish: async (notice) => void notices.push(notice.subject) },
    });
    const defaultGroup = original.SecurityGroups.find((group) => group.GroupName === 'default');
    const target = { accountId: simulator.accountId, region: simulator.region, groupId: defaultGroup?.GroupId ?? '' };
    const flowsBefore = computeFlows(original);

    say('default-sg-remediation demo — a sample VPC on the embedded EC2 simulator (no AWS account needed)');
    say(`State: ${SAMPLE}`);
    say('');
    say('1. PLAN (read-only)');
    const inventory = await readInventory(simulator, target, { serviceQuotas: deps.serviceQuotas(target) });
    const plan = planRemediation(inventory, { remediationId: 'demo' });
    for (const line of describePlan(plan)) say(`   ${line}`);
    say('');
    say('   Group membership now:');
    for (const line of membership(original)) say(line);

    say('');
    say(
      '2. REMEDIATE — the real state-machine/remediate.asl.json, every Task bound to its handler, approval given automatically',
    );
    const remediation = await runMachine('remediate', target, {
      deps,
      approver: async () => {
        say('     (an approver would get an email with the plan and a link here; the demo approves)');
        return 'approved';
      },
      onStep: (event) => say(narrateStep(event)),
    });
    const afterRemediation = simulator.toState();
    const remediatedDefault = afterRemediation.SecurityGroups.find((group) => group.GroupId === target.groupId);
    say(
      `   Outcome: ${remediation.output?.outcome ?? remediation.error} in ${remediation.transitions} state transitions`,
    );
    say(`   Default group rules now: ${rulesOf(remediatedDefault ?? {}).length} (EC2.2 passes)`);
    say('   Group membership now:');
    for (const line of membership(afterRemediation)) say(line);
    const replacement = afterRemediation.SecurityGroups.find(
      (group) => group.GroupId === remediation.output?.replacementGroupId,
    );
    say(`   Replacement ${replacement?.GroupId} (${replacement?.GroupName}) rules:`);
    for (const rule of rulesOf(replacement ?? {})) say(`     - ${describeRule(rule)}`);
    const changed = diffFlows(flowsBefore, computeFlows(afterRemediation));
    say(
      changed.length === 0
        ? '   Traffic model: every flow between interfaces and to outside addresses is exactly as before.'
        : `   Traffic model CHANGED:\n     ${changed.join('\n     ')}`,
    );
    say(`   EC2 calls: ${JSON.stringify(simulator.callCounts())}`);

    say('');
    say(`3. ROLL BACK — the real state-machine/rollback.asl.json, from the snapshot of ${remediation.executionName}`);
    simulator.resetCallCounts();
    const rollback = await runMachine(
      'rollback',
      { remediationId: remediation.executionName },
      { deps, onStep: (event) => say(narrateStep(event)) },
    );
    const restored = simulator.toState();
    const exact = canonicalJson(restored) === canonicalJson(original);
    say(`   Outcome: ${rollback.output?.outcome ?? rollback.error} in ${rollback.transitions} state transitions`);
    say(
      `   Restored state identical to the original (rules with descriptions, memberships, references): ${exact ? 'yes' : 'NO'}`,
    );
    say('');
    say(`Notices sent: ${notices.length} (${notices.join(' | ')})`);
    say('Try it on your own state: npx default-sg-remediation plan --state FILE --group sg-…  (see README.md)');
    const ok = remediation.status === 'SUCCEEDED' && rollback.status === 'SUCCEEDED' && changed.length === 0 && exact;
    return ok ? 0 : 1;
  } finally {
    rmSync(storeDir, { recursive: true, force: true });
  }
}
