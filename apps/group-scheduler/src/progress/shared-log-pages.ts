import { readLogPageLazily, type Checkpoint, type StoredEvent } from '@rollgate/event-store';
import type { Pool } from 'pg';

/** Full pages kept for readers that trail behind; each is one page size of events. */
const KEPT_PAGES = 4;

/**
 * The scheduler tails the log three times: its group counters, target_deployments and the planner's targets
 * read model, each with its own checkpoint and transaction. Reading and decoding every page three times
 * was most of the scheduler's CPU behind a burst of device events, so the readers share their page reads:
 * a page is read once (decoded on first use and without the hash chain, which none of them looks at:
 * readLogPageLazily with hashes: false) and handed to every reader that asks for
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
  /** readPromptly's last page was full: its reader is catching up, not at the head */
  private promptCatchingUp = false;

  constructor(
    private readonly pool: Pool,
    readonly pageSize: number,
    /** where readPromptly reads (the counters' own pool); `pool` by default */
    private readonly promptPool: Pool = pool,
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
   * Like `read`, but at the head of the log never waits for another reader's read in flight, which would
   * cost a second round trip when that read comes back partial: for the group counters, whose latency is
   * the scheduler's reaction time. While it is catching up (its last page was full) it does share a read
   * in flight, which is then most likely full too: reading and decoding the same 5,000 events twice was
   * CPU taken from counting.
   */
  readonly readPromptly = async (after: Checkpoint): Promise<StoredEvent[]> => {
    const key = `${after.transactionId}:${after.position}`;
    const kept = this.fullPages.get(key);
    let page: StoredEvent[] | undefined = kept ? await kept : undefined;
    const shared = page ? undefined : this.promptCatchingUp ? this.pages.get(key) : undefined;
    if (shared) {
      const sharedPage = await shared.catch(() => undefined);
      if (sharedPage?.length === this.pageSize) page = sharedPage;
    }
    page ??= await this.readPage(key, after, this.promptPool);
    this.promptCatchingUp = page.length === this.pageSize;
    return page;
  };

  private readPage(key: string, after: Checkpoint, pool = this.pool): Promise<StoredEvent[]> {
    const page = readLogPageLazily(pool, after, this.pageSize, { hashes: false });
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
