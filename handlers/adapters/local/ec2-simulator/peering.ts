/**
 * VPC peering connections as the simulator knows them. The state file may carry them under `VpcPeeringConnections`,
 * exactly as `aws ec2 describe-vpc-peering-connections` prints them
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpcPeeringConnection.html): then they are the truth.
 * Without that key, a connection is known only from the rules that name it: its status is the `PeeringStatus` those
 * pairs carry (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_UserIdGroupPair.html), and a connection no
 * pair names is assumed to work, as before peering was modelled.
 */
import * as z from 'zod';
import { ACCOUNT_ID, PCX_ID, VPC_ID } from './ids.ts';

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpcPeeringConnectionStateReason.html */
export const PEERING_STATUS_CODES = [
  'initiating-request',
  'pending-acceptance',
  'active',
  'deleted',
  'rejected',
  'failed',
  'expired',
  'provisioning',
  'deleting',
] as const;

const vpcInfo = z.looseObject({
  VpcId: z.string().regex(VPC_ID, 'must look like vpc-… (vpc- and 8 or 17 hex digits)'),
  OwnerId: z.string().regex(ACCOUNT_ID, 'must be a 12-digit AWS account id').optional(),
  Region: z.string().optional(),
});

/** One entry of `VpcPeeringConnections` (the fields the simulator reads; the others are kept as they are). */
export const peeringConnectionSchema = z.looseObject({
  VpcPeeringConnectionId: z.string().regex(PCX_ID, 'must look like pcx-… (pcx- and 8 or 17 hex digits)'),
  AccepterVpcInfo: vpcInfo,
  RequesterVpcInfo: vpcInfo,
  Status: z.looseObject({
    Code: z.enum(PEERING_STATUS_CODES, { error: `must be one of ${PEERING_STATUS_CODES.join(', ')}` }),
    Message: z.string().optional(),
  }),
});

export type PeeringConnectionRecord = z.infer<typeof peeringConnectionSchema>;

export interface PeeringConnection {
  id: string;
  vpcIds: [string, string];
  status: string;
}

export function toConnections(records: readonly PeeringConnectionRecord[]): PeeringConnection[] {
  return records.map((record) => ({
    id: record.VpcPeeringConnectionId,
    vpcIds: [record.RequesterVpcInfo.VpcId, record.AccepterVpcInfo.VpcId],
    status: record.Status.Code,
  }));
}

/** What the simulator knows about peering connections: the state file's records, or what the rules' pairs say. */
export class Peerings {
  constructor(
    /** Undefined when the state file has no `VpcPeeringConnections`. */
    private readonly connections: readonly PeeringConnection[] | undefined,
    /** The `PeeringStatus` values the stored pairs naming a connection carry (used without records). */
    private readonly pairStatuses: (pcxId: string) => string[],
  ) {}

  get modelled(): boolean {
    return this.connections !== undefined;
  }

  /**
   * The connection's status: its record's, or without records the status its pairs carry (`active` if any says so);
   * undefined when nothing is known of it (no record, or no pair names it).
   */
  statusOf(pcxId: string): string | undefined {
    if (this.connections) return this.connections.find((connection) => connection.id === pcxId)?.status;
    const statuses = this.pairStatuses(pcxId);
    return statuses.includes('active') ? 'active' : statuses[0];
  }

  /** The VPC on the other side of a recorded connection from `vpcId`; undefined when unknown. */
  otherSide(pcxId: string, vpcId: string): string | undefined {
    const connection = this.connections?.find((candidate) => candidate.id === pcxId);
    if (!connection?.vpcIds.includes(vpcId)) return undefined;
    return connection.vpcIds[0] === vpcId ? connection.vpcIds[1] : connection.vpcIds[0];
  }

  /** The active recorded connection joining two VPCs, if any. */
  activeBetween(vpcA: string, vpcB: string): PeeringConnection | undefined {
    return this.connections?.find(
      (connection) =>
        connection.status === 'active' && connection.vpcIds.includes(vpcA) && connection.vpcIds.includes(vpcB),
    );
  }

  /**
   * Whether traffic (and so a rule) between `groupVpc` and `peerVpc` can go through a peering connection — the one
   * the pair names, if it names one. "To reference a security group in a peer VPC, the VPC peering connection must be
   * in the active state" (https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html).
   * Without records: only a connection whose pairs say it is not active fails.
   */
  joins(groupVpc: string, peerVpc: string | undefined, pcxId: string | undefined): boolean {
    if (!this.connections) return pcxId === undefined || (this.statusOf(pcxId) ?? 'active') === 'active';
    if (pcxId !== undefined) {
      const connection = this.connections.find((candidate) => candidate.id === pcxId);
      return (
        connection?.status === 'active' &&
        connection.vpcIds.includes(groupVpc) &&
        (peerVpc === undefined || connection.vpcIds.includes(peerVpc))
      );
    }
    return peerVpc !== undefined && this.activeBetween(groupVpc, peerVpc) !== undefined;
  }
}
