/**
 * The EC2 API shapes this project reads and writes, mirrored field for field from the EC2 API reference
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SecurityGroup.html and friends) so that the SDK
 * adapter is a pass-through and the simulator's state file is exactly `aws ec2 describe-*` output.
 * Declared here, not imported from @aws-sdk/client-ec2, so the pure core imports no AWS SDK.
 */

export interface IpRange {
  CidrIp?: string;
  Description?: string;
}

export interface Ipv6Range {
  CidrIpv6?: string;
  Description?: string;
}

export interface PrefixListId {
  PrefixListId?: string;
  Description?: string;
}

export interface UserIdGroupPair {
  GroupId?: string;
  GroupName?: string;
  UserId?: string;
  VpcId?: string;
  VpcPeeringConnectionId?: string;
  PeeringStatus?: string;
  Description?: string;
}

export interface IpPermission {
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: IpRange[];
  Ipv6Ranges?: Ipv6Range[];
  PrefixListIds?: PrefixListId[];
  UserIdGroupPairs?: UserIdGroupPair[];
}

export interface Tag {
  Key?: string;
  Value?: string;
}

export interface SecurityGroup {
  GroupId?: string;
  GroupName?: string;
  Description?: string;
  VpcId?: string;
  OwnerId?: string;
  IpPermissions?: IpPermission[];
  IpPermissionsEgress?: IpPermission[];
  Tags?: Tag[];
  SecurityGroupArn?: string;
}

export interface GroupIdentifier {
  GroupId?: string;
  GroupName?: string;
}

export interface NetworkInterfaceAttachment {
  AttachmentId?: string;
  DeviceIndex?: number;
  InstanceId?: string;
  InstanceOwnerId?: string;
  Status?: string;
  DeleteOnTermination?: boolean;
}

export interface NetworkInterface {
  NetworkInterfaceId?: string;
  VpcId?: string;
  SubnetId?: string;
  AvailabilityZone?: string;
  Description?: string;
  InterfaceType?: string;
  OwnerId?: string;
  RequesterId?: string;
  RequesterManaged?: boolean;
  Status?: string;
  PrivateIpAddress?: string;
  PrivateIpAddresses?: { Primary?: boolean; PrivateIpAddress?: string }[];
  Ipv6Address?: string;
  Ipv6Addresses?: { Ipv6Address?: string }[];
  Groups?: GroupIdentifier[];
  SourceDestCheck?: boolean;
  TagSet?: Tag[];
  Attachment?: NetworkInterfaceAttachment;
}

/** One row of DescribeSecurityGroupReferences: a VPC (peered, or attached to the same transit gateway) whose groups reference the group. */
export interface SecurityGroupReference {
  GroupId?: string;
  ReferencingVpcId?: string;
  VpcPeeringConnectionId?: string;
  TransitGatewayId?: string;
}

/**
 * One stale rule of DescribeStaleSecurityGroups: a reference to a group that was deleted, or in a VPC whose peering
 * connection (or transit gateway) is gone. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StaleIpPermission.html
 * (`IpRanges` and `PrefixListIds` do not apply to stale rules.)
 */
export interface StaleIpPermission {
  FromPort?: number;
  IpProtocol?: string;
  IpRanges?: string[];
  PrefixListIds?: string[];
  ToPort?: number;
  UserIdGroupPairs?: UserIdGroupPair[];
}

/** A group with stale rules, as DescribeStaleSecurityGroups answers it. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StaleSecurityGroup.html */
export interface StaleSecurityGroup {
  Description?: string;
  GroupId?: string;
  GroupName?: string;
  StaleIpPermissions?: StaleIpPermission[];
  StaleIpPermissionsEgress?: StaleIpPermission[];
  VpcId?: string;
}

/** A rule as DescribeSecurityGroupRules / Authorize* answer it (one rule, with its `sgr-` id). */
export interface SecurityGroupRule {
  SecurityGroupRuleId?: string;
  GroupId?: string;
  GroupOwnerId?: string;
  IsEgress?: boolean;
  IpProtocol?: string;
  FromPort?: number;
  ToPort?: number;
  CidrIpv4?: string;
  CidrIpv6?: string;
  PrefixListId?: string;
  ReferencedGroupInfo?: {
    GroupId?: string;
    UserId?: string;
    VpcId?: string;
    VpcPeeringConnectionId?: string;
    PeeringStatus?: string;
  };
  Description?: string;
  Tags?: Tag[];
  SecurityGroupRuleArn?: string;
}

/** A VPC as DescribeVpcs answers it (the fields this project reads). */
export interface Vpc {
  VpcId?: string;
  OwnerId?: string;
  CidrBlock?: string;
  IsDefault?: boolean;
  Tags?: Tag[];
}

/**
 * A managed prefix list as DescribeManagedPrefixLists answers it
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ManagedPrefixList.html). AWS-managed lists have the
 * owner `AWS` and may have no `MaxEntries`.
 */
export interface ManagedPrefixList {
  PrefixListId?: string;
  AddressFamily?: string;
  State?: string;
  PrefixListArn?: string;
  PrefixListName?: string;
  MaxEntries?: number;
  Version?: number;
  Tags?: Tag[];
  OwnerId?: string;
}

/** One row of DescribeTags (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TagDescription.html). */
export interface TagDescription {
  Key?: string;
  ResourceId?: string;
  ResourceType?: string;
  Value?: string;
}

export interface Filter {
  Name: string;
  Values: string[];
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DestinationOptionsResponse.html */
export interface DestinationOptionsResponse {
  /** `plain-text` (the default) or `parquet`. */
  FileFormat?: string;
  HiveCompatiblePartitions?: boolean;
  PerHourPartition?: boolean;
}

/** A flow log, as DescribeFlowLogs answers it (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_FlowLog.html). */
export interface FlowLog {
  FlowLogId?: string;
  /** `ACTIVE`. */
  FlowLogStatus?: string;
  /** The VPC, subnet, network interface (or transit gateway, attachment) it records. */
  ResourceId?: string;
  /** `ACCEPT`, `REJECT` or `ALL`. */
  TrafficType?: string;
  /** `cloud-watch-logs`, `s3` or `kinesis-data-firehose`. */
  LogDestinationType?: string;
  /** The destination's ARN: `arn:aws:s3:::bucket[/prefix]`, a log group's or a delivery stream's. */
  LogDestination?: string;
  LogGroupName?: string;
  /** `${field} ${field} …`; absent or the default fields for the default format (version 2). */
  LogFormat?: string;
  /** `SUCCESS` or `FAILED`. */
  DeliverLogsStatus?: string;
  DeliverLogsErrorMessage?: string;
  DeliverLogsPermissionArn?: string;
  /** The role that lets the service publish to another account. */
  DeliverCrossAccountRole?: string;
  /** 60 or 600 seconds. */
  MaxAggregationInterval?: number;
  DestinationOptions?: DestinationOptionsResponse;
  CreationTime?: Date | string;
  Tags?: Tag[];
}

/** The state file of the simulator and of `--out`: `describe-security-groups` + `describe-network-interfaces` output. */
export interface Ec2State {
  SecurityGroups: SecurityGroup[];
  NetworkInterfaces: NetworkInterface[];
}
