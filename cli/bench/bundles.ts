/**
 * Each Lambda handler's bundle, built as the deployment builds it (infra/constructs/handler-function.ts: esbuild,
 * minified, CommonJS, node22, `@aws-sdk/*` left to the runtime's SDK), in bytes, source maps left out.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { STEP_SPECS } from '../../infra/steps.ts';

/** Handler name → entry file, as the stacks deploy them (infra/steps.ts and the links API). */
export function handlerEntries(): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const spec of Object.values(STEP_SPECS)) entries[spec.entry] = `handlers/lambda/${spec.entry}.ts`;
  entries.links = 'handlers/http/links.ts';
  return entries;
}

export async function bundleSizes(root: string): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const [name, entry] of Object.entries(handlerEntries()).sort(([a], [b]) => a.localeCompare(b))) {
    const result = await build({
      entryPoints: [join(root, entry)],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      external: ['@aws-sdk/*'],
      write: false,
      logLevel: 'silent',
    });
    sizes[name] = result.outputFiles.reduce((sum, output) => sum + output.contents.length, 0);
  }
  return sizes;
}
