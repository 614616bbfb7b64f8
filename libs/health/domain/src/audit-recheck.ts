import { canaryVerdict } from './canary-phases';
import type { CohortComparison, MetricComparison } from './cohort-comparison';
import { MAX_SILENT_SHARE, type CheckResult } from './gate-checks';
import type { GateEvidence } from './gate-evaluation';
import { combineVerdicts, type Verdict } from './health.types';

/**
 * Recomputes a gate's verdict from its recorded evidence alone (values, sample counts, thresholds, the
 * sample minimum, the canary's phase statuses), as an auditor reading `gate-evaluated` from the log would.
 * It does not trust the recorded per-check verdicts: a verdict that does not follow from its figures is
 * what an audit must catch.
 */
export function recheckGateEvidence(evidence: GateEvidence): Verdict {
  if (!evidence.spec) return 'INCONCLUSIVE';
  const minSamples = evidence.spec.minSamples;
  const verdicts = evidence.checks.map((check) => recheckCheck(check, minSamples));
  if (evidence.spec.comparison === 'required' && evidence.comparison) verdicts.push(recheckComparison(evidence.comparison));
  if (evidence.spec.canary && evidence.canary) verdicts.push(canaryVerdict(evidence.canary.phases, evidence.canary.phases[0]?.devices ?? 0).verdict);
  return combineVerdicts(verdicts);
}

function recheckCheck(c: CheckResult, minSamples: number): Verdict {
  switch (c.check) {
    case 'error_rate':
    case 'latency_p95':
      return combineVerdicts((c.byDeviceType ?? []).map((part) => limit(part.value, part.threshold, (part.samples ?? 0) >= minSamples)));
    case 'memory_trend':
      return !c.devices || c.value === undefined ? 'INCONCLUSIVE' : c.value < (c.threshold as number) ? 'PASS' : 'FAIL';
    case 'application_health': {
      const counts = (c.details ?? {}) as Record<string, number>;
      const devices = c.devices ?? 0;
      if (devices === 0) return 'INCONCLUSIVE';
      if (devices - (counts.healthy ?? 0) - (counts.silent ?? 0) > 0) return 'FAIL';
      if ((counts.silent ?? 0) > devices * MAX_SILENT_SHARE) return 'INCONCLUSIVE';
      return (counts.awaiting_new_version ?? 0) > 0 ? 'INCONCLUSIVE' : 'PASS';
    }
    case 'crash_count':
      if ((c.value ?? 0) > (c.threshold as number)) return 'FAIL';
      return (c.samples ?? 0) < minSamples ? 'INCONCLUSIVE' : 'PASS';
    case 'device_health': {
      const silent = ((c.details ?? {}) as Record<string, number>).silent ?? 0;
      if (!c.devices || silent === c.devices) return 'INCONCLUSIVE';
      return (c.value ?? 0) >= (c.threshold as number) ? 'PASS' : 'FAIL';
    }
    case 'fleet_coverage': {
      if ((c.value ?? 0) >= (c.threshold as number)) return 'PASS';
      const { total = 0, pending = 0 } = (c.details ?? {}) as { total?: number; pending?: number };
      const reachable = total === 0 || ((c.devices ?? 0) + pending) * 100 >= (c.threshold as number) * total;
      return reachable ? 'INCONCLUSIVE' : 'FAIL';
    }
  }
}

function recheckComparison(comparison: CohortComparison): Verdict {
  const minSamples = comparison.limits.minSamples;
  return combineVerdicts(comparison.byDeviceType.map((t) => combineVerdicts(t.metrics.map((m: MetricComparison) => limit(m.updated.value, m.threshold, m.updated.samples >= minSamples && m.control.samples >= minSamples)))));
}

function limit(value: number | undefined, threshold: number | undefined, enoughSamples: boolean): Verdict {
  if (value === undefined || threshold === undefined || !enoughSamples) return 'INCONCLUSIVE';
  return value <= threshold ? 'PASS' : 'FAIL';
}
