/**
 * The ServicesPort over one adapter per owner service (handlers/core/owners/), for AWS and for the local models
 * alike: a resource goes to its service's adapter by kind; "gone" answers read as undefined, "busy" answers become
 * `ResourceBusy` (the service's code kept in the message), and a change is waited for until the service applied it.
 */
import { errorCode, ResourceBusyError } from '../core/errors.ts';
import { busyCodesOf, type OwnerService, ownerModule, serviceOf } from '../core/owners/index.ts';
import type { ResourceChange, ResourceRef, ResourceState } from '../core/resources.ts';
import type { OwnerAdapter, ServicesPort } from '../ports.ts';

/** Our own change not applied: failed for good (`ResourceMoveFailed`, not retried). */
export class ResourceMoveFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceMoveFailed';
  }
}

export interface WaitOptions {
  /** Between two reads. Default 5 s. */
  intervalMs?: number;
  /** Reads before giving up with ResourceBusy (the Task retries it). Default 120 (10 minutes at 5 s). */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class OwnerServices implements ServicesPort {
  constructor(
    private readonly adapters: Record<OwnerService, OwnerAdapter>,
    private readonly wait: WaitOptions = {},
  ) {}

  findUsing(service: OwnerService, vpcId: string, groupId: string): Promise<ResourceState[]> {
    const adapter = this.adapters[service];
    const find = adapter.findUsing;
    if (!find) throw new Error(`${ownerModule(service).title} has no VPC lookup`);
    return this.named(service, () => find.call(adapter, vpcId, groupId));
  }

  resolveMember(service: OwnerService, member: string): Promise<ResourceState | undefined> {
    const adapter = this.adapters[service];
    const resolve = adapter.resolveMember;
    if (!resolve) throw new Error(`${ownerModule(service).title} has no member lookup`);
    return this.unlessGone(service, () => resolve.call(adapter, member));
  }

  describe(ref: ResourceRef): Promise<ResourceState | undefined> {
    return this.unlessGone(serviceOf(ref.kind), () => this.adapterOf(ref).describe(ref));
  }

  setGroups(ref: ResourceRef, groups: string[], change?: ResourceChange): Promise<void> {
    return this.named(serviceOf(ref.kind), () => this.adapterOf(ref).setGroups(ref, groups, change));
  }

  restores(ref: ResourceRef): boolean {
    return this.adapterOf(ref).restore !== undefined;
  }

  restore(ref: ResourceRef, before: ResourceState, change: ResourceChange): Promise<void> {
    const adapter = this.adapterOf(ref);
    const restore = adapter.restore;
    if (!restore) throw new Error(`${ownerModule(serviceOf(ref.kind)).title} moves back by its groups, not by restore`);
    return this.named(serviceOf(ref.kind), () => restore.call(adapter, ref, before, change));
  }

  async waitUntilSettled(ref: ResourceRef): Promise<void> {
    const sleep = this.wait.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
    const attempts = this.wait.attempts ?? 120;
    const service = serviceOf(ref.kind);
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (await this.named(service, () => this.adapterOf(ref).settled(ref))) return;
      await sleep(this.wait.intervalMs ?? 5000);
    }
    throw new ResourceBusyError(`${ref.kind} ${ref.id} is still applying its new security groups.`);
  }

  private adapterOf(ref: ResourceRef): OwnerAdapter {
    return this.adapters[serviceOf(ref.kind)];
  }

  private async unlessGone<T>(service: OwnerService, read: () => Promise<T | undefined>): Promise<T | undefined> {
    try {
      return await this.named(service, read);
    } catch (error) {
      if (ownerModule(service).errors.notFound.includes(errorCode(error) ?? '')) return undefined;
      throw error;
    }
  }

  /** The service's busy codes as ResourceBusy; every other error as the service named it. */
  private async named<T>(service: OwnerService, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const code = errorCode(error);
      if (code === undefined || !busyCodesOf(service).includes(code)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ResourceBusyError(message.includes(code) ? message : `${code}: ${message}`, { cause: error });
    }
  }
}
