/**
 * The local runner: executes the very ASL files that CDK deploys with `aws-local-stepfunctions`, binding every Task
 * to its step in-process, supplying task tokens, settling the approval wait, and running the rollback state machine
 * where the remediation or the tightening starts it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';
import type { VirtualClock } from '../handlers/adapters/local/virtual-clock.ts';
import type { TaskCallbacks } from '../handlers/ports.ts';
import { type Decision, decideApproval } from '../handlers/steps/approval.ts';
import { auditSteps, isAuditStepName } from '../handlers/steps/audit.ts';
import type { Deps } from '../handlers/steps/deps.ts';
import { isStepName, type Step, steps } from '../handlers/steps/index.ts';

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

export type MachineName = 'remediate' | 'rollback' | 'tighten' | 'audit';

type Retrier = {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
};

type AslState = {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Retry?: Retrier[];
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
  /**
   * The clock Step Functions' retry waits pass on (a virtual clock in the benchmark; locally the executor itself
   * does not wait). Without one, retries are immediate and take no time.
   */
  clock?: Pick<VirtualClock, 'now' | 'advance'>;
  /** Random numbers in [0, 1) for the retriers' full jitter (seeded in the benchmark). */
  random?: () => number;
  /**
   * Aborted when the process is ending (a signal, a closed pipe, an uncaught error: cli/endings.ts). From then on every
   * step that goes forward fails with `Interrupted`, so the definition's own Catch rolls back what was done and releases
   * the lock; steps that roll back, report or release still run. A wait for approval ends at once.
   */
  signal?: AbortSignal;
}

/** Steps that move a remediation forward: not started once the run is interrupted. */
const FORWARD_STEPS = new Set([
  'Discover',
  'SaveSnapshot',
  'CreateReplacement',
  'AddReferences',
  'MoveInterfaces',
  'RequestApproval',
  'Recheck',
  'Strip',
  'Verify',
  'ParseTighten',
  'ProposeTightening',
  'SaveTightening',
  'RequestTightening',
  'AddProposedRules',
  'RecheckTightening',
  'RevokeBroadRules',
  'VerifyTightening',
]);

/** What a forward step fails with once the process is ending. */
export function interruptedError(signal: AbortSignal): Error {
  const error = new Error(`The command line was interrupted (${String(signal.reason ?? 'abort')}) before this step.`);
  error.name = 'Interrupted';
  return error;
}

/** Settles when `signal` aborts (never, without one). */
function whenAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return;
    if (signal.aborted) reject(interruptedError(signal));
    else signal.addEventListener('abort', () => reject(interruptedError(signal)), { once: true });
  });
}

/** What an execution cost, counted as Step Functions and Lambda count it (docs/decisions.md, "Benchmark"). */
export interface ExecutionMetrics {
  /** History events as AWS would record them (estimated from the local event log; see historyEventEstimate). */
  historyEvents: number;
  /** Lambda invocations, retries included, with their duration: time waited on the clock plus compute time. */
  invocations: { step: string; ms: number }[];
  /** Retries Step Functions made (each is also an invocation and a state transition in AWS). */
  retries: number;
  /** The largest state input or output, in bytes of JSON. */
  maxPayloadBytes: number;
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
  metrics: ExecutionMetrics;
}

const MIRRORED_EVENTS = new Set([
  'ExecutionStarted',
  'ExecutionSucceeded',
  'ExecutionFailed',
  'StateEntered',
  'StateExited',
  'MapIterationStarted',
  'MapIterationSucceeded',
  'MapIterationFailed',
]);

/** Step Functions' wait before retry `attempt` (0-based) of `retrier`, full jitter drawn from `random`. */
export function retryDelayMs(retrier: Retrier, attempt: number, random: () => number): number {
  const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
  const capped = Math.min(interval, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY) * 1000;
  return retrier.JitterStrategy === 'FULL' ? random() * capped : capped;
}

function retrierFor(state: AslState, errorName: string): number {
  return (state.Retry ?? []).findIndex((retrier) =>
    retrier.ErrorEquals.some(
      (name) =>
        name === errorName || name === 'States.ALL' || (name === 'States.TaskFailed' && errorName !== 'States.Timeout'),
    ),
  );
}

/**
 * The TimeoutSeconds the executor itself is given: longer than any wait here (the runner applies each Task's own
 * timeout, on the run's clock) and short enough for setTimeout, which fires at once past 2^31 − 1 ms.
 */
const EXECUTOR_TIMEOUT_SECONDS = 20 * 86400;
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * What a Task that ran past its TimeoutSeconds fails with (https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html:
 * "If the task runs longer than the specified seconds, this state fails with a States.Timeout error").
 */
function statesTimeout(seconds: number): Error {
  const error = new Error(`The task did not finish within its TimeoutSeconds (${seconds} s).`);
  error.name = 'States.Timeout';
  return error;
}

/**
 * A Task's timeout, as AWS resolves it: TimeoutSeconds, or TimeoutSecondsPath against the state input. The executor
 * resolves the path against the Task's Parameters instead, so the runner moves the path into the Parameters
 * (`wrapTimeoutPath`), where it is resolved against the state input as AWS does, and unwraps it in the handler.
 */
type TaskTimeout = { seconds: number } | { path: string };

const TIMEOUT_FIELD = 'timeoutSeconds';
const INPUT_FIELD = 'input';

function wrapTimeoutPath(state: AslState, path: string): void {
  state.Parameters = state.Parameters
    ? { [INPUT_FIELD]: state.Parameters, [`${TIMEOUT_FIELD}.$`]: path }
    : { [`${INPUT_FIELD}.$`]: '$', [`${TIMEOUT_FIELD}.$`]: path };
}

/** The Task's input and its timeout in seconds; a path that is not a positive integer fails as in AWS. */
function unwrapTimeout(timeout: TaskTimeout, raw: unknown): { input: unknown; seconds: number } {
  if ('seconds' in timeout) return { input: raw, seconds: timeout.seconds };
  const { input, timeoutSeconds } = raw as { input: unknown; timeoutSeconds: unknown };
  if (!Number.isInteger(timeoutSeconds) || (timeoutSeconds as number) < 1) {
    const error = new Error(`TimeoutSecondsPath ${timeout.path} is not a positive integer: ${String(timeoutSeconds)}`);
    error.name = 'States.Runtime';
    throw error;
  }
  return { input, seconds: timeoutSeconds as number };
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

/**
 * The child execution as `startExecution.sync:2` answers it: DescribeExecution's output, with Input and Output as JSON
 * rather than strings (https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html;
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html). A failed child's
 * Error and Cause are in it.
 */
function describeExecution(
  child: ExecutionResult,
  parameters: { StateMachineArn: string; Input: unknown },
  startDate: number,
  stopDate: number,
): Record<string, unknown> {
  return {
    ExecutionArn: executionArn(parameters.StateMachineArn, child.executionName),
    StateMachineArn: parameters.StateMachineArn,
    Name: child.executionName,
    Status: child.status,
    StartDate: startDate,
    StopDate: stopDate,
    Input: parameters.Input,
    InputDetails: { Included: true },
    ...(child.status === 'SUCCEEDED'
      ? { Output: child.output, OutputDetails: { Included: true } }
      : { Error: child.error, Cause: child.cause }),
  };
}

/** `arn:…:stateMachine:<machine>` + name → `arn:…:execution:<machine>:<name>`. */
function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export function newExecutionName(prefix: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${prefix}-${stamp}-${randomBytes(4).toString('hex')}`;
}

const validatedDefinitions = new Set<string>();

const EXECUTION_PREFIXES: Record<MachineName, string> = {
  remediate: 'rem',
  rollback: 'rb',
  tighten: 'tgt',
  audit: 'audit',
};

/** The step a Task's Resource names: a remediation or rollback step, or one of the organization audit's. */
function stepNamed(step: string): Step | undefined {
  if (isStepName(step)) return steps[step];
  if (isAuditStepName(step)) return auditSteps[step];
  return undefined;
}

export async function runMachine(machine: MachineName, input: unknown, options: RunOptions): Promise<ExecutionResult> {
  const definition = loadDefinition(machine);
  const executionName = options.executionName ?? newExecutionName(EXECUTION_PREFIXES[machine]);
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
  const invocations: ExecutionMetrics['invocations'] = [];
  const clock = options.clock;
  const random = options.random ?? Math.random;
  /** Per state and retrier, the retries made since the state was last entered (they reset on success). */
  const attempts = new Map<string, number[]>();
  let integrationTasks = 0;
  /**
   * Runs one attempt of a Task within its timeout, on the run's clock: with a virtual clock, an attempt that took
   * longer on it than the timeout fails with States.Timeout once it returns (in AWS the work goes on after the state
   * timed out, so its effects stay); on the real clock, the attempt is abandoned when the timeout fires.
   */
  const withinTimeout = async <T>(seconds: number, attempt: () => Promise<T>): Promise<T> => {
    if (clock) {
      const started = clock.now();
      const outcome = await attempt().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      if (clock.now() - started > seconds * 1000) throw statesTimeout(seconds);
      if ('error' in outcome) throw outcome.error;
      return outcome.value;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(statesTimeout(seconds)), Math.min(seconds * 1000, LONGEST_TIMER_MS));
    });
    try {
      return await Promise.race([attempt(), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
  for (const [stateName, state] of allStates(definition.States)) {
    if (state.Retry) retryIntervalOverrides[stateName] = 0;
    if (state.Type !== 'Task') continue;
    const timeout: TaskTimeout = state.TimeoutSecondsPath
      ? { path: state.TimeoutSecondsPath }
      : { seconds: state.TimeoutSeconds ?? 99999999 };
    if (state.TimeoutSecondsPath) wrapTimeoutPath(state, state.TimeoutSecondsPath);
    delete state.TimeoutSecondsPath;
    state.TimeoutSeconds = EXECUTOR_TIMEOUT_SECONDS;
    /** Counts a failed attempt against the Task's retrier; the wait AWS would make before the retry passes on the clock. */
    const countRetry = (errorName: string) => {
      // The executor retries at once (intervals overridden to 0).
      const index = retrierFor(state, errorName);
      const retrier = state.Retry?.[index];
      const made = attempts.get(stateName) ?? [];
      if (retrier && (made[index] ?? 0) < (retrier.MaxAttempts ?? 3)) {
        clock?.advance(retryDelayMs(retrier, made[index] ?? 0, random));
        made[index] = (made[index] ?? 0) + 1;
        attempts.set(stateName, made);
      } else {
        attempts.delete(stateName);
      }
    };
    const runStep = async (step: string, stepInput: unknown, seconds?: number) => {
      const handler = stepNamed(step);
      if (!handler) throw new Error(`${stateName}: no step named ${step}`);
      const started = performance.now();
      const waitedFrom = clock?.now() ?? 0;
      const record = () =>
        invocations.push({ step, ms: performance.now() - started + ((clock?.now() ?? 0) - waitedFrom) });
      const signal = options.signal;
      const invoke = (): Promise<unknown> =>
        signal?.aborted && FORWARD_STEPS.has(step)
          ? Promise.reject(interruptedError(signal))
          : handler(stepInput, options.deps);
      try {
        const output = await (seconds === undefined ? invoke() : withinTimeout(seconds, invoke));
        record();
        attempts.delete(stateName);
        options.onStep?.({ state: stateName, step, output });
        return output;
      } catch (error) {
        record();
        const failure = error instanceof Error ? error : new Error(String(error));
        options.onStep?.({ state: stateName, step, error: { name: failure.name, message: failure.message } });
        const thrown = failure.name === 'States.Timeout' ? failure : lambdaError(failure);
        countRetry(thrown.name);
        throw thrown;
      }
    };
    const direct = stepOf(state.Resource);
    if (direct) {
      handlers[stateName] = (raw) => {
        const { input, seconds } = unwrapTimeout(timeout, raw);
        return runStep(direct, input, seconds);
      };
    } else if (state.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
      const parametersOf = (state.Parameters?.[INPUT_FIELD] ?? state.Parameters) as { FunctionName?: string };
      const step = stepOf(parametersOf?.FunctionName) ?? '';
      handlers[stateName] = async (raw) => {
        integrationTasks++;
        const { input, seconds } = unwrapTimeout(timeout, raw);
        const payload = (input as { Payload: { taskToken: string; remediationId: string } }).Payload;
        const waitingSince = clock?.now();
        try {
          return await withinTimeout(seconds, async () => {
            const settled = new Promise((resolve, reject) => pendingTokens.set(payload.taskToken, { resolve, reject }));
            // A decision can settle it while the approver is still answering (a page deciding several runs at once):
            // it is awaited below; this only keeps Node from calling the rejection unhandled in between.
            settled.catch(() => undefined);
            const { approvalId } = (await runStep(step, payload)) as { approvalId: string };
            const decision = options.approver
              ? await Promise.race([
                  options.approver({ remediationId: payload.remediationId, approvalId, callbacks }),
                  whenAborted(options.signal),
                ]).catch(async (error: Error) => {
                  // Interrupted while waiting: the approval is voided, so no link or prompt can still approve it.
                  if (error.name === 'Interrupted')
                    await options.deps.ledger.decideApproval(
                      approvalId,
                      'rejected',
                      Math.floor(options.deps.now().getTime() / 1000),
                    );
                  throw error;
                })
              : 'rejected';
            if (decision !== 'decided') await decideApproval(approvalId, decision, options.deps, callbacks);
            // A decision after the deadline (on a virtual clock) settles nothing: the wait has timed out.
            if (clock && waitingSince !== undefined && clock.now() - waitingSince > seconds * 1000)
              throw statesTimeout(seconds);
            return settled;
          });
        } catch (error) {
          if ((error as Error).name === 'States.Timeout') countRetry('States.Timeout');
          throw error;
        }
      };
    } else if (state.Resource?.startsWith('arn:aws:states:::states:startExecution.sync')) {
      handlers[stateName] = async (raw) => {
        integrationTasks++;
        const { input, seconds } = unwrapTimeout(timeout, raw);
        const parameters = input as { StateMachineArn: string; Input: unknown };
        const startDate = clock?.now() ?? Date.now();
        const child = await withinTimeout(seconds, () =>
          runMachine('rollback', parameters.Input, { ...options, executionName: newExecutionName('rb') }).then(
            (result) => {
              children.push(result);
              return result;
            },
          ),
        );
        const described = describeExecution(child, parameters, startDate, clock?.now() ?? Date.now());
        if (child.status === 'SUCCEEDED') return described;
        // As AWS delivers a failed child of `.sync`: States.TaskFailed, the child's DescribeExecution output as cause.
        const failure = new Error(JSON.stringify(described));
        failure.name = 'States.TaskFailed';
        throw failure;
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
  let retries = 0;
  let logged = 0;
  let mapStates = 0;
  let maxPayloadBytes = 0;
  const measure = (value: unknown) => {
    maxPayloadBytes = Math.max(maxPayloadBytes, Buffer.byteLength(JSON.stringify(value ?? null), 'utf8'));
  };
  const counting = (async () => {
    for await (const event of execution.eventLogs) {
      if (MIRRORED_EVENTS.has(event.type)) logged++;
      if (event.type === 'StateEntered') {
        transitions++;
        measure(event.state.input);
        if (event.state.type === 'Map') mapStates++;
      } else if (event.type === 'StateExited') {
        measure(event.state.output);
      } else if (event.type === 'StateRetried') {
        retries++;
      }
    }
  })();
  const metrics = (): ExecutionMetrics => ({
    historyEvents: historyEventEstimate({
      logged,
      lambdaInvocations: invocations.length,
      integrationTasks,
      mapStates,
    }),
    invocations,
    retries,
    maxPayloadBytes,
  });
  try {
    const output = (await execution.result) as Record<string, unknown>;
    await counting;
    return { machine, executionName, status: 'SUCCEEDED', output, transitions, children, metrics: metrics() };
  } catch (error) {
    await counting.catch(() => undefined);
    const cause = (error as { cause?: Error }).cause ?? (error as Error);
    return {
      machine,
      executionName,
      status: 'FAILED',
      error: cause.name,
      cause: cause.message,
      transitions,
      children,
      metrics: metrics(),
    };
  }
}

/**
 * The events AWS would record in the execution history, from what the local executor logs. The local events with a
 * history event of their own in AWS (MIRRORED_EVENTS: execution start and end, state entered and exited, Map
 * iteration started and ended) count one each; AWS records, in addition: for each Lambda invocation (every attempt) LambdaFunctionScheduled,
 * LambdaFunctionStarted and LambdaFunctionSucceeded/Failed (3); for each service-integration Task (the approval's
 * waitForTaskToken, the rollback's startExecution.sync) TaskScheduled, TaskStarted, TaskSubmitted and
 * TaskSucceeded/Failed (4); for each Map state MapStateStarted and MapStateSucceeded/Failed (2). A retry shows in
 * AWS only as the invocation it makes.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 */
export function historyEventEstimate(counts: {
  logged: number;
  lambdaInvocations: number;
  integrationTasks: number;
  mapStates: number;
}): number {
  return counts.logged + 3 * counts.lambdaInvocations + 4 * counts.integrationTasks + 2 * counts.mapStates;
}
