import { DEVICE_ATTRIBUTE_ARCHITECTURE, DEVICE_ATTRIBUTE_FREE_DISK_BYTES } from '@rollgate/contracts';
import { actionSettings, type ActionEntry, type DeviceEntry, type TenantMemory } from '../memory/gateway-memory';

export interface CheckFailure {
  check: 'architecture' | 'free_disk';
  reason: string;
}

/**
 * Issue 5's pre-deploy checks, on what the device reported through configData: its architecture must be
 * each artifact's (when both are known), and its free disk at least twice the update's size (room for the
 * rollback copy). A device that reported neither is not held back: hawkBit clients need not report them.
 */
export function preDeployCheck(memory: TenantMemory, device: DeviceEntry, action: ActionEntry): CheckFailure | undefined {
  const ds = memory.distributionSets.get(actionSettings(action).distributionSetId);
  if (!ds) return undefined;
  const arch = device.attributes[DEVICE_ATTRIBUTE_ARCHITECTURE];
  let total = 0;
  for (const moduleId of ds.modules) {
    for (const [fileName, sha256] of memory.modules.get(moduleId)?.artifacts ?? []) {
      const artifact = memory.artifacts.get(sha256);
      if (!artifact) continue;
      total += artifact.size;
      if (arch !== undefined && artifact.architecture !== undefined && artifact.architecture !== arch) {
        return { check: 'architecture', reason: `device architecture ${arch} does not match ${fileName} (${artifact.architecture})` };
      }
    }
  }
  const freeText = device.attributes[DEVICE_ATTRIBUTE_FREE_DISK_BYTES];
  if (freeText !== undefined && /^[0-9]+$/.test(freeText.trim())) {
    const free = Number(freeText.trim());
    if (free < 2 * total) return { check: 'free_disk', reason: `free disk ${free} bytes is less than twice the update size (2 x ${total} bytes)` };
  }
  return undefined;
}
