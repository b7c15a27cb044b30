export { ec2Errors } from './errors.ts';
export {
  DEFAULT_SIMULATOR_QUOTAS,
  type Ec2Action,
  Ec2Simulator,
  type SimulatorHooks,
  type SimulatorOptions,
  type SimulatorQuotas,
} from './simulator.ts';
