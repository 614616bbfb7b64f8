import { dataSchemaOf, type CloudEvent } from '@rollgate/contracts';
import type { StoredEvent } from './types';

/** The structured-mode CloudEvent for a stored event: what the relay publishes and consumers receive. */
export function toCloudEvent(event: StoredEvent): CloudEvent {
  const { source, correlationId, causationId, traceparent, actor } = event.metadata;
  const cloudEvent: CloudEvent = {
    specversion: '1.0',
    id: event.id,
    source: typeof source === 'string' ? source : 'rollgate/unknown',
    type: event.type,
    time: event.recordedAt.toISOString(),
    subject: event.streamId,
    datacontenttype: 'application/json',
    dataschema: dataSchemaOf(event.type),
    data: event.data,
    tenant: event.tenant,
    streamid: event.streamId,
    streamversion: event.streamVersion,
    position: event.position.toString(),
  };
  if (typeof correlationId === 'string') cloudEvent.correlationid = correlationId;
  if (typeof causationId === 'string') cloudEvent.causationid = causationId;
  if (typeof traceparent === 'string') cloudEvent.traceparent = traceparent;
  if (typeof actor === 'string') cloudEvent.actor = actor;
  return cloudEvent;
}
