/**
 * A VPC after a plain copy and 30 days of its flow logs, for the tighten workflow's tests and fault sweep: the
 * README sample's generator (cli/sample-flow-logs.ts) at a test's size, and a flow log finder that serves the lines
 * from memory, as the files or an account would.
 */
import type { FlowLogFinder } from '../../handlers/adapters/flow-logs/sources.ts';
import type { Ec2State } from '../../handlers/core/ec2-shapes.ts';
import { flowLogLines, plainCopy } from './flow-traffic.ts';
import { defaultGroupOf, generateVpc } from './generate-vpc.ts';

export const TIGHTEN_WINDOW_END = '2026-12-01T00:00:00Z';

export interface TightenScenario {
  state: Ec2State;
  copyId: string;
  lines: string[];
}

export function tightenScenario(
  options: { interfaces?: number; records?: number; seed?: number } = {},
): TightenScenario {
  const generated = generateVpc({ interfaces: options.interfaces ?? 10, seed: options.seed ?? 3 });
  const { state, copyId } = plainCopy(generated, defaultGroupOf(generated));
  const end = Date.parse(TIGHTEN_WINDOW_END) / 1000;
  const lines = [
    ...flowLogLines(state, copyId, {
      records: options.records ?? 2000,
      start: end - 30 * 86400,
      days: 30,
      seed: options.seed ?? 3,
      apiAddresses: 20,
    }),
  ];
  return { state, copyId, lines };
}

/** Serves `lines` (with their header line) as one flow log; none at all when empty. */
export function memoryFinder(lines: readonly string[]): FlowLogFinder {
  return {
    async find() {
      if (lines.length === 0) return { sources: [], notes: ['No flow log was found for the VPC.'] };
      return {
        sources: [
          {
            label: 'memory',
            async *pieces() {
              yield { lines };
            },
          },
        ],
        notes: [],
      };
    },
  };
}
