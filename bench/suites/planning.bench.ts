import { compileFilter, type FilterTarget } from '@rollgate/filter-domain';
import { planCanaryWaves, type PlanTarget } from '@rollgate/planning-domain';
import { seededRandom, shuffleInPlace } from '@rollgate/shared-domain';
import type { BenchSuite } from '../harness';

const N = 1_000_000;
const NOW = Date.UTC(2026, 0, 1);
const TYPES = ['gw-a', 'gw-b', 'cam-x', 'cam-y', 'sensor', 'plc', 'hmi', 'router'];
const REGIONS = ['eu-west', 'eu-central', 'us-east', 'us-west', 'ap-south', 'ap-east'];
const STATUSES = ['IN_SYNC', 'PENDING', 'ERROR', 'UNKNOWN', 'REGISTERED'];
const FILTER = 'deviceType=in=(gw-a,cam-x,plc);region==eu*;attribute.hwRevision=ge=2;tags.name!=lab;updateStatus!=PENDING';

type Target = PlanTarget & FilterTarget;

/** A deterministic fleet: same seed, same million devices on every run. Attribute and tag objects are shared. */
function generateFleet(): Target[] {
  const random = seededRandom('bench-fleet');
  const attributes = Array.from({ length: 5 }, (_, i) => ({ hwRevision: String(i), os: `linux-${i}` }));
  const tags = [['prod'], ['prod', 'eu'], ['lab'], [], ['us', 'prod']];
  const fleet = new Array<Target>(N);
  for (let i = 0; i < N; i++) {
    const flag = random.nextInt(1000);
    fleet[i] = {
      id: `dev-${i}`, controllerId: `dev-${i}`, name: `device ${i}`,
      deviceType: TYPES[random.nextInt(TYPES.length)], region: REGIONS[random.nextInt(REGIONS.length)],
      site: `site-${random.nextInt(2000)}`, gateway: `gw-${random.nextInt(20_000)}`,
      createdAt: NOW - 86_400_000 - random.nextInt(1e9), monitoringScore: random.nextInt(100),
      quarantined: flag === 0, singlePointOfFailure: flag === 1, inMaintenance: flag === 2, hardwareIssue: flag === 3,
      lastConnectivityIssueAt: flag === 4 ? NOW - 3_600_000 : undefined, activeRolloutId: flag === 5 ? 'other' : undefined,
      updateStatus: STATUSES[random.nextInt(STATUSES.length)], attributes: attributes[random.nextInt(5)], tags: tags[random.nextInt(5)],
    };
  }
  return fleet;
}

/** Median of several runs: the first pays for JIT warm-up, the machine is shared and noisy. */
function median(runs: number, work: (run: number) => void): number {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    work(r);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

export const suite: BenchSuite = {
  name: 'planning',
  description: 'plan 1,000,000 targets into canary + 3 waves (site caps on); compile and evaluate a 5-clause filter over 1,000,000 in-memory targets',
  async run(report) {
    const fleet = generateFleet();
    const waves = [{ name: 'wave-1', percentage: 10 }, { name: 'wave-2', percentage: 30 }, { name: 'wave-3', percentage: 100 }];

    // Reference: the bare minimum any plan costs, one seeded shuffle of a million indexes plus one pass.
    const shuffleRef = median(5, (r) => {
      const order = shuffleInPlace(Int32Array.from({ length: N }, (_, i) => i), seededRandom(`ref-${r}`));
      let sum = 0;
      for (let k = 0; k < N; k++) sum += fleet[order[k]].monitoringScore!;
      if (sum < 0) throw new Error('unreachable');
    });
    let groupSizes: number[] = [];
    const planMs = median(5, (r) => {
      const plan = planCanaryWaves(fleet, { seed: `bench-${r}`, now: NOW, createdBefore: NOW, waves, caps: { percent: 5, by: ['site'] } });
      groupSizes = plan.groups.map((g) => g.members.length);
    });
    report.metric('plan_1m_ms', planMs, 'ms', { reference: shuffleRef, goal: '<= 1500 ms' });
    report.metric('plan_canary_size', groupSizes[0], 'targets', { goal: '10..50 (1-2 %, capped)' });

    // Reference: a bare loop reading one field of every target.
    const scanRef = median(5, () => {
      let n = 0;
      for (let i = 0; i < N; i++) if (fleet[i].region === 'eu-west') n++;
      if (n < 0) throw new Error('unreachable');
    });
    let matched = 0;
    const filterMs = median(5, () => {
      const { matches } = compileFilter(FILTER);
      matched = 0;
      for (let i = 0; i < N; i++) if (matches(fleet[i])) matched++;
    });
    report.metric('filter_1m_ms', filterMs, 'ms', { reference: scanRef, goal: '<= 1000 ms' });
    report.metric('filter_1m_matched', matched, 'targets');
  },
};
