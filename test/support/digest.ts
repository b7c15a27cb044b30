/**
 * One deployment seen by many accounts and regions, for the approval digest tests: one session (simulator) per
 * account and region, and ONE ledger, store and notifier — those of the first session — as the deployment has one
 * table, one bucket and one topic. The clock is the test's: the digest sender is run when the test moves it past the
 * window.
 */

import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import type { Ec2Target } from '../../handlers/ports.ts';
import type { Deps, Settings } from '../../handlers/steps/deps.ts';
import { generateVpc } from './generate-vpc.ts';
import { createSession, type Session } from './harness.ts';

export interface Place {
  accountId: string;
  region: string;
  /** Interfaces on its default group (0: nothing uses it, so `when-in-use` strips it without approval). */
  interfaces: number;
  /** Changes the generated state before the session starts (a hostile name, …). */
  mutate?: (state: Ec2State) => void;
}

export interface Organization {
  sessions: Session[];
  deps: Deps;
  /** The default group of each place, in the order given. */
  groups: string[];
  /** Moves the shared clock on by `seconds`. */
  advance(seconds: number): void;
}

export function organization(places: readonly Place[], settings: Partial<Settings>): Organization {
  const sessions = places.map((place, index) => {
    const state = generateVpc({
      interfaces: place.interfaces,
      accountId: place.accountId,
      region: place.region,
      seed: index + 1,
      ...(place.interfaces === 0 ? { references: 0 } : {}),
    });
    place.mutate?.(state);
    return createSession(state, { settings });
  });
  const pick = (target: Ec2Target): Deps => {
    const session = sessions.find(
      (candidate) => candidate.simulator.accountId === target.accountId && candidate.simulator.region === target.region,
    );
    if (!session) throw new Error(`no simulated account ${target.accountId} in ${target.region}`);
    return session.deps;
  };
  const base = (sessions[0] as Session).deps;
  let offsetMs = 0;
  const deps: Deps = {
    ...base,
    ec2: (target) => pick(target).ec2(target),
    services: (target) => pick(target).services(target),
    serviceQuotas: (target) => pick(target).serviceQuotas(target),
    stacks: (target) => pick(target).stacks(target),
    now: () => new Date(Date.now() + offsetMs),
  };
  const groups = sessions.map((session) => {
    const group = session.original.SecurityGroups.find((candidate) => candidate.GroupName === 'default');
    if (!group?.GroupId) throw new Error('a generated VPC has no default group');
    return group.GroupId;
  });
  return {
    sessions,
    deps,
    groups,
    advance(seconds) {
      offsetMs += seconds * 1000;
    },
  };
}
