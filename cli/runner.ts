/**
 * The local runner: executes the very ASL files that CDK deploys with `aws-local-stepfunctions`, binding every Task
 * to its step in-process, supplying task tokens, settling the approval wait, and running the rollback state machine
 * where the remediation starts it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';
import type { TaskCallbacks } from '../handlers/ports.ts';
import { type Decision, decideApproval } from '../handlers/steps/approval.ts';
import type { Deps } from '../handlers/steps/deps.ts';
import { isStepName, steps } from '../handlers/steps/index.ts';

// aws-local-stepfunctions needs Promise.withResolvers (Node ≥ 22); npm scripts run Node 22, this keeps Node 20 working.
if (!('withResolvers' in Promise)) {
  Object.assign(Promise, {
    withResolvers<T>() {
      let resolve!: (value: T) => void;
      let reject!: (reason: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

const STATE_MACHINE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'state-machine');

export type MachineName = 'remediate' | 'rollback';

type AslState = {
  Type: string;
  Resource?: string;
  Parameters?: { FunctionName?: string };
  Retry?: unknown[];
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
};

/** The definition file as text, with its `${...}` placeholders still in (what CDK deploys with substitutions). */
export function definitionText(name: MachineName): string {
  return readFileSync(join(STATE_MACHINE_DIR, `${name}.asl.json`), 'utf8');
}

/** Local stand-ins for the deployment's substitutions: `${DiscoverFunctionArn}` → a Lambda ARN naming `Discover`. */
export const LOCAL_SUBSTITUTION = (key: string): string => {
  const step = /^(\w+)FunctionArn$/.exec(key)?.[1];
  if (step) return `arn:aws:lambda:us-east-1:000000000000:function:${step}`;
  return `arn:aws:states:us-east-1:000000000000:stateMachine:${key.replace(/StateMachineArn$/, '')}`;
};

export function loadDefinition(
  name: MachineName,
  substitute: (key: string) => string = LOCAL_SUBSTITUTION,
): { States: Record<string, AslState> } & Record<string, unknown> {
  return JSON.parse(definitionText(name).replace(/\$\{(\w+)\}/g, (_, key: string) => substitute(key)));
}

/** Every state, nested Map/Parallel states included, by name (names are unique across a definition). */
function allStates(states: Record<string, AslState>): [string, AslState][] {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...allStates((state.ItemProcessor ?? state.Iterator)?.States ?? {}),
  ]);
}

/** `arn:aws:lambda:…:function:Discover` → `Discover`. */
function stepOf(reference: string | undefined): string | undefined {
  return /^arn:aws:lambda:[^:]+:\d{12}:function:(\w+)$/.exec(reference ?? '')?.[1];
}

/**
 * Who decides an approval locally: the CLI's `--approve auto|reject|prompt|web`, or a test. It answers a decision,
 * which the runner records with `decideApproval`, or `'decided'` when it has already called `decideApproval` itself
 * with the request's `callbacks` (the `web` mode: the approval page's handler does), so the runner must not again.
 */
export type Approver = (request: ApprovalRequest) => Promise<Decision | 'decided'>;

export interface ApprovalRequest {
  remediationId: string;
  approvalId: string;
  /** The run's task callbacks: what settles the approval wait when `decideApproval` sends the token back. */
  callbacks: TaskCallbacks;
}

export interface StepEvent {
  state: string;
  step: string;
  output?: unknown;
  error?: { name: string; message: string };
}

export interface RunOptions {
  deps: Deps;
  approver?: Approver;
  /** Called after each Task finishes (narration, tests). */
  onStep?: (event: StepEvent) => void;
  executionName?: string;
}

export interface ExecutionResult {
  machine: MachineName;
  executionName: string;
  status: 'SUCCEEDED' | 'FAILED';
  output?: Record<string, unknown>;
  error?: string;
  cause?: string;
  /** State transitions as Step Functions bills them: every state entered. */
  transitions: number;
  /** Executions this one started (the rollback a failed remediation runs). */
  children: ExecutionResult[];
}

/** A Lambda-like failure: the error name is what Catch matches, the cause is the JSON Lambda would report. */
function lambdaError(error: unknown): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const reasons = (source as { reasons?: unknown }).reasons;
  const failure = new Error(
    JSON.stringify({
      errorType: source.name,
      errorMessage: source.message,
      ...(Array.isArray(reasons) ? { reasons } : {}),
    }),
  );
  failure.name = source.name === 'Error' ? 'Error' : source.name;
  return failure;
}

export function newExecutionName(prefix: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${prefix}-${stamp}-${randomBytes(4).toString('hex')}`;
}

const validatedDefinitions = new Set<string>();

export async function runMachine(machine: MachineName, input: unknown, options: RunOptions): Promise<ExecutionResult> {
  const definition = loadDefinition(machine);
  const executionName = options.executionName ?? newExecutionName(machine === 'remediate' ? 'rem' : 'rb');
  const children: ExecutionResult[] = [];
  const pendingTokens = new Map<string, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const callbacks: TaskCallbacks = {
    async succeed(token, output) {
      pendingTokens.get(token)?.resolve(output);
    },
    async fail(token, error, cause) {
      const failure = new Error(cause);
      failure.name = error;
      pendingTokens.get(token)?.reject(failure);
    },
  };

  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [stateName, state] of allStates(definition.States)) {
    if (state.Retry) retryIntervalOverrides[stateName] = 0;
    // aws-local-stepfunctions resolves TimeoutSecondsPath against the Parameters instead of the state input
    // (docs/decisions.md); locally the approval timeout is the settings' value, which is what the path holds.
    if (state.TimeoutSecondsPath) {
      delete state.TimeoutSecondsPath;
      state.TimeoutSeconds = options.deps.settings.approvalTimeoutSeconds;
    }
    if (state.Type !== 'Task') continue;
    const runStep = async (step: string, stepInput: unknown) => {
      if (!isStepName(step)) throw new Error(`${stateName}: no step named ${step}`);
      try {
        const output = await steps[step](stepInput, options.deps);
        options.onStep?.({ state: stateName, step, output });
        return output;
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        options.onStep?.({ state: stateName, step, error: { name: failure.name, message: failure.message } });
        throw lambdaError(failure);
      }
    };
    const direct = stepOf(state.Resource);
    if (direct) {
      handlers[stateName] = (stepInput) => runStep(direct, stepInput);
    } else if (state.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
      const step = stepOf(state.Parameters?.FunctionName) ?? '';
      handlers[stateName] = async (parameters) => {
        const payload = (parameters as { Payload: { taskToken: string; remediationId: string } }).Payload;
        const settled = new Promise((resolve, reject) => pendingTokens.set(payload.taskToken, { resolve, reject }));
        const { approvalId } = (await runStep(step, payload)) as { approvalId: string };
        const decision = options.approver
          ? await options.approver({ remediationId: payload.remediationId, approvalId, callbacks })
          : 'rejected';
        if (decision !== 'decided') await decideApproval(approvalId, decision, options.deps, callbacks);
        return settled;
      };
    } else if (state.Resource?.startsWith('arn:aws:states:::states:startExecution.sync')) {
      handlers[stateName] = async (parameters) => {
        const child = await runMachine('rollback', (parameters as { Input: unknown }).Input, {
          ...options,
          executionName: newExecutionName('rb'),
        });
        children.push(child);
        if (child.status === 'FAILED') {
          const failure = new Error(child.cause ?? 'The rollback failed.');
          failure.name = child.error ?? 'RollbackFailed';
          throw failure;
        }
        return { Status: 'SUCCEEDED', Output: child.output };
      };
    } else {
      throw new Error(
        `${machine}: state "${stateName}" has a resource the local runner cannot bind: ${state.Resource}`,
      );
    }
  }

  // Validating a definition compiles its JSON schema (most of a small run's time): validate each distinct
  // definition once per process, then construct without validating again.
  const text = JSON.stringify(definition);
  const stateMachine = new StateMachine(definition as never, {
    validationOptions: validatedDefinitions.has(text) ? { noValidate: true } : { checkPaths: true },
  });
  validatedDefinitions.add(text);
  const execution = stateMachine.run(input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
    context: {
      Execution: {
        Id: `arn:aws:states:local:000000000000:execution:${machine}:${executionName}`,
        Name: executionName,
        Input: input as never,
        StartTime: new Date().toISOString(),
      },
      Task: { Token: `local-task-token-${randomBytes(16).toString('hex')}` },
    },
  });
  let transitions = 0;
  const counting = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') transitions++;
    }
  })();
  try {
    const output = (await execution.result) as Record<string, unknown>;
    await counting;
    return { machine, executionName, status: 'SUCCEEDED', output, transitions, children };
  } catch (error) {
    await counting.catch(() => undefined);
    const cause = (error as { cause?: Error }).cause ?? (error as Error);
    return { machine, executionName, status: 'FAILED', error: cause.name, cause: cause.message, transitions, children };
  }
}
