import { ValidationError } from '@rollgate/shared-domain';

/** `io.rollgate.<aggregate>.<event>.v<n>`, e.g. `io.rollgate.rollout.group-started.v1`. */
const EVENT_TYPE = /^io\.rollgate\.([a-z][a-z0-9-]*)\.([a-z][a-z0-9-]*)\.v([1-9][0-9]*)$/;

export interface EventTypeParts {
  aggregate: string;
  event: string;
  version: number;
}

export function eventType(aggregate: string, event: string, version = 1): string {
  const type = `io.rollgate.${aggregate}.${event}.v${version}`;
  parseEventType(type);
  return type;
}

export function parseEventType(type: string): EventTypeParts {
  const match = EVENT_TYPE.exec(type);
  if (!match) {
    throw new ValidationError(`"${type}" is not an event type of the form io.rollgate.<aggregate>.<event>.v<n>`, [], 'invalid_event_type');
  }
  return { aggregate: match[1], event: match[2], version: Number(match[3]) };
}
