/** An EC2 API error: `name` is the EC2 error code, as in AWS SDK v3 service exceptions. */
export class Ec2ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** The API error code of an error thrown by an EC2 adapter (SDK exception or simulator), if any. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = error as { name?: unknown; Code?: unknown; code?: unknown };
  for (const value of [candidate.Code, candidate.code, candidate.name]) {
    if (typeof value === 'string' && value !== 'Error') return value;
  }
  return undefined;
}

/** Input that fails validation: refused with reasons, nothing changed. Step Functions sees the name as the error. */
export class InvalidInputError extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join('; '));
    this.name = 'InvalidInput';
  }
}

/** `ObjectStore.put(..., {ifAbsent: true})` found the key already there (S3 412, or the file exists). */
export class PreconditionFailedError extends Error {
  constructor(
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`object already exists: ${key}`, options);
    this.name = 'PreconditionFailed';
  }
}

/**
 * A resource busy with another update (Lambda's ResourceConflictException, RDS's InvalidDBInstanceStateFault, …, or
 * our own change still applying): the owner services' adapters answer every service's busy codes with this one name,
 * which is all the state machines retry (docs/decisions.md, "One registry of owners"). The message keeps the
 * service's code.
 */
export class ResourceBusyError extends Error {
  static readonly code = 'ResourceBusy';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ResourceBusyError.code;
  }
}
