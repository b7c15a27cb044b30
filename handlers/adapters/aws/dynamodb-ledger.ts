import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type {
  ApprovalRecord,
  ApprovalStatus,
  DigestEntry,
  DigestRecord,
  Ledger,
  LockHolder,
  LockResult,
  RemediationRecord,
  RollbackLinkRecord,
  RollbackLinkStatus,
} from '../../ports.ts';
import { explainingSend } from './sdk-errors.ts';

type Item = Record<string, AttributeValue>;

/** Approvals (and locks) stay readable this long after they expire, then DynamoDB TTL removes them. */
export const TTL_GRACE_SECONDS = 7 * 24 * 60 * 60;

/** An item in the table that does not have the shape this adapter writes. */
export class LedgerItemError extends Error {
  constructor(pk: string, reason: string) {
    super(`ledger item ${pk} is malformed: ${reason}`);
    this.name = 'LedgerItemMalformed';
  }
}

export const lockPk = (lockKey: string) => `lock#${lockKey}`;
export const remediationPk = (remediationId: string) => `remediation#${remediationId}`;
export const approvalPk = (approvalId: string) => `approval#${approvalId}`;
export const rollbackLinkPk = (linkId: string) => `rollback-link#${linkId}`;
/** A batch window of approval digests (`digest-window#<start>`), and the list of open ones (`digest-window#open`). */
export const digestWindowPk = (windowStart: number | '*' | 'open') => `digest-window#${windowStart}`;
export const digestPk = (digestId: string) => `digest#${digestId}`;

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

/** The attributes of `fields` whose value is defined, as string attributes. */
function strings(fields: Record<string, string | undefined>): Item {
  const item: Item = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) item[name] = S(value);
  return item;
}

function readString(item: Item, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new LedgerItemError(item.pk?.S ?? '?', `missing string attribute ${name}`);
  return value;
}

function readOptionalString(item: Item, name: string): string | undefined {
  return item[name]?.S;
}

function readNumber(item: Item, name: string): number {
  const value = Number(item[name]?.N);
  if (item[name]?.N === undefined || !Number.isFinite(value)) {
    throw new LedgerItemError(item.pk?.S ?? '?', `missing number attribute ${name}`);
  }
  return value;
}

function isConditionFailure(error: unknown): error is { name: string; Item?: Item } {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'ConditionalCheckFailedException'
  );
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined)) as T;
}

function toLockHolder(item: Item): LockHolder {
  const kind = readString(item, 'kind');
  if (kind !== 'remediation' && kind !== 'rollback') throw new LedgerItemError(readString(item, 'pk'), `kind ${kind}`);
  return {
    remediationId: readString(item, 'remediationId'),
    token: readString(item, 'token'),
    kind,
    expiresAt: readNumber(item, 'expiresAt'),
    ...(item.failedRollback?.BOOL === true ? { failedRollback: true } : {}),
  };
}

function toRemediation(item: Item): RemediationRecord {
  return withoutUndefined({
    remediationId: readString(item, 'remediationId'),
    accountId: readString(item, 'accountId'),
    region: readString(item, 'region'),
    groupId: readString(item, 'groupId'),
    vpcId: readOptionalString(item, 'vpcId'),
    findingId: readOptionalString(item, 'findingId'),
    productArn: readOptionalString(item, 'productArn'),
    status: readString(item, 'status'),
    replacementGroupId: readOptionalString(item, 'replacementGroupId'),
    updatedAt: readString(item, 'updatedAt'),
  });
}

const APPROVAL_STATUSES: readonly string[] = ['pending', 'approved', 'rejected', 'expired'] satisfies ApprovalStatus[];

function toApproval(item: Item): ApprovalRecord {
  const status = readString(item, 'status');
  if (!APPROVAL_STATUSES.includes(status)) throw new LedgerItemError(readString(item, 'pk'), `status ${status}`);
  return withoutUndefined({
    approvalId: readString(item, 'approvalId'),
    remediationId: readString(item, 'remediationId'),
    taskToken: readString(item, 'taskToken'),
    status: status as ApprovalStatus,
    expiresAt: readNumber(item, 'expiresAt'),
    createdAt: readString(item, 'createdAt'),
    decidedAt: readOptionalString(item, 'decidedAt'),
  });
}

const ROLLBACK_LINK_STATUSES: readonly string[] = ['pending', 'used', 'expired'] satisfies RollbackLinkStatus[];

function parseEntry(pk: string, text: string): DigestEntry {
  try {
    const entry = JSON.parse(text) as DigestEntry;
    if (entry.kind === 'approval' || entry.kind === 'outcome') return entry;
  } catch {
    // reported below
  }
  throw new LedgerItemError(pk, 'a digest entry is not one this adapter writes');
}

function toDigest(item: Item): DigestRecord {
  const pk = readString(item, 'pk');
  const entries = JSON.parse(readString(item, 'entries')) as unknown;
  if (!Array.isArray(entries)) throw new LedgerItemError(pk, 'entries is not a list');
  return {
    digestId: readString(item, 'digestId'),
    windowStart: readNumber(item, 'windowStart'),
    entries: entries.map((entry) => parseEntry(pk, JSON.stringify(entry))),
    createdAt: readString(item, 'createdAt'),
    expiresAt: readNumber(item, 'expiresAt'),
    csrfSecret: readString(item, 'csrfSecret'),
  };
}

function toRollbackLink(item: Item): RollbackLinkRecord {
  const status = readString(item, 'status');
  if (!ROLLBACK_LINK_STATUSES.includes(status)) throw new LedgerItemError(readString(item, 'pk'), `status ${status}`);
  return withoutUndefined({
    linkId: readString(item, 'linkId'),
    remediationId: readString(item, 'remediationId'),
    status: status as RollbackLinkStatus,
    expiresAt: readNumber(item, 'expiresAt'),
    createdAt: readString(item, 'createdAt'),
    csrfSecret: readString(item, 'csrfSecret'),
    usedAt: readOptionalString(item, 'usedAt'),
    executionArn: readOptionalString(item, 'executionArn'),
  });
}

/**
 * A {@link Ledger} in one DynamoDB table whose only key is the string partition key `pk`:
 * `lock#<key>`, `remediation#<id>`, `approval#<id>` and `rollback-link#<id>` items. Every decision is a single conditional write, so two
 * callers racing for a lock, an approval or a rollback link cannot both win. Reads are strongly consistent. Approval,
 * rollback link and lock items carry `ttl` (epoch seconds: expiry + 7 days) for the table's TTL setting.
 */
export class DynamoDbLedger implements Ledger {
  private readonly send: DynamoDBClient['send'];

  constructor(
    client: DynamoDBClient,
    readonly tableName: string,
  ) {
    this.send = explainingSend(client, 'JSON');
  }

  async acquireLock(lockKey: string, holder: LockHolder, nowEpochSeconds: number): Promise<LockResult> {
    const pk = lockPk(lockKey);
    // A failed condition returns the item that blocked it; if it vanished before we could read it, try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              pk: S(pk),
              lockKey: S(lockKey),
              remediationId: S(holder.remediationId),
              token: S(holder.token),
              kind: S(holder.kind),
              expiresAt: N(holder.expiresAt),
              ttl: N(holder.expiresAt + TTL_GRACE_SECONDS),
            },
            // A rollback may also take over the lock a failed rollback of the same remediation left (a re-run); that
            // lock never expires for anyone else. A remediation may take its own lock again: its id is its execution's
            // name, so a lock held by that id was taken by an attempt that crashed before it could answer (I5).
            ConditionExpression:
              holder.kind === 'rollback'
                ? 'attribute_not_exists(pk) OR (expiresAt < :now AND attribute_not_exists(failedRollback)) OR #token = :token OR (failedRollback = :true AND remediationId = :remediationId)'
                : 'attribute_not_exists(pk) OR (expiresAt < :now AND attribute_not_exists(failedRollback)) OR #token = :token OR (#kind = :remediation AND remediationId = :remediationId AND attribute_not_exists(failedRollback))',
            ExpressionAttributeNames: { '#token': 'token', ...(holder.kind === 'rollback' ? {} : { '#kind': 'kind' }) },
            ExpressionAttributeValues: {
              ':now': N(nowEpochSeconds),
              ':token': S(holder.token),
              ':remediationId': S(holder.remediationId),
              ...(holder.kind === 'rollback' ? { ':true': { BOOL: true } } : { ':remediation': S('remediation') }),
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { acquired: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const item = error.Item ?? (await this.getItem(pk));
        if (item === undefined) continue;
        const { token: _token, ...heldBy } = toLockHolder(item);
        return { acquired: false, heldBy };
      }
    }
    throw new Error(`lock ${lockKey} kept changing while being acquired`);
  }

  async releaseLock(lockKey: string, token: string): Promise<void> {
    try {
      await this.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: S(lockPk(lockKey)) },
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': S(token) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async keepLockForRollback(lockKey: string, token: string): Promise<void> {
    try {
      await this.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: S(lockPk(lockKey)) },
          // Kept until a rollback succeeds: without `ttl`, the table's TTL never deletes it.
          UpdateExpression: 'SET failedRollback = :true REMOVE #ttl',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#token': 'token', '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':token': S(token), ':true': { BOOL: true } },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async putRemediation(record: RemediationRecord): Promise<void> {
    await this.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: S(remediationPk(record.remediationId)),
          ...strings({
            remediationId: record.remediationId,
            accountId: record.accountId,
            region: record.region,
            groupId: record.groupId,
            vpcId: record.vpcId,
            findingId: record.findingId,
            productArn: record.productArn,
            status: record.status,
            replacementGroupId: record.replacementGroupId,
            updatedAt: record.updatedAt,
          }),
        },
      }),
    );
  }

  async getRemediation(remediationId: string): Promise<RemediationRecord | undefined> {
    const item = await this.getItem(remediationPk(remediationId));
    return item === undefined ? undefined : toRemediation(item);
  }

  async putApproval(record: ApprovalRecord): Promise<void> {
    await this.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: S(approvalPk(record.approvalId)),
          ...strings({
            approvalId: record.approvalId,
            remediationId: record.remediationId,
            taskToken: record.taskToken,
            status: record.status,
            createdAt: record.createdAt,
            decidedAt: record.decidedAt,
          }),
          expiresAt: N(record.expiresAt),
          ttl: N(record.expiresAt + TTL_GRACE_SECONDS),
        },
      }),
    );
  }

  async getApproval(approvalId: string): Promise<ApprovalRecord | undefined> {
    const item = await this.getItem(approvalPk(approvalId));
    return item === undefined ? undefined : toApproval(item);
  }

  async decideApproval(
    approvalId: string,
    status: 'approved' | 'rejected',
    nowEpochSeconds: number,
  ): Promise<{ decided: boolean; record?: ApprovalRecord }> {
    const pk = approvalPk(approvalId);
    try {
      const output = await this.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: S(pk) },
          UpdateExpression: 'SET #status = :status, decidedAt = :decidedAt',
          ConditionExpression: '#status = :pending AND expiresAt >= :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': S(status),
            ':decidedAt': S(new Date(nowEpochSeconds * 1000).toISOString()),
            ':pending': S('pending'),
            ':now': N(nowEpochSeconds),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { decided: true, ...(output.Attributes ? { record: toApproval(output.Attributes) } : {}) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const item = error.Item ?? (await this.getItem(pk));
      if (item === undefined) return { decided: false };
      const record = toApproval(item);
      if (record.status === 'pending' && record.expiresAt < nowEpochSeconds) record.status = 'expired';
      return { decided: false, record };
    }
  }

  async putRollbackLink(record: RollbackLinkRecord): Promise<void> {
    await this.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: S(rollbackLinkPk(record.linkId)),
          ...strings({
            linkId: record.linkId,
            remediationId: record.remediationId,
            status: record.status,
            createdAt: record.createdAt,
            csrfSecret: record.csrfSecret,
            usedAt: record.usedAt,
            executionArn: record.executionArn,
          }),
          expiresAt: N(record.expiresAt),
          ttl: N(record.expiresAt + TTL_GRACE_SECONDS),
        },
      }),
    );
  }

  async getRollbackLink(linkId: string): Promise<RollbackLinkRecord | undefined> {
    const item = await this.getItem(rollbackLinkPk(linkId));
    return item === undefined ? undefined : toRollbackLink(item);
  }

  async claimRollbackLink(
    linkId: string,
    nowEpochSeconds: number,
  ): Promise<{ claimed: boolean; record?: RollbackLinkRecord }> {
    const pk = rollbackLinkPk(linkId);
    try {
      const output = await this.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: S(pk) },
          UpdateExpression: 'SET #status = :used, usedAt = :usedAt',
          ConditionExpression: '#status = :pending AND expiresAt >= :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':used': S('used'),
            ':usedAt': S(new Date(nowEpochSeconds * 1000).toISOString()),
            ':pending': S('pending'),
            ':now': N(nowEpochSeconds),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: true, ...(output.Attributes ? { record: toRollbackLink(output.Attributes) } : {}) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const item = error.Item ?? (await this.getItem(pk));
      if (item === undefined) return { claimed: false };
      const record = toRollbackLink(item);
      if (record.status === 'pending' && record.expiresAt < nowEpochSeconds) record.status = 'expired';
      return { claimed: false, record };
    }
  }

  /**
   * The window is listed as open first, then the entry joins it (a string set of JSON entries: a retried join adds
   * nothing twice): a crash between the two leaves an open window without the entry, which the sender closes empty.
   * An item is at most 400 KB (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html):
   * a window that full refuses the entry with a ValidationException, and the run sends its own notice.
   */
  async joinDigestWindow(windowStart: number, entry: DigestEntry, expiresAt: number): Promise<boolean> {
    await this.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: S(digestWindowPk('open')) },
        UpdateExpression: 'ADD windows :start',
        ExpressionAttributeValues: { ':start': { NS: [String(windowStart)] } },
      }),
    );
    try {
      await this.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: S(digestWindowPk(windowStart)) },
          UpdateExpression:
            'SET #status = if_not_exists(#status, :open), windowStart = :start, expiresAt = :expiresAt, #ttl = :ttl ADD entries :entry',
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :open',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':open': S('open'),
            ':start': N(windowStart),
            ':expiresAt': N(expiresAt),
            ':ttl': N(expiresAt + TTL_GRACE_SECONDS),
            ':entry': { SS: [JSON.stringify(entry)] },
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      if ((error as { name?: unknown }).name === 'ValidationException') return false;
      throw error;
    }
  }

  async openDigestWindows(): Promise<number[]> {
    const item = await this.getItem(digestWindowPk('open'));
    return (item?.windows?.NS ?? []).map(Number).sort((a, b) => a - b);
  }

  async closeDigestWindow(windowStart: number, expiresAt: number): Promise<DigestEntry[] | undefined> {
    const pk = digestWindowPk(windowStart);
    let entries: DigestEntry[] | undefined;
    try {
      const output = await this.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: S(pk) },
          UpdateExpression: 'SET #status = :sent, windowStart = :start, #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(#status) OR #status = :open',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':sent': S('sent'),
            ':open': S('open'),
            ':start': N(windowStart),
            ':ttl': N(expiresAt + TTL_GRACE_SECONDS),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      entries = (output.Attributes?.entries?.SS ?? []).map((text) => parseEntry(pk, text));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    await this.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: S(digestWindowPk('open')) },
        UpdateExpression: 'DELETE windows :start',
        ExpressionAttributeValues: { ':start': { NS: [String(windowStart)] } },
      }),
    );
    return entries;
  }

  async putDigest(record: DigestRecord): Promise<void> {
    await this.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: S(digestPk(record.digestId)),
          ...strings({
            digestId: record.digestId,
            createdAt: record.createdAt,
            csrfSecret: record.csrfSecret,
            entries: JSON.stringify(record.entries),
          }),
          windowStart: N(record.windowStart),
          expiresAt: N(record.expiresAt),
          ttl: N(record.expiresAt + TTL_GRACE_SECONDS),
        },
      }),
    );
  }

  async getDigest(digestId: string): Promise<DigestRecord | undefined> {
    const item = await this.getItem(digestPk(digestId));
    return item === undefined ? undefined : toDigest(item);
  }

  private async getItem(pk: string): Promise<Item | undefined> {
    const output = await this.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: S(pk) }, ConsistentRead: true }),
    );
    return output.Item;
  }
}
