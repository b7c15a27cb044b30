/**
 * A small EventBridge event-pattern matcher for the tests, following the content-filtering rules of the EventBridge
 * User Guide:
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
 *
 * - Every field named in the pattern must be in the event, with the same nesting; fields the pattern does not name
 *   are ignored. Fields are ANDed.
 * - A leaf is an array of matchers, ORed: exact values (strings, numbers, booleans, null; case-sensitive, no
 *   normalisation), `prefix`, `suffix`, `equals-ignore-case`, `wildcard`, `anything-but` (a value, a list, or a
 *   prefix / suffix), `numeric`, `exists`.
 * - When the event's value is an array, the leaf matches if any element matches (a non-empty intersection); a nested
 *   pattern object matches an array of objects if any element matches the whole nested pattern.
 * - `exists: false` matches a missing field; every other matcher (`anything-but` included) needs the field present.
 *   `exists: true` matches a present leaf value (not an object).
 * - `$or` (at any level) holds alternative sub-patterns: the level matches if its other fields match and at least one
 *   alternative matches.
 * Unknown matcher objects throw, so a pattern using something this matcher does not know cannot pass silently.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Pattern = { [key: string]: unknown };

const MISSING = Symbol('missing');
type Value = Json | typeof MISSING;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wildcardToRegExp(wildcard: string): RegExp {
  const escaped = wildcard.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 's');
}

function numericMatches(conditions: unknown[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const operator = conditions[i];
    const bound = Number(conditions[i + 1]);
    const ok =
      operator === '<'
        ? value < bound
        : operator === '<='
          ? value <= bound
          : operator === '>'
            ? value > bound
            : operator === '>='
              ? value >= bound
              : operator === '='
                ? value === bound
                : undefined;
    if (ok === undefined) throw new Error(`unknown numeric operator ${String(operator)}`);
    if (!ok) return false;
  }
  return true;
}

/** One matcher against one scalar value that is present. */
function scalarMatches(matcher: unknown, value: Json): boolean {
  if (!isObject(matcher)) {
    if (typeof matcher === 'number' && typeof value === 'number') return matcher === value;
    return matcher === value;
  }
  const [kind, ...rest] = Object.keys(matcher);
  if (kind === undefined || rest.length > 0)
    throw new Error(`a matcher has exactly one key: ${JSON.stringify(matcher)}`);
  const argument = matcher[kind];
  switch (kind) {
    case 'prefix':
      if (isObject(argument)) {
        const text = argument['equals-ignore-case'];
        return typeof value === 'string' && value.toLowerCase().startsWith(String(text).toLowerCase());
      }
      return typeof value === 'string' && value.startsWith(String(argument));
    case 'suffix':
      if (isObject(argument)) {
        const text = argument['equals-ignore-case'];
        return typeof value === 'string' && value.toLowerCase().endsWith(String(text).toLowerCase());
      }
      return typeof value === 'string' && value.endsWith(String(argument));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(argument).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcardToRegExp(String(argument)).test(value);
    case 'numeric':
      return typeof value === 'number' && numericMatches(argument as unknown[], value);
    case 'anything-but': {
      if (isObject(argument)) return !scalarMatches(argument, value);
      const excluded = Array.isArray(argument) ? argument : [argument];
      return !excluded.some((item) => scalarMatches(item, value));
    }
    case 'exists':
      return argument === true;
    default:
      throw new Error(`matcher ${kind} is not supported by this test matcher`);
  }
}

function leafMatches(matchers: unknown[], value: Value): boolean {
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) {
      const present = Array.isArray(value)
        ? value.some((element) => !isObject(element) && !Array.isArray(element))
        : value !== MISSING && !isObject(value);
      return matcher.exists === present;
    }
    if (value === MISSING) return false;
    if (Array.isArray(value)) return value.some((element) => !isObject(element) && scalarMatches(matcher, element));
    if (isObject(value)) return false;
    return scalarMatches(matcher, value);
  });
}

function objectMatches(pattern: Pattern, value: Value): boolean {
  if (Array.isArray(value)) return value.some((element) => objectMatches(pattern, element));
  if (!isObject(value)) {
    // A missing object still matches a pattern made only of `exists: false` leaves.
    return Object.entries(pattern).every(
      ([key, inner]) => key !== '$or' && Array.isArray(inner) && inner.every((m) => isObject(m) && m.exists === false),
    );
  }
  for (const [key, inner] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(inner) || inner.length < 2) throw new Error('$or needs an array of at least two patterns');
      if (!inner.some((alternative) => objectMatches(alternative as Pattern, value))) return false;
      continue;
    }
    const field: Value = Object.hasOwn(value, key) ? (value[key] as Json) : MISSING;
    if (Array.isArray(inner)) {
      if (!leafMatches(inner, field)) return false;
    } else if (isObject(inner)) {
      if (!objectMatches(inner, field)) return false;
    } else {
      throw new Error(`pattern field ${key} must be an array of matchers or an object`);
    }
  }
  return true;
}

/** Whether `event` matches `pattern`, as EventBridge decides it. */
export function matches(pattern: Pattern, event: unknown): boolean {
  return objectMatches(pattern, event as Json);
}
