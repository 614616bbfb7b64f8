// Event payload schemas owned by the device side; see docs/event-flow.md.
import { eventType } from '../event-type';

/**
 * Action events (`io.rollgate.action.<event>.v1`, payloads from @rollgate/rollout-domain's action decider)
 * live in one stream per action, `action-<actionId>`, with the numeric DDI action id.
 */
export const ACTION_AGGREGATE = 'action';

export function actionStreamId(actionId: number | string): string {
  return `action-${actionId}`;
}

/** The numeric action id of an `action-<id>` stream, or undefined for any other stream. */
export function actionIdOfStream(streamId: string): number | undefined {
  if (!streamId.startsWith('action-')) return undefined;
  const id = Number(streamId.slice('action-'.length));
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/** The gateway appends these when a device registers itself (auto-registration) or reports attributes. */
export const DEVICE_WRITTEN_TARGET_EVENTS = {
  created: eventType('target', 'target-created'),
  attributesUpdated: eventType('target', 'target-attributes-updated'),
} as const;

/**
 * Device attributes (reported through DDI configData) that the gateway's pre-deploy checks read (issue 5):
 * the device's CPU architecture, compared with the artifact's, and its free disk in bytes, which must be at
 * least twice the artifact's size.
 */
export const DEVICE_ATTRIBUTE_ARCHITECTURE = 'architecture';
export const DEVICE_ATTRIBUTE_FREE_DISK_BYTES = 'free_disk_bytes';
