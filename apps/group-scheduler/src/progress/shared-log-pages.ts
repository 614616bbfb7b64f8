import { readLogPageLazily, type Checkpoint, type StoredEvent } from '@rollgate/event-store';
import type { Pool } from 'pg';

/** Full pages kept for readers that trail behind; each is one page size of events. */
const KEPT_PAGES = 4;

/**
 * The scheduler tails the log three times: its group counters, target_deployments and the planner's targets
 * read model, each with its own checkpoint and transaction. Reading and decoding every page three times
 * was most of the scheduler's CPU behind a burst of device events, so the readers share their page reads:
 * a page is read once (decoded on first use, readLogPageLazily) and handed to every reader that asks for
 * the page after the same checkpoint. Readers treat events as read-only, as they do any stored event.
 *
 * Sharing never changes what a reader sees: the page after a checkpoint is a prefix of the log in log
 * order, and nothing can appear in it later (readAll: events below the oldest open transaction only), so a
 * full page read for one reader is exactly right for another at the same checkpoint. Full pages are kept
 * for readers that trail behind (the most recent few). A partial page (the head of the log) is never handed
 * on: it may have been read before the events that woke another reader were readable, so that reader reads
 * the head itself.
 */
export class SharedLogPages {
  /** reads in flight, by checkpoint */
  private readonly pages = new Map<string, Promise<StoredEvent[]>>();
  /** full pages read, by checkpoint: the most recent KEPT_PAGES */
  private readonly fullPages = new Map<string, Promise<StoredEvent[]>>();

  constructor(
    private readonly pool: Pool,
    readonly pageSize: number,
  ) {}

  /** The page of up to `pageSize` events after `after`: a tailLog read function for every reader. */
  readonly read = async (after: Checkpoint): Promise<StoredEvent[]> => {
    const key = `${after.transactionId}:${after.position}`;
    const kept = this.fullPages.get(key);
    if (kept) return kept;
    const shared = this.pages.get(key);
    if (shared) {
      const page = await shared.catch(() => undefined);
      // A partial page (the head) may have been read before what woke this reader was readable: read again.
      if (page?.length === this.pageSize) return page;
    }
    return this.readPage(key, after);
  };

  /**
   * Like `read`, but never waits for another reader's read in flight, which at the head of the log would
   * cost a second round trip: for the group counters, whose latency is the scheduler's reaction time.
   */
  readonly readPromptly = (after: Checkpoint): Promise<StoredEvent[]> => {
    const key = `${after.transactionId}:${after.position}`;
    return this.fullPages.get(key) ?? this.readPage(key, after);
  };

  private readPage(key: string, after: Checkpoint): Promise<StoredEvent[]> {
    const page = readLogPageLazily(this.pool, after, this.pageSize);
    this.pages.set(key, page);
    page.then(
      (events) => (events.length < this.pageSize ? this.forget(key, page) : this.keep(key, page)),
      () => this.forget(key, page),
    );
    return page;
  }

  private forget(key: string, page: Promise<StoredEvent[]>): void {
    if (this.pages.get(key) === page) this.pages.delete(key);
  }

  /** Keeps a full page, dropping the oldest past KEPT_PAGES (a Map iterates in insertion order). */
  private keep(key: string, page: Promise<StoredEvent[]>): void {
    this.forget(key, page);
    this.fullPages.set(key, page);
    for (const oldest of this.fullPages.keys()) {
      if (this.fullPages.size <= KEPT_PAGES) return;
      this.fullPages.delete(oldest);
    }
  }
}
