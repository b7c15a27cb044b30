/** The terminal's approval: the question on stderr, "approve" approves, anything else rejects. */
import { createInterface } from 'node:readline/promises';
import type { Endings } from './endings.ts';
import type { Approver } from './runner.ts';

export function promptApprover(
  io: { stderr(text: string): void; endings?: Endings | undefined },
  question: (remediationId: string) => string,
): Approver {
  return async ({ remediationId }) => {
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    // Ctrl-C at the prompt reaches readline, not the process: passed on, so it ends the run as any Ctrl-C does.
    prompt.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
    try {
      const answer = await prompt.question(question(remediationId), io.endings ? { signal: io.endings.signal } : {});
      return answer.trim().toLowerCase() === 'approve' ? 'approved' : 'rejected';
    } finally {
      prompt.close();
      io.stderr('\n');
    }
  };
}
