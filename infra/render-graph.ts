/**
 * Renders the state machine definitions as pictures: `docs/diagrams/<name>.svg` from `state-machine/<name>.asl.json`
 * (and the rollback custom action's machine from infra/rollback-action.ts), through Graphviz `dot`.
 *
 *   npx tsx infra/render-graph.ts            # needs `dot` (apt-get install graphviz); writes the SVGs
 *   npx tsx infra/render-graph.ts --dot      # prints the DOT sources only
 *
 * The SVGs are committed (CI has no Graphviz and does not run this); re-run it after changing a definition.
 * Tasks are boxes (named by the step they call), Choice states diamonds, Map states clusters, Succeed/Fail ovals;
 * plain arrows are Next/Default/choices, dashed red arrows are Catch (labelled with the errors).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './constructs/handler-function.ts';
import { ROLLBACK_ACTION_TEXT } from './rollback-action.ts';

interface State {
  Type: string;
  Comment?: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string; Variable?: string; [key: string]: unknown }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  ItemProcessor?: { StartAt: string; States: Record<string, State> };
  Iterator?: { StartAt: string; States: Record<string, State> };
  Branches?: { StartAt: string; States: Record<string, State> }[];
}

interface Definition {
  Comment?: string;
  StartAt: string;
  States: Record<string, State>;
}

const quote = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** `${DiscoverFunctionArn}` → Discover; `arn:aws:states:::states:startExecution.sync:2` → startExecution.sync. */
function taskLabel(state: State): string {
  const resource = String(state.Parameters?.FunctionName ?? state.Resource ?? '');
  const step = /^\$\{(\w+)FunctionArn\}$/.exec(resource)?.[1];
  if (step) return step;
  const service = /^arn:aws:states:::([\w-]+):([\w.]+?)(?::\d+)?$/.exec(resource);
  if (service) return `${service[1]}:${service[2]}`;
  return resource;
}

/** A short description of a Choice rule: the variable and the operator (e.g. `$.plan.status == "compliant"`). */
function choiceLabel(choice: Record<string, unknown>): string {
  const parts: string[] = [];
  const visit = (rule: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(rule)) {
      if (key === 'And' || key === 'Or') (value as Record<string, unknown>[]).forEach(visit);
      else if (key === 'Not') visit(value as Record<string, unknown>);
      else if (key !== 'Variable' && key !== 'Next')
        parts.push(`${String(rule.Variable ?? '')} ${key} ${JSON.stringify(value)}`);
    }
  };
  visit(choice);
  const text = parts.join(' & ');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function toDot(name: string, definition: Definition): string {
  const lines: string[] = [
    `digraph ${quote(name)} {`,
    '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, nodesep=0.3, ranksep=0.35, labelloc=t, label=' +
      `${quote(name)}];`,
    '  node [fontname="Helvetica", fontsize=10, shape=box, style="rounded,filled", fillcolor="#eef4fb", color="#4a6fa5"];',
    '  edge [fontname="Helvetica", fontsize=8, color="#555555"];',
    '  __start [shape=circle, label="", width=0.18, style=filled, fillcolor="#333333"];',
  ];
  let counter = 0;
  const ids = new Map<string, string>();
  const id = (state: string) => {
    let value = ids.get(state);
    if (!value) {
      value = `s${counter++}`;
      ids.set(state, value);
    }
    return value;
  };

  const emit = (states: Record<string, State>, indent: string) => {
    for (const [stateName, state] of Object.entries(states)) {
      const node = id(stateName);
      const inner = state.ItemProcessor ?? state.Iterator;
      if (inner) {
        lines.push(`${indent}subgraph cluster_${node} {`);
        lines.push(`${indent}  label=${quote(`Map: ${stateName}`)}; style="rounded,dashed"; color="#888888";`);
        lines.push(
          `${indent}  ${node} [label=${quote(stateName)}, shape=box, style="rounded,filled", fillcolor="#f4f4f4"];`,
        );
        emit(inner.States, `${indent}  `);
        lines.push(`${indent}}`);
        lines.push(`${indent}${node} -> ${id(inner.StartAt)} [style=dotted, label="each item"];`);
        continue;
      }
      const label = state.Type === 'Task' ? `${stateName}\\n[${taskLabel(state)}]` : stateName.replace(/"/g, '\\"');
      const attributes: Record<string, string> = {
        Task: 'shape=box',
        Choice: 'shape=diamond, style=filled, fillcolor="#fff6dd", color="#b8860b"',
        Pass: 'shape=box, style="rounded,dashed"',
        Wait: 'shape=box, style="rounded,dashed"',
        Succeed: 'shape=oval, style=filled, fillcolor="#e3f5e1", color="#2e7d32"',
        Fail: 'shape=oval, style=filled, fillcolor="#fbe3e3", color="#c62828"',
        Parallel: 'shape=box3d',
      };
      lines.push(
        `${indent}${node} [label="${label.replace(/"/g, '\\"').replace(/\\\\n/g, '\\n')}", ${attributes[state.Type] ?? ''}];`,
      );
    }
  };
  emit(definition.States, '  ');
  lines.push(`  __start -> ${id(definition.StartAt)};`);

  const edges = (states: Record<string, State>) => {
    for (const [stateName, state] of Object.entries(states)) {
      const from = id(stateName);
      if (state.Next) lines.push(`  ${from} -> ${id(state.Next)};`);
      for (const choice of state.Choices ?? [])
        lines.push(`  ${from} -> ${id(choice.Next)} [label=${quote(choiceLabel(choice))}];`);
      if (state.Default) lines.push(`  ${from} -> ${id(state.Default)} [label="default"];`);
      for (const handler of state.Catch ?? []) {
        lines.push(
          `  ${from} -> ${id(handler.Next)} [style=dashed, color="#c62828", fontcolor="#c62828", label=${quote(handler.ErrorEquals.join(', '))}];`,
        );
      }
      const inner = state.ItemProcessor ?? state.Iterator;
      if (inner) edges(inner.States);
    }
  };
  edges(definition.States);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

export const DIAGRAMS: { name: string; text: () => string }[] = [
  { name: 'remediate', text: () => readFileSync(join(PROJECT_ROOT, 'state-machine', 'remediate.asl.json'), 'utf8') },
  { name: 'rollback', text: () => readFileSync(join(PROJECT_ROOT, 'state-machine', 'rollback.asl.json'), 'utf8') },
  { name: 'rollback-from-finding', text: () => ROLLBACK_ACTION_TEXT },
];

function main(argv: string[]): void {
  const out = join(PROJECT_ROOT, 'docs', 'diagrams');
  mkdirSync(out, { recursive: true });
  for (const { name, text } of DIAGRAMS) {
    const dot = toDot(name, JSON.parse(text()) as Definition);
    if (argv.includes('--dot')) {
      process.stdout.write(dot);
      continue;
    }
    const svg = execFileSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
    writeFileSync(join(out, `${name}.svg`), svg);
    console.log(`docs/diagrams/${name}.svg`);
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main(process.argv.slice(2));
