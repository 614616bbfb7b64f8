import type { BusNames } from '@rollgate/contracts';

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export function busNamesFromEnv(): BusNames {
  return { subjectRoot: requiredEnv('BUS_SUBJECT_ROOT'), eventsStream: requiredEnv('BUS_EVENTS_STREAM'), telemetryStream: requiredEnv('BUS_TELEMETRY_STREAM') };
}

export function busNamesToEnv(names: BusNames): Record<string, string> {
  return { BUS_SUBJECT_ROOT: names.subjectRoot, BUS_EVENTS_STREAM: names.eventsStream, BUS_TELEMETRY_STREAM: names.telemetryStream };
}
