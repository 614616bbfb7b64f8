import type { RolloutExecution } from '@rollgate/rollout-domain';
import type { CohortBaseline } from './baseline';
import { evaluateCanary, type CanaryResult } from './canary-phases';
import { compareCohorts, type CohortComparison } from './cohort-comparison';
import { evaluateCheck, typesOf, type CheckContext, type CheckResult } from './gate-checks';
import { gateNameOf, resolveGate, type GateSpec } from './gate-config';
import type { GateDevice } from './gate-device';
import { combineVerdicts, type Verdict } from './health.types';

export interface GateRequest {
  /** as the group's conditions name it (`canary-gate` or `canary_gate`) */
  gate: string;
  at: number;
  /** the group that asked (for the canary: its devices are the canary) */
  groupId: string;
  /** every device deployed so far in the rollout, all groups: gates look at all of them, not only this wave */
  deployed: readonly GateDevice[];
  /** devices of the rollout not updated yet: the comparison's control */
  control: readonly GateDevice[];
  totalDevices: number;
  targetVersion?: string;
  baselines: readonly CohortBaseline[];
  execution: Pick<RolloutExecution, 'healthGates' | 'healthPreset'>;
}

/** Everything an auditor needs to recompute the verdict from the log. */
export interface GateEvidence {
  gate: string;
  spec?: GateSpec;
  at: number;
  deployedDevices: number;
  totalDevices: number;
  targetVersion?: string;
  checks: CheckResult[];
  comparison?: CohortComparison;
  canary?: CanaryResult;
}

export interface GateOutcome {
  verdict: Verdict;
  reason: string;
  evidence: GateEvidence;
}

/**
 * A health gate's verdict: every configured check over all deployed devices, the comparison with
 * not-yet-updated devices (deciding for the canary, reported for the others), and for the canary gate its
 * three phases. FAIL beats INCONCLUSIVE beats CAUTION beats PASS; an unknown gate is never passed.
 */
export function evaluateGate(request: GateRequest): GateOutcome {
  const base: GateEvidence = { gate: request.gate, at: request.at, deployedDevices: request.deployed.length, totalDevices: request.totalDevices, targetVersion: request.targetVersion, checks: [] };
  const name = gateNameOf(request.gate);
  if (!name) return { verdict: 'INCONCLUSIVE', reason: 'unknown_gate', evidence: base };
  const spec = resolveGate(name, request.execution);
  const ctx: CheckContext = { summaries: new Map(), byType: undefined, at: request.at, spec, deployed: request.deployed, totalDevices: request.totalDevices, targetVersion: request.targetVersion, baselines: request.baselines };
  const checks = spec.checks.map((check) => evaluateCheck(check, ctx));
  const evidence: GateEvidence = { ...base, spec, checks };
  const parts: Array<{ verdict: Verdict; reason: string }> = checks.map((c) => ({ verdict: c.verdict, reason: `${c.check}:${c.reason}` }));

  const errorCheck = spec.checks.find((c) => c.type === 'error_rate');
  const latencyCheck = spec.checks.find((c) => c.type === 'latency_p95');
  const windowMs = Math.max(errorCheck?.windowMs ?? 0, latencyCheck?.windowMs ?? 0) || Math.max(...spec.checks.map((c) => c.windowMs), 600_000);
  evidence.comparison = compareCohorts(
    typesOf(ctx),
    request.control,
    { from: request.at - windowMs, to: request.at },
    { errorRatePoints: errorCheck?.threshold ?? 2, latencyPercent: latencyCheck?.threshold ?? 20, minSamples: spec.minSamples },
    request.targetVersion,
    ctx.summaries,
  );
  if (spec.comparison === 'required') parts.push({ verdict: evidence.comparison.verdict, reason: `comparison:${evidence.comparison.verdict.toLowerCase()}` });

  if (spec.canary) {
    const canaryDevices = request.deployed.filter((d) => d.groupId === request.groupId);
    const memory = spec.checks.find((c) => c.type === 'memory_trend');
    evidence.canary = evaluateCanary(
      canaryDevices,
      request.at,
      spec.canary,
      { errorRatePoints: errorCheck?.threshold ?? 2, latencyPercent: latencyCheck?.threshold ?? 20, memoryGrowthPercent: memory?.threshold ?? 1 },
      request.baselines,
      request.targetVersion,
      spec.preset,
    );
    parts.push({ verdict: evidence.canary.verdict, reason: evidence.canary.reason });
  }

  const verdict = combineVerdicts(parts.map((p) => p.verdict));
  const reasons = parts.filter((p) => p.verdict === verdict).map((p) => p.reason);
  return { verdict, reason: verdict === 'PASS' ? 'all_checks_pass' : reasons.join(', '), evidence };
}
