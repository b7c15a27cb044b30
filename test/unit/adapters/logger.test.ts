import { describe, expect, it } from 'vitest';
import { createLogger, redact, silentLogger } from '../../../handlers/adapters/logger.ts';

function capture() {
  const lines: string[] = [];
  const write = (line: string) => {
    lines.push(line);
  };
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { lines, write, parsed };
}

describe('createLogger', () => {
  it('writes one JSON line per call with level, message, time, base and fields', () => {
    const out = capture();
    const logger = createLogger({ service: 'remediate', remediationId: 'r-1' }, out.write);
    logger.info('discovered', { interfaces: 3 });
    logger.warn('slow');
    logger.error('failed', { step: 'strip' });
    expect(out.lines).toHaveLength(3);
    for (const line of out.lines) {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.indexOf('\n')).toBe(line.length - 1);
    }
    const [info, warn, error] = out.parsed();
    expect(info).toEqual({
      level: 'info',
      message: 'discovered',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      service: 'remediate',
      remediationId: 'r-1',
      interfaces: 3,
    });
    expect(Object.keys(info ?? {}).slice(0, 3)).toEqual(['level', 'message', 'time']);
    expect(warn).toMatchObject({ level: 'warn', message: 'slow', service: 'remediate' });
    expect(error).toMatchObject({ level: 'error', message: 'failed', step: 'strip' });
  });

  it('redacts tokens, approval ids, secrets and passwords at any depth', () => {
    const out = capture();
    const logger = createLogger({ approvalId: 'ap-base' }, out.write);
    logger.info('approval created', {
      taskToken: 'AAAA-task-token',
      TOKEN: 'x1',
      nextToken: 'x2',
      approval: { approvalId: 'ap-secret-id', remediationId: 'r-1', status: 'pending' },
      list: [{ clientSecret: 's3cr3t' }, { dbPassword: 'hunter2' }, 'plain'],
      lock: { holder: { token: 'lock-token', kind: 'remediation' } },
    });
    const line = out.lines[0] ?? '';
    for (const secret of [
      'ap-base',
      'AAAA-task-token',
      'x1',
      'x2',
      'ap-secret-id',
      's3cr3t',
      'hunter2',
      'lock-token',
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(out.parsed()[0]).toMatchObject({
      approvalId: '[redacted]',
      taskToken: '[redacted]',
      approval: { approvalId: '[redacted]', remediationId: 'r-1', status: 'pending' },
      list: [{ clientSecret: '[redacted]' }, { dbPassword: '[redacted]' }, 'plain'],
      lock: { holder: { token: '[redacted]', kind: 'remediation' } },
    });
  });

  it('logs errors with name, message and properties, redacted, including their cause', () => {
    const out = capture();
    const cause = Object.assign(new Error('inner'), { taskToken: 'inner-token' });
    const error = Object.assign(new Error('outer', { cause }), { name: 'TaskTimedOut', approvalId: 'ap-9', code: 'X' });
    createLogger({}, out.write).error('failed', { error });
    expect(out.lines[0]).not.toContain('inner-token');
    expect(out.lines[0]).not.toContain('ap-9');
    expect(out.parsed()[0]?.error).toMatchObject({
      name: 'TaskTimedOut',
      message: 'outer',
      code: 'X',
      approvalId: '[redacted]',
      stack: expect.any(String),
      cause: { name: 'Error', message: 'inner', taskToken: '[redacted]' },
    });
  });

  it('does not let fields override level, message or time, and survives cycles and bigints', () => {
    const out = capture();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    createLogger({}, out.write).warn('real message', { level: 'info', message: 'fake', cyclic, big: 10n });
    expect(out.parsed()[0]).toMatchObject({
      level: 'warn',
      message: 'real message',
      cyclic: { name: 'loop', self: '[circular]' },
      big: '10',
    });
  });

  it('does not change the objects it is given', () => {
    const fields = { nested: { token: 'keep-me' } };
    createLogger({}, () => {}).info('x', fields);
    expect(fields.nested.token).toBe('keep-me');
    expect(redact(fields)).toEqual({ nested: { token: '[redacted]' } });
  });
});

describe('silentLogger', () => {
  it('accepts every call and writes nothing', () => {
    expect(() => {
      silentLogger.info('a', { taskToken: 't' });
      silentLogger.warn('b');
      silentLogger.error('c');
    }).not.toThrow();
  });
});
