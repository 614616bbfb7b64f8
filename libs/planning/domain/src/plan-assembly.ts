import type { Eligibility } from './fleet-index';
import type { Arrangement } from './wave-balance';
import type { GroupKind, Plan, PlannedGroupResult } from './planning.types';

export interface GroupSpec {
  name: string;
  kind: GroupKind;
  reason: number;
}

/** Turns an arrangement into groups and records every member's group and reason in the typed arrays. */
export function assemble(
  strategy: Plan['strategy'], seed: string, eligibility: Eligibility, lead: PlannedGroupResult[],
  arrangement: Arrangement, specs: readonly GroupSpec[], warnings: string[],
): Plan {
  const assignment = new Int32Array(eligibility.reason.length).fill(-1);
  const groups: PlannedGroupResult[] = [...lead];
  for (let w = 0; w < specs.length; w++) {
    groups.push({ name: specs[w].name, kind: specs[w].kind, members: arrangement.arranged.subarray(arrangement.bounds[w], arrangement.bounds[w + 1]) });
  }
  for (let g = 0; g < groups.length; g++) {
    const members = groups[g].members;
    const reason = g < lead.length ? 0 : specs[g - lead.length].reason;
    for (let k = 0; k < members.length; k++) {
      assignment[members[k]] = g;
      if (reason) eligibility.reason[members[k]] = reason;
    }
  }
  return { strategy, seed, groups, assignment, reason: eligibility.reason, canaryNote: eligibility.canaryNote, warnings };
}
