import { DEFAULT_TELEMETRY_POLICY, TelemetryStore, type HealthSample, type IngestOutcome, type TelemetryPolicy } from '@rollgate/health-domain';
import type { TelemetrySample } from '@rollgate/contracts';

/** One telemetry store per tenant: a tenant's rules never see another tenant's devices. */
export class TenantTelemetry {
  private readonly stores = new Map<string, TelemetryStore>();

  constructor(private readonly policy: TelemetryPolicy = DEFAULT_TELEMETRY_POLICY) {}

  of(tenant: string): TelemetryStore {
    let store = this.stores.get(tenant);
    if (!store) {
      store = new TelemetryStore(this.policy);
      this.stores.set(tenant, store);
    }
    return store;
  }

  ingest(sample: TelemetrySample, now: number): IngestOutcome {
    const { tenant, ...rest } = sample;
    return this.of(tenant).ingest(rest as HealthSample, now);
  }

  prune(now: number): void {
    for (const store of this.stores.values()) store.prune(now);
  }

  /** Intake outcomes summed over tenants. */
  counts(): Record<IngestOutcome, number> {
    const total: Record<IngestOutcome, number> = { accepted: 0, 'late-accepted': 0, duplicate: 0, 'too-late': 0, future: 0, invalid: 0 };
    for (const store of this.stores.values()) for (const [k, v] of Object.entries(store.counts)) total[k as IngestOutcome] += v;
    return total;
  }

  get bucketMs(): number {
    return this.policy.bucketMs;
  }
}
