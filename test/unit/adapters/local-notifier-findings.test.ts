import { describe, expect, it, vi } from 'vitest';
import { ConsoleNotifier } from '../../../handlers/adapters/local/console-notifier.ts';
import { NoopFindings } from '../../../handlers/adapters/local/noop-findings.ts';

describe('ConsoleNotifier', () => {
  it('prints one framed block with the subject and every line of the message', async () => {
    const written: string[] = [];
    await new ConsoleNotifier((text) => written.push(text)).publish({
      subject: 'Approval needed\nfor sg-123',
      message: 'Plan:\r\n- move eni-1\n- move eni-2\n\n',
    });
    expect(written).toHaveLength(1);
    const lines = (written[0] ?? '').split('\n');
    const rules = lines.filter((line) => /^=+$/.test(line));
    expect(rules).toHaveLength(2);
    const body = lines.slice(lines.indexOf(rules[0] ?? ''), lines.lastIndexOf(rules[1] ?? '') + 1);
    expect(body).toEqual([
      '='.repeat(78),
      'NOTIFICATION  Approval needed for sg-123',
      '-'.repeat(78),
      'Plan:',
      '- move eni-1',
      '- move eni-2',
      '='.repeat(78),
    ]);
  });

  it('lets no terminal escape or bidi control through: each is printed escaped', async () => {
    const written: string[] = [];
    await new ConsoleNotifier((text) => written.push(text)).publish({
      subject: 'Approve \u001b]0;owned\u0007 sg-123',
      message: 'eni-1: "\u001b[2J\u001b[1;1HAll clear"\nrule \u202Eevil',
    });
    const printed = written[0] ?? '';
    expect(printed).not.toContain('\u001b');
    expect(printed).not.toContain('\u0007');
    expect(printed).not.toContain('\u202E');
    expect(printed).toContain('NOTIFICATION  Approve \\u{001B}]0;owned\\u{0007} sg-123');
    expect(printed).toContain('eni-1: "\\u{001B}[2J\\u{001B}[1;1HAll clear"\nrule \\u{202E}evil');
  });

  it('writes to stderr by default, not stdout', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write');
    try {
      await new ConsoleNotifier().publish({ subject: 'S', message: 'M' });
      expect(stderr).toHaveBeenCalledTimes(1);
      expect(String(stderr.mock.calls[0]?.[0])).toContain('NOTIFICATION  S');
      expect(stdout).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
  });
});

describe('NoopFindings', () => {
  it('records each update in order, as copies', async () => {
    const findings = new NoopFindings();
    const finding = { findingId: 'f-1', productArn: 'arn:p' };
    await findings.update(finding, { workflowStatus: 'NOTIFIED', note: 'waiting for approval' });
    await findings.update(finding, { workflowStatus: 'RESOLVED', note: 'done' });
    finding.findingId = 'mutated';
    expect(findings.updates).toEqual([
      {
        finding: { findingId: 'f-1', productArn: 'arn:p' },
        change: { workflowStatus: 'NOTIFIED', note: 'waiting for approval' },
      },
      { finding: { findingId: 'f-1', productArn: 'arn:p' }, change: { workflowStatus: 'RESOLVED', note: 'done' } },
    ]);
  });
});
