import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbLedger } from '../../../handlers/adapters/aws/dynamodb-ledger.ts';
import type { ApprovalRecord, LockHolder, RollbackLinkRecord } from '../../../handlers/ports.ts';

const ddb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'us-east-1' });
const TABLE = 'ledger-table';
const ledger = () => new DynamoDbLedger(client, TABLE);
const WEEK = 7 * 24 * 60 * 60;

const holder: LockHolder = { remediationId: 'r-1', token: 'tok-1', kind: 'remediation', expiresAt: 2000 };

function conditionFailed(item?: Record<string, unknown>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: item as ConditionalCheckFailedException['Item'] } : {}),
  });
}

const otherLockItem = {
  pk: { S: 'lock#sg-1' },
  lockKey: { S: 'sg-1' },
  remediationId: { S: 'r-other' },
  token: { S: 'secret-other-token' },
  kind: { S: 'rollback' },
  expiresAt: { N: '5000' },
  ttl: { N: String(5000 + WEEK) },
};

const approval: ApprovalRecord = {
  approvalId: 'ap-1',
  remediationId: 'r-1',
  taskToken: 'task-token-1',
  status: 'pending',
  expiresAt: 3000,
  createdAt: '2025-01-01T00:00:00.000Z',
};

const approvalItem = (status: string, extra: Record<string, unknown> = {}) => ({
  pk: { S: 'approval#ap-1' },
  approvalId: { S: 'ap-1' },
  remediationId: { S: 'r-1' },
  taskToken: { S: 'task-token-1' },
  status: { S: status },
  expiresAt: { N: '3000' },
  createdAt: { S: '2025-01-01T00:00:00.000Z' },
  ttl: { N: String(3000 + WEEK) },
  ...extra,
});

beforeEach(() => {
  ddb.reset();
});

describe('DynamoDbLedger locks', () => {
  it('acquires with one conditional PutItem (free, expired, same token, or its own remediation taken by a crashed attempt)', async () => {
    ddb.on(PutItemCommand).resolves({});
    await expect(ledger().acquireLock('sg-1', holder, 1000)).resolves.toEqual({ acquired: true });
    const calls = ddb.commandCalls(PutItemCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: {
        pk: { S: 'lock#sg-1' },
        lockKey: { S: 'sg-1' },
        remediationId: { S: 'r-1' },
        token: { S: 'tok-1' },
        kind: { S: 'remediation' },
        expiresAt: { N: '2000' },
        ttl: { N: String(2000 + WEEK) },
      },
      ConditionExpression:
        'attribute_not_exists(pk) OR (expiresAt < :now AND attribute_not_exists(failedRollback)) OR #token = :token OR (#kind = :remediation AND remediationId = :remediationId AND attribute_not_exists(failedRollback))',
      ExpressionAttributeNames: { '#token': 'token', '#kind': 'kind' },
      ExpressionAttributeValues: {
        ':now': { N: '1000' },
        ':token': { S: 'tok-1' },
        ':remediationId': { S: 'r-1' },
        ':remediation': { S: 'remediation' },
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('answers who holds it, without the token, from the item returned by the failed condition', async () => {
    ddb.on(PutItemCommand).rejects(conditionFailed(otherLockItem));
    const result = await ledger().acquireLock('sg-1', holder, 1000);
    expect(result).toEqual({
      acquired: false,
      heldBy: { remediationId: 'r-other', kind: 'rollback', expiresAt: 5000 },
    });
    expect(JSON.stringify(result)).not.toContain('secret-other-token');
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('reads the holder with a consistent GetItem when the failure carries no item', async () => {
    ddb.on(PutItemCommand).rejects(conditionFailed());
    ddb.on(GetItemCommand).resolves({ Item: otherLockItem });
    const result = await ledger().acquireLock('sg-1', holder, 1000);
    expect(result).toEqual({
      acquired: false,
      heldBy: { remediationId: 'r-other', kind: 'rollback', expiresAt: 5000 },
    });
    expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'lock#sg-1' } },
      ConsistentRead: true,
    });
  });

  it('tries again when the blocking lock disappeared before it could be read', async () => {
    ddb.on(PutItemCommand).rejectsOnce(conditionFailed()).resolves({});
    ddb.on(GetItemCommand).resolves({});
    await expect(ledger().acquireLock('sg-1', holder, 1000)).resolves.toEqual({ acquired: true });
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(2);
  });

  it('passes other errors through', async () => {
    const throttled = new DynamoDBServiceException({
      name: 'ProvisionedThroughputExceededException',
      $fault: 'client',
      $metadata: {},
      message: 'slow down',
    });
    ddb.on(PutItemCommand).rejects(throttled);
    await expect(ledger().acquireLock('sg-1', holder, 1000)).rejects.toBe(throttled);
  });

  it('lets a rollback take over a lock a failed rollback of the same remediation left, and marks one on request', async () => {
    ddb.on(PutItemCommand).resolves({}).on(UpdateItemCommand).resolves({});
    await ledger().acquireLock('sg-1', { ...holder, kind: 'rollback' }, 1000);
    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression:
        'attribute_not_exists(pk) OR (expiresAt < :now AND attribute_not_exists(failedRollback)) OR #token = :token OR (failedRollback = :true AND remediationId = :remediationId)',
      ExpressionAttributeValues: { ':true': { BOOL: true }, ':remediationId': { S: 'r-1' } },
    });
    await ledger().keepLockForRollback('sg-1', 'tok-1');
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'lock#sg-1' } },
      UpdateExpression: 'SET failedRollback = :true REMOVE #ttl',
      ConditionExpression: '#token = :token',
      ExpressionAttributeNames: { '#token': 'token', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':token': { S: 'tok-1' }, ':true': { BOOL: true } },
    });
  });

  it('releases with a DeleteItem conditional on the token', async () => {
    ddb.on(DeleteItemCommand).resolves({});
    await ledger().releaseLock('sg-1', 'tok-1');
    expect(ddb.commandCalls(DeleteItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'lock#sg-1' } },
      ConditionExpression: '#token = :token',
      ExpressionAttributeNames: { '#token': 'token' },
      ExpressionAttributeValues: { ':token': { S: 'tok-1' } },
    });
  });

  it('treats a release by the wrong token (failed condition) as a no-op, but not other errors', async () => {
    ddb.on(DeleteItemCommand).rejectsOnce(conditionFailed());
    await expect(ledger().releaseLock('sg-1', 'wrong')).resolves.toBeUndefined();
    ddb
      .on(DeleteItemCommand)
      .rejects(new DynamoDBServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'no' }));
    await expect(ledger().releaseLock('sg-1', 'tok-1')).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});

describe('DynamoDbLedger remediation records', () => {
  it('writes only the defined attributes and reads them back', async () => {
    ddb.on(PutItemCommand).resolves({});
    await ledger().putRemediation({
      remediationId: 'r-1',
      accountId: '111122223333',
      region: 'eu-west-1',
      groupId: 'sg-1',
      vpcId: 'vpc-1',
      status: 'planned',
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
    const item = ddb.commandCalls(PutItemCommand)[0]?.args[0].input.Item;
    expect(item).toEqual({
      pk: { S: 'remediation#r-1' },
      remediationId: { S: 'r-1' },
      accountId: { S: '111122223333' },
      region: { S: 'eu-west-1' },
      groupId: { S: 'sg-1' },
      vpcId: { S: 'vpc-1' },
      status: { S: 'planned' },
      updatedAt: { S: '2025-01-01T00:00:00.000Z' },
    });

    ddb.on(GetItemCommand, { Key: { pk: { S: 'remediation#r-1' } } }).resolves({ Item: item });
    await expect(ledger().getRemediation('r-1')).resolves.toEqual({
      remediationId: 'r-1',
      accountId: '111122223333',
      region: 'eu-west-1',
      groupId: 'sg-1',
      vpcId: 'vpc-1',
      status: 'planned',
      updatedAt: '2025-01-01T00:00:00.000Z',
    });
  });

  it('answers undefined for an unknown id', async () => {
    ddb.on(GetItemCommand).resolves({});
    await expect(ledger().getRemediation('nope')).resolves.toBeUndefined();
  });
});

describe('DynamoDbLedger approvals', () => {
  it('stores approvals with a TTL of expiry + 7 days', async () => {
    ddb.on(PutItemCommand).resolves({});
    await ledger().putApproval(approval);
    expect(ddb.commandCalls(PutItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: approvalItem('pending'),
    });
  });

  it('reads an approval back', async () => {
    ddb.on(GetItemCommand).resolves({ Item: approvalItem('pending') });
    await expect(ledger().getApproval('ap-1')).resolves.toEqual(approval);
  });

  it('decides a pending approval with one conditional UpdateItem', async () => {
    ddb.on(UpdateItemCommand).resolves({
      Attributes: approvalItem('approved', { decidedAt: { S: '1970-01-01T00:41:40.000Z' } }),
    });
    const result = await ledger().decideApproval('ap-1', 'approved', 2500);
    expect(result).toEqual({
      decided: true,
      record: { ...approval, status: 'approved', decidedAt: '1970-01-01T00:41:40.000Z' },
    });
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'approval#ap-1' } },
      UpdateExpression: 'SET #status = :status, decidedAt = :decidedAt',
      ConditionExpression: '#status = :pending AND expiresAt >= :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': { S: 'approved' },
        ':decidedAt': { S: '1970-01-01T00:41:40.000Z' },
        ':pending': { S: 'pending' },
        ':now': { N: '2500' },
      },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('does not decide twice: answers the record as it was', async () => {
    const decided = approvalItem('rejected', { decidedAt: { S: '2025-01-01T00:10:00.000Z' } });
    ddb.on(UpdateItemCommand).rejects(conditionFailed(decided));
    await expect(ledger().decideApproval('ap-1', 'approved', 2500)).resolves.toEqual({
      decided: false,
      record: { ...approval, status: 'rejected', decidedAt: '2025-01-01T00:10:00.000Z' },
    });
  });

  it('reports a pending approval past its expiry as expired', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed(approvalItem('pending')));
    await expect(ledger().decideApproval('ap-1', 'approved', 3001)).resolves.toEqual({
      decided: false,
      record: { ...approval, status: 'expired' },
    });
  });

  it('reads the record when the failed condition carries none, and answers no record for an unknown id', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    ddb
      .on(GetItemCommand)
      .resolvesOnce({ Item: approvalItem('approved') })
      .resolves({});
    await expect(ledger().decideApproval('ap-1', 'rejected', 2500)).resolves.toEqual({
      decided: false,
      record: { ...approval, status: 'approved' },
    });
    await expect(ledger().decideApproval('ap-404', 'rejected', 2500)).resolves.toEqual({ decided: false });
    expect(ddb.commandCalls(GetItemCommand)[1]?.args[0].input.Key).toEqual({ pk: { S: 'approval#ap-404' } });
  });

  it('refuses a malformed item instead of guessing', async () => {
    ddb.on(GetItemCommand).resolves({ Item: approvalItem('maybe') });
    await expect(ledger().getApproval('ap-1')).rejects.toMatchObject({ name: 'LedgerItemMalformed' });
  });
});

describe('DynamoDbLedger rollback links', () => {
  const link: RollbackLinkRecord = {
    linkId: 'rl-1',
    remediationId: 'r-1',
    status: 'pending',
    expiresAt: 3000,
    createdAt: '2025-01-01T00:00:00.000Z',
    csrfSecret: 'csrf-secret-1',
  };
  const linkItem = (status: string, extra: Record<string, unknown> = {}) => ({
    pk: { S: 'rollback-link#rl-1' },
    linkId: { S: 'rl-1' },
    remediationId: { S: 'r-1' },
    status: { S: status },
    createdAt: { S: '2025-01-01T00:00:00.000Z' },
    csrfSecret: { S: 'csrf-secret-1' },
    expiresAt: { N: '3000' },
    ttl: { N: String(3000 + WEEK) },
    ...extra,
  });

  it('stores links under rollback-link#<id> with a TTL of expiry + 7 days, only defined attributes', async () => {
    ddb.on(PutItemCommand).resolves({});
    await ledger().putRollbackLink(link);
    await ledger().putRollbackLink({
      ...link,
      status: 'used',
      usedAt: '2025-01-02T00:00:00.000Z',
      executionArn: 'arn:x',
    });
    const calls = ddb.commandCalls(PutItemCommand);
    expect(calls[0]?.args[0].input).toEqual({ TableName: TABLE, Item: linkItem('pending') });
    expect(calls[1]?.args[0].input).toEqual({
      TableName: TABLE,
      Item: linkItem('used', { usedAt: { S: '2025-01-02T00:00:00.000Z' }, executionArn: { S: 'arn:x' } }),
    });
  });

  it('reads a link back with a consistent GetItem; unknown answers undefined', async () => {
    ddb
      .on(GetItemCommand)
      .resolvesOnce({ Item: linkItem('used', { executionArn: { S: 'arn:x' } }) })
      .resolves({});
    await expect(ledger().getRollbackLink('rl-1')).resolves.toEqual({ ...link, status: 'used', executionArn: 'arn:x' });
    await expect(ledger().getRollbackLink('rl-2')).resolves.toBeUndefined();
    expect(ddb.commandCalls(GetItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'rollback-link#rl-1' } },
      ConsistentRead: true,
    });
  });

  it('claims a pending, unexpired link with one conditional UpdateItem', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: linkItem('used', { usedAt: { S: '1970-01-01T00:41:40.000Z' } }) });
    await expect(ledger().claimRollbackLink('rl-1', 2500)).resolves.toEqual({
      claimed: true,
      record: { ...link, status: 'used', usedAt: '1970-01-01T00:41:40.000Z' },
    });
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'rollback-link#rl-1' } },
      UpdateExpression: 'SET #status = :used, usedAt = :usedAt',
      ConditionExpression: '#status = :pending AND expiresAt >= :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':used': { S: 'used' },
        ':usedAt': { S: '1970-01-01T00:41:40.000Z' },
        ':pending': { S: 'pending' },
        ':now': { N: '2500' },
      },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('does not claim twice: answers the record as it was', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed(linkItem('used', { usedAt: { S: '2025-01-01T01:00:00.000Z' } })));
    await expect(ledger().claimRollbackLink('rl-1', 2500)).resolves.toEqual({
      claimed: false,
      record: { ...link, status: 'used', usedAt: '2025-01-01T01:00:00.000Z' },
    });
  });

  it('reports a pending link past its expiry as expired', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed(linkItem('pending')));
    await expect(ledger().claimRollbackLink('rl-1', 3001)).resolves.toEqual({
      claimed: false,
      record: { ...link, status: 'expired' },
    });
  });

  it('reads the record when the failed condition carries none; unknown answers no record', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionFailed());
    ddb
      .on(GetItemCommand)
      .resolvesOnce({ Item: linkItem('used') })
      .resolves({});
    await expect(ledger().claimRollbackLink('rl-1', 2500)).resolves.toEqual({
      claimed: false,
      record: { ...link, status: 'used' },
    });
    await expect(ledger().claimRollbackLink('rl-404', 2500)).resolves.toEqual({ claimed: false });
  });

  it('passes other errors through, and refuses a malformed item', async () => {
    ddb.on(UpdateItemCommand).rejects(
      new DynamoDBServiceException({
        name: 'ProvisionedThroughputExceededException',
        $fault: 'client',
        $metadata: {},
      }),
    );
    await expect(ledger().claimRollbackLink('rl-1', 2500)).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
    });
    ddb.on(GetItemCommand).resolves({ Item: linkItem('maybe') });
    await expect(ledger().getRollbackLink('rl-1')).rejects.toMatchObject({ name: 'LedgerItemMalformed' });
    const { csrfSecret: _secret, ...withoutSecret } = linkItem('pending');
    ddb.on(GetItemCommand).resolves({ Item: withoutSecret });
    await expect(ledger().getRollbackLink('rl-1')).rejects.toMatchObject({ name: 'LedgerItemMalformed' });
  });
});

describe('DynamoDbLedger digest windows', () => {
  beforeEach(() => ddb.reset());
  const entry = { kind: 'approval' as const, remediationId: 'r-1', approvalId: 'ap-1' };

  it('joins: lists the window as open first, then adds the entry while the window is open', async () => {
    ddb.on(UpdateItemCommand).resolves({});
    expect(await ledger().joinDigestWindow(600, entry, 5000)).toBe(true);
    const calls = ddb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
    expect(calls[0]).toMatchObject({
      Key: { pk: { S: 'digest-window#open' } },
      UpdateExpression: 'ADD windows :start',
      ExpressionAttributeValues: { ':start': { NS: ['600'] } },
    });
    expect(calls[1]).toMatchObject({
      Key: { pk: { S: 'digest-window#600' } },
      ConditionExpression: 'attribute_not_exists(pk) OR #status = :open',
      ExpressionAttributeValues: { ':entry': { SS: [JSON.stringify(entry)] }, ':ttl': { N: String(5000 + WEEK) } },
    });
  });

  it('a join to a window already sent, or too large, is refused (the run mails its own notice)', async () => {
    ddb.on(UpdateItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed());
    expect(await ledger().joinDigestWindow(600, entry, 5000)).toBe(false);
    ddb.reset();
    const tooLarge = new DynamoDBServiceException({
      name: 'ValidationException',
      $fault: 'client',
      $metadata: {},
      message: 'Item size has exceeded the maximum allowed size',
    });
    ddb.on(UpdateItemCommand).resolvesOnce({}).rejectsOnce(tooLarge);
    expect(await ledger().joinDigestWindow(600, entry, 5000)).toBe(false);
  });

  it('closes a window once: the winner gets the entries, the other nothing; both unlist it', async () => {
    ddb
      .on(UpdateItemCommand, { Key: { pk: { S: 'digest-window#600' } } })
      .resolvesOnce({ Attributes: { entries: { SS: [JSON.stringify(entry)] } } })
      .rejectsOnce(conditionFailed());
    ddb.on(UpdateItemCommand, { Key: { pk: { S: 'digest-window#open' } } }).resolves({});
    expect(await ledger().closeDigestWindow(600, 5000)).toEqual([entry]);
    expect(await ledger().closeDigestWindow(600, 5000)).toBeUndefined();
    const unlisted = ddb
      .commandCalls(UpdateItemCommand)
      .filter((call) => call.args[0].input.Key?.pk?.S === 'digest-window#open');
    expect(unlisted).toHaveLength(2);
    expect(unlisted[0]?.args[0].input.UpdateExpression).toBe('DELETE windows :start');
  });

  it('reads the open windows, in order', async () => {
    ddb.on(GetItemCommand).resolves({ Item: { pk: { S: 'digest-window#open' }, windows: { NS: ['900', '600'] } } });
    expect(await ledger().openDigestWindows()).toEqual([600, 900]);
  });
});
