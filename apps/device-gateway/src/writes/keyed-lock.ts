/**
 * Runs work one at a time per key (a device's two concurrent feedback posts for one action), any number of
 * keys in parallel. Keys without waiting work are forgotten, so the map holds only busy keys.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    // A free key (nearly always: devices post one message at a time) starts the work at once.
    const result = previous === undefined ? start(work) : previous.then(work, work);
    // One promise settles the key whatever the outcome: the next waiter runs after it, and a key nobody
    // queued behind meanwhile is forgotten.
    const release = (): void => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    const tail: Promise<void> = result.then(release, release);
    this.tails.set(key, tail);
    return result;
  }

  /** keys with work running or waiting (for tests) */
  get size(): number {
    return this.tails.size;
  }
}

/** `work()`, with a synchronous throw as a rejection, as `then(work)` would give. */
function start<T>(work: () => Promise<T>): Promise<T> {
  try {
    return work();
  } catch (error) {
    return Promise.reject(error);
  }
}
