/** The launch sources' expected records after a remediation: the fault sweep's and the harness's oracle. */

interface TemplateRecord {
  LaunchTemplateId: string;
  DefaultVersionNumber: number;
  LatestVersionNumber: number;
}
interface VersionRecord {
  LaunchTemplateId: string;
  VersionNumber: number;
  VersionDescription?: string;
  DefaultVersion?: boolean;
  LaunchTemplateData?: { SecurityGroupIds?: string[]; NetworkInterfaces?: { Groups?: string[] }[] };
}
interface GroupRecord {
  AutoScalingGroupName: string;
  LaunchTemplate?: { LaunchTemplateId?: string; Version?: string };
  LaunchConfigurationName?: string;
}
interface ConfigurationRecord {
  LaunchConfigurationName: string;
  SecurityGroups?: string[];
}

/**
 * The launch source records a remediation should leave (the test oracle, written from the issue, not from the
 * adapters): per template, a new version from each version in use that names the default group — the default, each
 * pinned one, then `$Latest` — with the group swapped, numbered after the latest; the default moved to the new
 * version of its source, pinned groups moved to theirs. Per group on a launch configuration naming the default group,
 * a copy `<name>-<remediation id>` naming the replacement, the group switched to it. Only `SecurityGroupIds` is swapped
 * here (what the scenario uses).
 */
export function expectedLaunchSources(
  original: Record<string, unknown>,
  defaultGroupId: string,
  replacementId: string,
  remediationId: string,
): Record<string, unknown> {
  const templates = structuredClone((original.LaunchTemplates ?? []) as TemplateRecord[]);
  const versions = structuredClone((original.LaunchTemplateVersions ?? []) as VersionRecord[]);
  const groups = structuredClone((original.AutoScalingGroups ?? []) as GroupRecord[]);
  const configurations = structuredClone((original.LaunchConfigurations ?? []) as ConfigurationRecord[]);
  const names = (v: VersionRecord | undefined) =>
    (v?.LaunchTemplateData?.SecurityGroupIds ?? []).includes(defaultGroupId);
  for (const template of templates) {
    const own = versions.filter((v) => v.LaunchTemplateId === template.LaunchTemplateId);
    const find = (n: number) => own.find((v) => v.VersionNumber === n);
    const pinned = groups.flatMap((g) =>
      g.LaunchTemplate?.LaunchTemplateId === template.LaunchTemplateId && /^\d+$/.test(g.LaunchTemplate.Version ?? '')
        ? [Number(g.LaunchTemplate.Version)]
        : [],
    );
    const inUse = [...new Set([template.DefaultVersionNumber, ...pinned, template.LatestVersionNumber])];
    const sources = inUse.filter((n) => names(find(n))).sort((a, b) => a - b);
    if (sources.length === 0) continue;
    const latest = template.LatestVersionNumber;
    const ordered = [...sources.filter((n) => n !== latest), latest];
    const made = new Map<number, number>();
    for (const source of ordered) {
      const from = find(source);
      const number = template.LatestVersionNumber + 1;
      versions.push({
        ...structuredClone(from as VersionRecord),
        VersionNumber: number,
        VersionDescription: `default-sg-remediation ${remediationId}: version ${source} with ${defaultGroupId} replaced by ${replacementId}`,
        DefaultVersion: false,
        LaunchTemplateData: {
          ...from?.LaunchTemplateData,
          SecurityGroupIds: (from?.LaunchTemplateData?.SecurityGroupIds ?? []).map((id) =>
            id === defaultGroupId ? replacementId : id,
          ),
        },
      });
      template.LatestVersionNumber = number;
      made.set(source, number);
    }
    const newDefault = made.get(template.DefaultVersionNumber);
    if (newDefault !== undefined && sources.includes(template.DefaultVersionNumber)) {
      for (const v of versions)
        if (v.LaunchTemplateId === template.LaunchTemplateId) v.DefaultVersion = v.VersionNumber === newDefault;
      template.DefaultVersionNumber = newDefault;
    }
    for (const g of groups) {
      const version = g.LaunchTemplate?.Version ?? '';
      if (g.LaunchTemplate?.LaunchTemplateId !== template.LaunchTemplateId || !/^\d+$/.test(version)) continue;
      if (sources.includes(Number(version))) g.LaunchTemplate.Version = String(made.get(Number(version)));
    }
  }
  for (const g of groups) {
    const lc = configurations.find((c) => c.LaunchConfigurationName === g.LaunchConfigurationName);
    if (!lc || !(lc.SecurityGroups ?? []).includes(defaultGroupId)) continue;
    const copy = `${lc.LaunchConfigurationName}-${remediationId}`;
    if (!configurations.some((c) => c.LaunchConfigurationName === copy))
      configurations.push({
        ...structuredClone(lc),
        LaunchConfigurationName: copy,
        SecurityGroups: (lc.SecurityGroups ?? []).map((id) => (id === defaultGroupId ? replacementId : id)),
        CreatedTime: '2026-01-01T00:00:00.000Z',
      } as ConfigurationRecord);
    g.LaunchConfigurationName = copy;
  }
  const present = (key: string) => key in original;
  return {
    ...(present('LaunchTemplates') ? { LaunchTemplates: templates } : {}),
    ...(present('LaunchTemplateVersions') ? { LaunchTemplateVersions: versions } : {}),
    ...(present('AutoScalingGroups') ? { AutoScalingGroups: groups } : {}),
    ...(present('LaunchConfigurations') ? { LaunchConfigurations: configurations } : {}),
  };
}
