import { allEventsSubject, parseEventType, type BusNames } from '@rollgate/contracts';

/**
 * Which subjects a consumer that handles only `eventTypes` must receive, and how to tell the rest apart
 * without decoding them. Subjects are `<root>.evt.<tenant>.<aggregate>.<event>` (the version is not in the
 * subject, so every version of a handled event is delivered and the handler lookup decides).
 */
export interface ConsumerFilter {
  /** the consumer's filter subjects: one unless the server takes several (NATS >= 2.10) */
  subjects: string[];
  /** `<aggregate>.<event>` of every handled type, for skipping a delivered subject nobody handles */
  handledKeys: ReadonlySet<string>;
}

/**
 * The narrowest filter the server supports. With multi-filter consumers (NATS >= 2.10) each handled event
 * gets its own subject. NATS 2.9 takes one filter per consumer, and one consumer must stay one consumer,
 * because its handlers rely on stream order across types: one handled event, or one handled aggregate, is
 * filtered exactly; anything wider receives every event and skips the unhandled ones by subject, unread.
 * Returns undefined when some type is not a Rollgate event type (a wildcard pattern, say): no filtering.
 */
export function consumerFilterFor(names: BusNames, eventTypes: readonly string[], multiFilter: boolean): ConsumerFilter | undefined {
  const parts: Array<{ aggregate: string; event: string }> = [];
  for (const type of eventTypes) {
    try {
      parts.push(parseEventType(type));
    } catch {
      return undefined;
    }
  }
  if (parts.length === 0) return undefined;
  const handledKeys = new Set(parts.map((p) => `${p.aggregate}.${p.event}`));
  const exact = [...handledKeys].sort().map((key) => `${names.subjectRoot}.evt.*.${key}`);
  if (multiFilter || exact.length === 1) return { subjects: exact, handledKeys };
  const aggregates = new Set(parts.map((p) => p.aggregate));
  if (aggregates.size === 1) return { subjects: [`${names.subjectRoot}.evt.*.${[...aggregates][0]}.*`], handledKeys };
  return { subjects: [allEventsSubject(names)], handledKeys };
}

/** `<aggregate>.<event>` of an event subject: its last two tokens (the root may contain dots). */
export function subjectKey(subject: string): string {
  const event = subject.lastIndexOf('.');
  const aggregate = subject.lastIndexOf('.', event - 1);
  return subject.slice(aggregate + 1);
}

/** Multi-filter consumers (`filter_subjects`) arrived in NATS 2.10. */
export function supportsMultiFilter(serverVersion: string | undefined): boolean {
  const match = /^v?(\d+)\.(\d+)/.exec(serverVersion ?? '');
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 2 || (major === 2 && minor >= 10);
}
