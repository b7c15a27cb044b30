/** Wires the steps' dependencies for the command line: the simulator or the real EC2 API, plus a local store. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SdkStacks } from '../handlers/adapters/aws/cloudformation.ts';
import { SdkEc2 } from '../handlers/adapters/aws/ec2.ts';
import { SdkServiceQuotas } from '../handlers/adapters/aws/service-quotas.ts';
import { SdkServices } from '../handlers/adapters/aws/services.ts';
import { reportThrottledAttempts } from '../handlers/adapters/aws/throttle-feedback.ts';
import { systemClock } from '../handlers/adapters/clock.ts';
import { UNCONFIGURED_FLOW_LOG_FINDER } from '../handlers/adapters/flow-logs/finders.ts';
import type { FlowLogFinder } from '../handlers/adapters/flow-logs/sources.ts';
import { ConsoleNotifier } from '../handlers/adapters/local/console-notifier.ts';
import { DirectoryStore } from '../handlers/adapters/local/directory-store.ts';
import type { Ec2Simulator } from '../handlers/adapters/local/ec2-simulator.ts';
import { FileLedger } from '../handlers/adapters/local/file-ledger.ts';
import { NoopFindings } from '../handlers/adapters/local/noop-findings.ts';
import { ServiceQuotasSimulator } from '../handlers/adapters/local/service-quotas-simulator.ts';
import { ServiceSimulator } from '../handlers/adapters/local/service-simulator.ts';
import { StacksSimulator } from '../handlers/adapters/local/stacks-simulator.ts';
import { silentLogger } from '../handlers/adapters/logger.ts';
import { InvalidInputError } from '../handlers/core/errors.ts';
import type {
  Clock,
  Ec2Port,
  Ledger,
  Logger,
  Notifier,
  ServiceQuotasPort,
  ServicesPort,
  StacksPort,
} from '../handlers/ports.ts';
import { DEFAULT_SETTINGS, type Deps, type Settings } from '../handlers/steps/deps.ts';
import { noPacing, pacer, reportingThrottles } from '../handlers/steps/pacing.ts';

export interface LocalDepsOptions {
  /** The simulator; without it, the real EC2 API through the standard credential chain. */
  simulator?: Ec2Simulator;
  storeDir: string;
  notifier?: Notifier;
  log?: Logger;
  settings?: Partial<Settings>;
  /**
   * With a clock, mutating calls are paced (handlers/steps/pacing.ts) on it — a virtual clock in the benchmark — and
   * `now()` reads it; without one, a real account is paced on the real clock exactly as the deployed functions are
   * (handlers/lambda/runtime.ts), and the simulator is not paced (it does not throttle unless asked).
   */
  clock?: Clock;
  /** The ledger; default the file ledger in `storeDir`. */
  ledger?: Ledger;
  /** Where `tighten` reads flow logs (the files named on the command line); default none configured. */
  flowLogs?: FlowLogFinder;
  /**
   * A real account's EC2, already built for this account and region (a live `tighten` reads the VPC and its flow
   * logs through it before the run); paced and told of refusals like the SDK client this would build.
   */
  accountEc2?: Ec2Port;
  /** The organization's active accounts for an audit of all of them; without it, an organization audit is refused. */
  organizationAccounts?: readonly string[];
}

/** 144 random bits, URL-safe: approval ids and lock tokens. */
export function randomId(): string {
  return randomBytes(18).toString('base64url');
}

export function createLocalDeps(options: LocalDepsOptions): Deps & { findings: NoopFindings } {
  const clients = new Map<string, Ec2Port>();
  const services = new Map<string, ServicesPort>();
  const simulator = options.simulator;
  let serviceSimulator: ServiceSimulator | undefined;
  const quotas = new Map<string, ServiceQuotasPort>();
  const stacks = new Map<string, StacksPort>();
  const settings = { ...DEFAULT_SETTINGS, ...options.settings };
  const clock = options.clock;
  // Adaptive (steps/pacing.ts): on the virtual clock against the simulator, on the real one against AWS.
  const pace = clock ? pacer(clock) : simulator ? noPacing : pacer(systemClock);
  const pacedSimulator = simulator && reportingThrottles(simulator, pace);
  const accountEc2 = options.accountEc2 && reportingThrottles(options.accountEc2, pace);
  return {
    services(target) {
      if (simulator) {
        // Same account and region checks as ec2(): the services share the simulator's interfaces.
        this.ec2(target);
        serviceSimulator ??= new ServiceSimulator(simulator);
        return serviceSimulator;
      }
      let port = services.get(target.region);
      if (!port) {
        port = new SdkServices({ region: target.region });
        services.set(target.region, port);
      }
      return port;
    },
    serviceQuotas(target) {
      // Same account and region checks as ec2(): the quotas are the state file's.
      if (simulator) this.ec2(target);
      let port = quotas.get(target.region);
      if (!port) {
        port = simulator
          ? new ServiceQuotasSimulator(simulator)
          : new SdkServiceQuotas(new ServiceQuotasClient({ region: target.region }));
        quotas.set(target.region, port);
      }
      return port;
    },
    stacks(target) {
      // Same account and region checks as ec2(): the stacks are the state file's `Stacks`.
      if (simulator) this.ec2(target);
      let port = stacks.get(target.region);
      if (!port) {
        port = simulator
          ? new StacksSimulator(simulator)
          : new SdkStacks(new CloudFormationClient({ region: target.region }));
        stacks.set(target.region, port);
      }
      return port;
    },
    ec2(target) {
      if (simulator) {
        // The simulated account and region are the state file's; a finding for another one cannot be reached.
        if (target.accountId !== simulator.accountId || target.region !== simulator.region) {
          throw new InvalidInputError([
            `The finding is for account ${target.accountId} in ${target.region}, but the state file simulates account ${simulator.accountId} in ${simulator.region}.`,
          ]);
        }
        return pacedSimulator ?? simulator;
      }
      if (accountEc2) return accountEc2;
      const key = target.region;
      let client = clients.get(key);
      if (!client) {
        // The SDK honours AWS_ENDPOINT_URL (LocalStack, moto) and the standard credential chain.
        client = new SdkEc2(reportThrottledAttempts(new EC2Client({ region: target.region }), pace.throttled));
        clients.set(key, client);
      }
      return client;
    },
    flowLogs(target) {
      // Same account and region checks as ec2(): the files describe the state file's VPC.
      if (simulator) this.ec2(target);
      return options.flowLogs ?? UNCONFIGURED_FLOW_LOG_FINDER;
    },
    organization() {
      const accounts = options.organizationAccounts;
      return {
        async activeAccounts() {
          if (!accounts)
            throw new InvalidInputError([
              'scope.accounts: "organization" needs AWS Organizations; a local run names its accounts.',
            ]);
          return [...accounts];
        },
      };
    },
    store: new DirectoryStore(options.storeDir),
    ledger: options.ledger ?? new FileLedger(join(options.storeDir, 'ledger.json')),
    notifier: options.notifier ?? new ConsoleNotifier(),
    findings: new NoopFindings(),
    log: options.log ?? silentLogger,
    settings,
    now: clock ? () => new Date(clock.now()) : () => new Date(),
    clock: clock ?? systemClock,
    randomId,
    pace,
  };
}
