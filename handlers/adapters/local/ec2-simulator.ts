/** The in-memory EC2 simulator; the implementation lives in ./ec2-simulator/. */
export {
  DEFAULT_SIMULATOR_QUOTAS,
  type Ec2Action,
  Ec2Simulator,
  type SimulatorHooks,
  type SimulatorOptions,
  type SimulatorQuotas,
} from './ec2-simulator/simulator.ts';
