/**
 * The IAM of the flow log reads (infra/flow-logs-policy.ts from handlers/adapters/flow-logs/iam.ts): exactly the
 * actions the finder, the S3 source and the Logs Insights adapter call, each on the narrowest resource its type
 * allows, S3 limited to the flow log folders and to this account's buckets unless buckets are named.
 */
import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { flowLogsGrant } from '../../infra/flow-logs-policy.ts';

interface StatementJson {
  Sid: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function statementsOf(grant: ReturnType<typeof flowLogsGrant>): StatementJson[] {
  const stack = new Stack();
  return grant.statements.map((statement) => stack.resolve(statement.toStatementJson()) as StatementJson);
}

const actions = (statement: StatementJson | undefined) => [statement?.Action ?? []].flat().sort();

describe('flowLogsGrant', () => {
  it('grants the calls the flow log reads make, and nothing else', () => {
    const statements = statementsOf(flowLogsGrant({}, '111122223333'));
    expect(statements.flatMap(actions).sort()).toEqual([
      'ec2:DescribeFlowLogs',
      'ec2:DescribeNetworkInterfaces',
      'logs:GetQueryResults',
      'logs:StartQuery',
      's3:GetObject',
      's3:ListBucket',
    ]);
    const bySid = new Map(statements.map((s) => [s.Sid, s]));
    expect(bySid.get('DescribeFlowLogsNoResourceLevelPermissions')?.Resource).toBe('*');
    expect(JSON.stringify(bySid.get('QueryLogGroupsOfThisAccount')?.Resource)).toContain(
      ':logs:*:111122223333:log-group:*',
    );
  });

  it("limits S3 to this account's buckets and to the AWSLogs/ folders by default", () => {
    const bySid = new Map(statementsOf(flowLogsGrant({}, '111122223333')).map((s) => [s.Sid, s]));
    const list = bySid.get('ListFlowLogFoldersOnly');
    expect(list?.Condition).toEqual({
      StringEquals: { 's3:ResourceAccount': '111122223333' },
      StringLike: { 's3:prefix': ['AWSLogs/*', '*/AWSLogs/*'] },
    });
    const read = bySid.get('ReadFlowLogObjectsOnly');
    expect(JSON.stringify(read?.Resource)).toContain(':s3:::*/*AWSLogs/*');
    expect(read?.Condition).toEqual({ StringEquals: { 's3:ResourceAccount': '111122223333' } });
  });

  it('names the buckets when given (another account’s central bucket), without the own-account condition', () => {
    const grant = flowLogsGrant({ buckets: ['central-flow-logs', 'central-flow-logs'] }, '111122223333');
    const bySid = new Map(statementsOf(grant).map((s) => [s.Sid, s]));
    expect(JSON.stringify(bySid.get('ListFlowLogFoldersOnly')?.Resource)).toContain(':s3:::central-flow-logs"');
    expect(bySid.get('ListFlowLogFoldersOnly')?.Condition).toEqual({
      StringLike: { 's3:prefix': ['AWSLogs/*', '*/AWSLogs/*'] },
    });
    expect(JSON.stringify(bySid.get('ReadFlowLogObjectsOnly')?.Resource)).toContain(
      ':s3:::central-flow-logs/*AWSLogs/*',
    );
    expect(grant.wildcards.map((w) => w.finding)).not.toContain('Resource::arn:<AWS::Partition>:s3:::*');
    expect(() => flowLogsGrant({ buckets: ['Not_A_Bucket'] })).toThrow(/is not a bucket name/);
  });

  it('gives a reason for every wildcard it introduces (cdk-nag IAM5)', () => {
    const grant = flowLogsGrant();
    expect(grant.wildcards.map((w) => w.finding)).toEqual([
      'Resource::*',
      'Resource::arn:<AWS::Partition>:logs:*:<AWS::AccountId>:log-group:*',
      'Resource::arn:<AWS::Partition>:s3:::*/*AWSLogs/*',
      'Resource::arn:<AWS::Partition>:s3:::*',
    ]);
    for (const wildcard of grant.wildcards) expect(wildcard.reason.length).toBeGreaterThan(40);
  });
});
