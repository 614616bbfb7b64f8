import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { migrationsApplied, type MigrationClass } from '@rollgate/event-store';
import type { Pool } from 'pg';
import { ConsumerRegistry } from './consumer-registry';
import type { ServiceConfig } from './service-config';
import { NATS_CONNECTION, PG_POOL, SERVICE_CONFIG, SERVICE_MIGRATIONS } from './tokens';

export type CheckName = 'postgres' | 'nats' | 'migrations' | 'consumer' | 'accepting';

export interface ReadinessReport {
  ready: boolean;
  /** the built-in checks, plus any a service added with addCheck */
  checks: Record<CheckName, 'ok' | string> & Record<string, 'ok' | string>;
}

/** A service's own readiness probe: resolves when ready, throws (with the reason) when not. */
export type ReadinessProbe = () => void | Promise<void>;

/** A probe must answer quickly even when a dependency hangs (a black-holed TCP connect, say). */
const CHECK_TIMEOUT_MS = 2_000;
/** Migrations only change at startup; re-reading them on every probe would open a connection per poll. */
const MIGRATIONS_RECHECK_MS = 10_000;

/** What `/readyz` reports: every dependency a service needs to do its work right now. */
@Injectable()
export class ReadinessService implements BeforeApplicationShutdown {
  private jsm: JetStreamManager | undefined;
  private migrationsOkUntil = 0;
  private shuttingDown = false;
  private readonly extraChecks = new Map<string, ReadinessProbe>();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(SERVICE_MIGRATIONS) private readonly migrations: MigrationClass[],
    private readonly consumers: ConsumerRegistry,
  ) {}

  /** A draining instance reports unready first, so load balancers stop sending before the port closes. */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  /**
   * Adds what else this service needs before it can serve (its projections running, say). The probe runs
   * on every /readyz with the same timeout as the built-in checks.
   */
  addCheck(name: string, probe: ReadinessProbe): void {
    this.extraChecks.set(name, probe);
  }

  async report(): Promise<ReadinessReport> {
    const [postgres, nats, migrations, ...extra] = await Promise.all([
      check(() => this.checkPostgres()),
      check(() => this.checkNats()),
      check(() => this.checkMigrations()),
      ...[...this.extraChecks.values()].map((probe) => check(async () => probe())),
    ]);
    const checks: ReadinessReport['checks'] = {
      postgres,
      nats,
      migrations,
      consumer: this.consumers.attached ? 'ok' : 'not attached',
      accepting: this.shuttingDown ? 'shutting down' : 'ok',
      ...Object.fromEntries([...this.extraChecks.keys()].map((name, i) => [name, extra[i]])),
    };
    return { ready: Object.values(checks).every((result) => result === 'ok'), checks };
  }

  private async checkPostgres(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** Open connection, and JetStream answers for the events stream (it also proves provisioning ran). */
  private async checkNats(): Promise<void> {
    if (this.nc.isClosed()) throw new Error('connection closed');
    this.jsm ??= await jetstreamManager(this.nc);
    await this.jsm.streams.info(this.config.busNames.eventsStream);
  }

  private async checkMigrations(): Promise<void> {
    if (Date.now() < this.migrationsOkUntil) return;
    if (!(await migrationsApplied(this.config.databaseUrl, this.migrations))) throw new Error('pending migrations');
    this.migrationsOkUntil = Date.now() + MIGRATIONS_RECHECK_MS;
  }
}

async function check(probe: () => Promise<void>): Promise<'ok' | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
