/**
 * The CDK app (`cdk.json`: `npx tsx infra/app.ts`). Synthesizes offline, with no AWS account or credentials: the
 * stacks are environment-agnostic. Exits non-zero on invalid context (2), and on cdk-nag findings that are not
 * acknowledged or any other error annotation (1).
 */

import { buildApp } from './build.ts';
import { ConfigError } from './config.ts';

function main(): number {
  let built: ReturnType<typeof buildApp>;
  try {
    built = buildApp();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const assembly = built.app.synth();
  const errors = assembly.stacks.flatMap((stack) =>
    stack.messages
      .filter((message) => message.level === 'error')
      .map((message) => `${message.id}: ${message.entry.data}`),
  );
  if (errors.length > 0) {
    console.error(`Synthesis produced ${errors.length} error annotation(s):\n${errors.join('\n')}`);
    return 1;
  }
  return process.exitCode === undefined || process.exitCode === 0 ? 0 : Number(process.exitCode);
}

process.exitCode = main();
