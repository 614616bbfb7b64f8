import type { ContentStore } from './content-store';

export interface GcResult {
  removed: string[];
  bytesFreed: number;
  kept: number;
}

/**
 * Deletes blobs that no tenant references. `referenced` is the set of sha256 some software module still
 * holds or an upload recorded within the grace period (ArtifactCatalog.referencedContent). A blob younger
 * than `graceMs` is kept even when unreferenced: an upload stores its blob before it appends the event naming
 * it, and a collection running in between must not delete it from under the upload.
 */
export async function collectGarbage(store: ContentStore, referenced: ReadonlySet<string>, nowMs: number, graceMs: number): Promise<GcResult> {
  const result: GcResult = { removed: [], bytesFreed: 0, kept: 0 };
  for await (const blob of store.list()) {
    if (referenced.has(blob.sha256) || nowMs - blob.modifiedAtMs < graceMs) {
      result.kept += 1;
      continue;
    }
    await store.remove(blob.sha256);
    result.removed.push(blob.sha256);
    result.bytesFreed += blob.size;
  }
  return result;
}
