import fc from 'fast-check';
import { Limiter, Scheduler, type Clock } from './scheduler';

/** A clock the test moves by hand; deferred callbacks run when the test flushes them. */
class ManualClock implements Clock {
  time = 0;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private deferred: Array<() => void> = [];
  private nextId = 1;
  armed = 0;

  now(): number {
    return this.time;
  }
  setTimer(callback: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    this.armed++;
    this.timers.set(id, { at: this.time + delayMs, callback });
    return id;
  }
  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  defer(callback: () => void): void {
    this.deferred.push(callback);
  }
  get pendingTimers(): number {
    return this.timers.size;
  }
  /** Moves time forward, firing timers and deferred batches as they come due. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      while (this.deferred.length > 0) this.deferred.shift()!();
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].callback();
    }
    this.time = until;
  }
}

describe('Scheduler', () => {
  it('runs tasks in due order, equal due times first-in first-out, with one timer for all of them', () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler(clock);
    const ran: string[] = [];
    scheduler.at(30, () => ran.push('c'));
    scheduler.at(10, () => ran.push('a1'));
    scheduler.at(10, () => ran.push('a2'));
    scheduler.at(20, () => ran.push('b'));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(15);
    expect(ran).toEqual(['a1', 'a2']);
    clock.advance(100);
    expect(ran).toEqual(['a1', 'a2', 'b', 'c']);
    expect(scheduler.size).toBe(0);
  });

  it('runs any set of tasks in (due, insertion) order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 300 }), (dues) => {
        const clock = new ManualClock();
        const scheduler = new Scheduler(clock, 7);
        const ran: number[] = [];
        dues.forEach((due, i) => scheduler.at(due, () => ran.push(i)));
        clock.advance(2_000);
        const expected = dues.map((due, i) => ({ due, i })).sort((a, b) => a.due - b.due || a.i - b.i).map((e) => e.i);
        expect(ran).toEqual(expected);
      }),
    );
  });

  it('yields to I/O between batches of due tasks', () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler(clock, 3);
    let ran = 0;
    for (let i = 0; i < 10; i++) scheduler.at(5, () => ran++);
    const deferSpy = jest.spyOn(clock, 'defer');
    clock.advance(5);
    expect(ran).toBe(10);
    // 10 tasks in batches of 3: three hand-overs to the event loop.
    expect(deferSpy).toHaveBeenCalledTimes(3);
  });

  it('re-arms for an earlier task added later', () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler(clock);
    const ran: string[] = [];
    scheduler.at(100, () => ran.push('late'));
    scheduler.at(10, () => ran.push('early'));
    clock.advance(10);
    expect(ran).toEqual(['early']);
    expect(clock.pendingTimers).toBe(1);
  });

  it('tells pending tasks and sleepers that it stopped, and refuses new ones the same way', async () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler(clock);
    const told: boolean[] = [];
    scheduler.at(10, (stopped) => told.push(stopped));
    const sleeping = scheduler.sleep(1_000);
    scheduler.stop();
    expect(told).toEqual([true]);
    await expect(sleeping).resolves.toBe(false);
    scheduler.at(1, (stopped) => told.push(stopped));
    expect(told).toEqual([true, true]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('resolves a sleep with true when its time comes', async () => {
    const clock = new ManualClock();
    const scheduler = new Scheduler(clock);
    const slept = scheduler.sleep(50);
    clock.advance(50);
    await expect(slept).resolves.toBe(true);
  });
});

describe('Limiter', () => {
  it('never lets more than max run at once, and serves waiters in arrival order', async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const gates: Array<() => void> = [];
    const work = (i: number) =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
      });
    const all = [0, 1, 2, 3, 4].map(work);
    await Promise.resolve();
    expect(limiter.inFlight).toBe(2);
    expect(limiter.waiting).toBe(3);
    while (gates.length > 0 || order.length < 5) {
      gates.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(all);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(limiter.inFlight).toBe(0);
  });

  it('releases the slot when the work throws', async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(limiter.inFlight).toBe(0);
    await expect(limiter.run(async () => 'ok')).resolves.toBe('ok');
  });

  it('refuses a limit below one', () => {
    expect(() => new Limiter(0)).toThrow(RangeError);
  });
});

describe('Limiter.close', () => {
  it('fails every waiter and refuses new work, while work in flight finishes', async () => {
    const limiter = new Limiter(1);
    let finishFirst!: () => void;
    const first = limiter.run(() => new Promise<string>((resolve) => (finishFirst = () => resolve('first'))));
    const waiting = [limiter.run(async () => 'second'), limiter.run(async () => 'third')];
    await Promise.resolve();
    limiter.close();
    await expect(Promise.all(waiting.map((w) => w.catch((e: Error) => e.name)))).resolves.toEqual(['LimiterClosedError', 'LimiterClosedError']);
    await expect(limiter.run(async () => 'late')).rejects.toThrow('the limiter is closed');
    finishFirst();
    await expect(first).resolves.toBe('first');
    expect(limiter.inFlight).toBe(0);
  });
});
