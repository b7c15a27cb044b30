/** Resource ids in EC2's format (`sg-` / `sgr-` + 17 lower-case hex digits), seeded for reproducible runs. */
import { createHash, randomBytes } from 'node:crypto';

/** 8 hex digits (older resources) or 17 (current format). */
export const SG_ID = /^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const ENI_ID = /^eni-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const VPC_ID = /^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const SGR_ID = /^sgr-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const PCX_ID = /^pcx-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const ACCOUNT_ID = /^\d{12}$/;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A rule id that depends only on the group and the rule (rules loaded from a state file carry no ids). */
export function stableRuleId(groupId: string, ruleKey: string): string {
  return `sgr-${sha256Hex(`${groupId}|${ruleKey}`).slice(0, 17)}`;
}

/** New ids: a deterministic sequence when seeded, random otherwise; never one already taken. */
export class IdFactory {
  private counter = 0;

  constructor(
    private readonly seed: string | number | undefined,
    private readonly taken: (id: string) => boolean,
  ) {}

  next(prefix: 'sg' | 'sgr'): string {
    for (;;) {
      const hex =
        this.seed === undefined
          ? randomBytes(9).toString('hex').slice(0, 17)
          : sha256Hex(`${this.seed}|${prefix}|${this.counter++}`).slice(0, 17);
      const id = `${prefix}-${hex}`;
      if (!this.taken(id)) return id;
    }
  }
}
