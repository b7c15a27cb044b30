/**
 * The owner services, locally (handlers/core/owners/): one model per service (./owners/), over the EC2 simulator's
 * interfaces. A resource owns its requester-managed interfaces, and changing the resource's groups changes theirs
 * (as the services do). Records come from the state file's extra top-level keys, in each service's describe output
 * shape (docs/simulator-fidelity.md), and are changed in place so `toState` writes them back. Errors carry the
 * service's error code in `name`, from each API reference (cited in each model); the dispatcher
 * (../owner-services.ts) answers the busy ones as ResourceBusy, as the AWS adapters do.
 */
import { InvalidInputError } from '../../core/errors.ts';
import { moveActionOf, OWNER_MODULES, perOwnerService } from '../../core/owners/index.ts';
import type { ResourceChange, ResourceRef, ResourceState } from '../../core/resources.ts';
import type { OwnerAdapter } from '../../ports.ts';
import { OwnerServices } from '../owner-services.ts';
import type { Ec2Simulator } from './ec2-simulator.ts';
import { LOCAL_OWNERS } from './owners/index.ts';
import type { LocalAdapterOwner, LocalOwner, LocalOwnerModel } from './owners/model.ts';

/**
 * Simulator-only: `before(action, input)` runs before a group change (or a launch source's restore) is applied
 * (`action` is the service's API action, "UpdateFunctionConfiguration"); throwing answers that error with nothing
 * applied. `after` runs once it is applied; throwing there is a crash after the change took effect (the fault sweep).
 */
export interface ServiceHooks {
  before?(action: string, input: { ref: ResourceRef; groups: string[] }): void;
  after?(action: string, input: { ref: ResourceRef; groups: string[] }): void;
  /** Whether the change in progress on `ref` fails (an ECS deployment stopped by its circuit breaker). */
  failsToApply?(ref: ResourceRef): boolean;
}

/** A model as the dispatcher sees it: describe from its records, a change applied to them and to the interfaces. */
class LocalOwnerAdapter implements OwnerAdapter {
  /** The model's lookups, where it has them (as the service's adapter does). */
  readonly findUsing?: (vpcId: string, groupId: string) => Promise<ResourceState[]>;
  readonly resolveMember?: (member: string) => Promise<ResourceState | undefined>;

  constructor(
    private readonly ec2: Ec2Simulator,
    private readonly model: LocalOwnerModel,
    private readonly hooks: () => ServiceHooks,
  ) {
    const { findUsing, resolveMember } = model;
    if (findUsing) this.findUsing = async (vpcId, groupId) => findUsing.call(model, vpcId, groupId);
    if (resolveMember)
      this.resolveMember = async (member) => {
        const ref = resolveMember.call(model, member);
        return ref ? this.describe(ref) : undefined;
      };
  }

  async describe(ref: ResourceRef): Promise<ResourceState | undefined> {
    const groups = this.model.groupsOf(ref);
    if (!groups) return undefined;
    const summaries = this.ec2.interfaceSummaries();
    const vpcId = this.model
      .interfacesOf(ref)
      .map((id) => summaries.find((eni) => eni.id === id)?.vpcId)
      .find(Boolean);
    const members = this.model.membersOf?.(ref);
    const stack = this.model.stackOf?.(ref);
    const blocked = this.model.blockedOf?.(ref);
    return {
      ...ref,
      groups,
      ...(vpcId ? { vpcId } : {}),
      ...(members ? { members } : {}),
      ...(stack ? { stack } : {}),
      ...(blocked ? { blocked } : {}),
    };
  }

  async setGroups(ref: ResourceRef, groups: string[]): Promise<void> {
    this.hooks().before?.(moveActionOf(ref.kind).replace(/^[^:]*:/, ''), { ref: { ...ref }, groups: [...groups] });
    const unique = [...new Set(groups)];
    const enis = this.model.interfacesOf(ref);
    const summaries = this.ec2.interfaceSummaries();
    const vpcId = this.model.vpcOf
      ? this.model.vpcOf(ref)
      : enis.map((id) => summaries.find((eni) => eni.id === id)?.vpcId).find(Boolean);
    const unknown = unique.filter((id) => {
      const group = this.ec2.groupInfo(id);
      return !group || (vpcId !== undefined && group.vpcId !== vpcId);
    });
    this.model.setGroups(ref, unique, unknown);
    // The service puts its interfaces on the resource's new groups.
    this.ec2.setServiceInterfaceGroups(enis, unique);
    this.hooks().after?.(moveActionOf(ref.kind).replace(/^[^:]*:/, ''), { ref: { ...ref }, groups: unique });
  }

  /**
   * Most changes apply at once here (Lambda's LastUpdateStatus is Successful and RDS groups active as soon as set);
   * a model whose changes take time (an ECS deployment) says when it is done.
   */
  async settled(ref: ResourceRef): Promise<boolean> {
    if (!this.model.settled) return true;
    return this.model.settled(ref, this.hooks().failsToApply?.(ref) ?? false);
  }
}

/** An adapter run over a local model's calls (launch sources), with the hooks before each change as for the others. */
class HookedAdapter implements OwnerAdapter {
  readonly findUsing?: (vpcId: string, groupId: string) => Promise<ResourceState[]>;
  readonly restore?: (ref: ResourceRef, before: ResourceState, change: ResourceChange) => Promise<void>;

  constructor(
    private readonly inner: OwnerAdapter,
    private readonly hooks: () => ServiceHooks,
  ) {
    const { findUsing, restore } = inner;
    if (findUsing) this.findUsing = (vpcId, groupId) => findUsing.call(inner, vpcId, groupId);
    if (restore)
      this.restore = async (ref, before, change) => {
        const input = { ref: { ...ref }, groups: [...before.groups] };
        this.hooks().before?.(moveActionOf(ref.kind).replace(/^[^:]*:/, ''), input);
        await restore.call(inner, ref, before, change);
        this.hooks().after?.(moveActionOf(ref.kind).replace(/^[^:]*:/, ''), input);
      };
  }

  describe(ref: ResourceRef): Promise<ResourceState | undefined> {
    return this.inner.describe(ref);
  }

  async setGroups(ref: ResourceRef, groups: string[], change?: ResourceChange): Promise<void> {
    this.hooks().before?.(moveActionOf(ref.kind).replace(/^[^:]*:/, ''), { ref: { ...ref }, groups: [...groups] });
    await this.inner.setGroups(ref, groups, change);
    this.hooks().after?.(moveActionOf(ref.kind).replace(/^[^:]*:/, ''), { ref: { ...ref }, groups: [...groups] });
  }

  settled(ref: ResourceRef): Promise<boolean> {
    return this.inner.settled(ref);
  }
}

export class ServiceSimulator extends OwnerServices {
  private readonly hooks: { current: ServiceHooks };

  constructor(ec2: Ec2Simulator) {
    const records = ec2.serviceRecords();
    const issues = OWNER_MODULES.flatMap((module) => {
      const parsed = LOCAL_OWNERS[module.service].records.safeParse(records);
      return parsed.success ? [] : parsed.error.issues;
    });
    if (issues.length > 0)
      throw new InvalidInputError(issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`));
    const hooks = { current: {} };
    // The live records (not zod's copies: changes must reach toState), each checked above by its model's schema.
    super(
      perOwnerService((service) => {
        const local: LocalOwner<unknown> | LocalAdapterOwner<unknown> = LOCAL_OWNERS[service];
        return 'adapter' in local
          ? new HookedAdapter(local.adapter(ec2, records), () => hooks.current)
          : new LocalOwnerAdapter(ec2, local.model(ec2, records), () => hooks.current);
      }),
    );
    this.hooks = hooks;
  }

  setHooks(hooks: ServiceHooks): void {
    this.hooks.current = { ...hooks };
  }
}
