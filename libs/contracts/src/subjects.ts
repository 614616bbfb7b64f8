import { parseEventType } from './event-type';

/**
 * Names on the bus. Production uses the defaults; tests pass a unique root and stream names per run so that
 * runs never see each other's messages (two streams may not share subjects).
 */
export interface BusNames {
  /** first subject token: `rollgate` in production */
  subjectRoot: string;
  eventsStream: string;
  telemetryStream: string;
}

export const DEFAULT_BUS_NAMES: BusNames = {
  subjectRoot: 'rollgate',
  eventsStream: 'ROLLGATE_EVENTS',
  telemetryStream: 'ROLLGATE_TELEMETRY',
};

/** `rollgate.evt.<tenant>.<aggregate>.<event>` */
export function eventSubject(names: BusNames, tenant: string, type: string): string {
  const { aggregate, event } = parseEventType(type);
  return `${names.subjectRoot}.evt.${tenant}.${aggregate}.${event}`;
}

export function allEventsSubject(names: BusNames): string {
  return `${names.subjectRoot}.evt.>`;
}

/** `rollgate.tel.<tenant>.<deviceId>` */
export function telemetrySubject(names: BusNames, tenant: string, deviceId: string): string {
  return `${names.subjectRoot}.tel.${tenant}.${deviceId}`;
}

export function allTelemetrySubject(names: BusNames): string {
  return `${names.subjectRoot}.tel.>`;
}
