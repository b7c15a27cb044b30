/**
 * MaxResults / NextToken pagination. MaxResults is 5-1000 (DescribeManagedPrefixLists: 1-100); without it every item
 * is answered in one page. Tokens are
 * opaque to callers and bound to the action and the query that produced them; any other token is refused with
 * InvalidParameterValue. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html#api-pagination
 */
import { createHash } from 'node:crypto';
import { ec2Errors } from './errors.ts';

export const MAX_RESULTS_MIN = 5;
export const MAX_RESULTS_MAX = 1000;

interface TokenBody {
  v: 1;
  a: string;
  q: string;
  o: number;
}

function fingerprint(query: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(query ?? null))
    .digest('hex')
    .slice(0, 16);
}

export function checkMaxResults(
  maxResults: number | undefined,
  [min, max]: readonly [number, number] = [MAX_RESULTS_MIN, MAX_RESULTS_MAX],
): void {
  if (maxResults === undefined) return;
  if (!Number.isInteger(maxResults) || maxResults < min || maxResults > max) {
    throw ec2Errors.invalidParameterValue(
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Parameter must be between ${min} and ${max}.`,
    );
  }
}

function decode(token: string, action: string, query: string): number {
  let body: Partial<TokenBody> | undefined;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenBody>;
  } catch {
    body = undefined;
  }
  if (
    body?.v !== 1 ||
    body.a !== action ||
    body.q !== query ||
    typeof body.o !== 'number' ||
    !Number.isInteger(body.o) ||
    body.o < 0
  ) {
    throw ec2Errors.invalidParameterValue(`Invalid value '${token}' for nextToken`);
  }
  return body.o;
}

/** One page of `items` (already filtered, in a stable order). `query` is what the token is bound to. */
export function paginate<T>(
  items: readonly T[],
  options: {
    action: string;
    query: unknown;
    maxResults?: number;
    nextToken?: string;
    maxResultsRange?: readonly [number, number];
  },
): { page: T[]; nextToken?: string } {
  checkMaxResults(options.maxResults, options.maxResultsRange);
  const query = fingerprint(options.query);
  const start = options.nextToken === undefined ? 0 : decode(options.nextToken, options.action, query);
  const end = options.maxResults === undefined ? items.length : start + options.maxResults;
  const page = items.slice(start, end);
  if (end >= items.length) return { page };
  const body: TokenBody = { v: 1, a: options.action, q: query, o: end };
  return { page, nextToken: Buffer.from(JSON.stringify(body), 'utf8').toString('base64url') };
}
