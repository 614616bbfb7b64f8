/** Where time comes from; tests drive a manual clock, the fleet uses the real one. */
export interface Clock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
  /** runs `callback` after pending I/O, so a long batch of due tasks never starves the sockets */
  defer(callback: () => void): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (callback, delayMs) => {
    const timer = setTimeout(callback, delayMs);
    // The fleet's owner decides when the process ends (stop()), not a pending poll.
    timer.unref();
    return timer;
  },
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
  defer: (callback) => setImmediate(callback),
};

/** Called once with `false` when due, or once with `true` if the scheduler stops first. */
export type Task = (stopped: boolean) => void;

interface Entry {
  due: number;
  /** insertion order: equal due times run first-in first-out, which keeps runs reproducible */
  seq: number;
  task: Task;
}

/**
 * One timer for the whole fleet: a binary min-heap of (due, seq) with a single armed timer for the earliest
 * entry, instead of one Node timer per device. Due tasks run in batches; between batches the loop yields to I/O.
 */
export class Scheduler {
  private readonly heap: Entry[] = [];
  private seq = 0;
  private timer: unknown;
  private armedFor = Infinity;
  private draining = false;
  private stopped = false;

  constructor(
    readonly clock: Clock = systemClock,
    private readonly batchSize = 500,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  at(due: number, task: Task): void {
    if (this.stopped) {
      task(true);
      return;
    }
    this.push({ due, seq: this.seq++, task });
    if (!this.draining && due < this.armedFor) this.arm();
  }

  after(delayMs: number, task: Task): void {
    this.at(this.clock.now() + Math.max(0, delayMs), task);
  }

  /** Resolves true after `delayMs`, or false at once when the scheduler stops. */
  sleep(delayMs: number): Promise<boolean> {
    return new Promise((resolve) => this.after(delayMs, (stopped) => resolve(!stopped)));
  }

  /** Drops the timer and tells every pending task that it will not run. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    const pending = this.heap.splice(0);
    for (const entry of pending) entry.task(true);
  }

  private arm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    const first = this.heap[0];
    if (!first || this.stopped) return;
    this.armedFor = first.due;
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.armedFor = Infinity;
      this.drain();
    }, Math.max(0, first.due - this.clock.now()));
  }

  private drain(): void {
    this.draining = true;
    const now = this.clock.now();
    let ran = 0;
    while (!this.stopped && this.heap.length > 0 && this.heap[0].due <= now && ran < this.batchSize) {
      const entry = this.pop();
      ran++;
      entry.task(false);
    }
    this.draining = false;
    if (this.stopped) return;
    if (this.heap.length > 0 && this.heap[0].due <= now) {
      this.clock.defer(() => this.drain());
    } else {
      this.arm();
    }
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop() as Entry;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right], heap[left]) ? right : left;
        if (!before(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/**
 * Bounds the requests in flight (and so the sockets) across the fleet; the rest wait in arrival order.
 * A FIFO of resolvers with a moving head: no O(n) shift per release.
 */
export class LimiterClosedError extends Error {
  constructor() {
    super('the limiter is closed');
    this.name = 'LimiterClosedError';
  }
}

export class Limiter {
  private active = 0;
  private queue: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private head = 0;
  private closed = false;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('a limiter needs max >= 1');
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length - this.head;
  }

  acquire(): Promise<void> {
    if (this.closed) return Promise.reject(new LimiterClosedError());
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.queue.push({ resolve, reject }));
  }

  release(): void {
    if (this.head < this.queue.length) {
      const next = this.queue[this.head];
      this.head++;
      if (this.head > 1_024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      // The slot passes straight to the next waiter: active stays the same.
      next.resolve();
      return;
    }
    this.active--;
  }

  /** Refuses new work and fails every waiter at once: a stopped fleet must not drain a queue of old requests. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const waiting = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const waiter of waiting) waiter.reject(new LimiterClosedError());
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}
