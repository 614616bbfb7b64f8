import { KeyedLock } from './keyed-lock';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedLock', () => {
  it('runs work for one key one at a time, in call order, and other keys alongside', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const gates: Array<() => void> = [];
    const job = (name: string) => () =>
      new Promise<string>((resolve) => {
        log.push(`start ${name}`);
        gates.push(() => {
          log.push(`end ${name}`);
          resolve(name);
        });
      });
    const a1 = lock.run('a', job('a1'));
    const a2 = lock.run('a', job('a2'));
    const b1 = lock.run('b', job('b1'));
    await tick();
    expect(log).toEqual(['start a1', 'start b1']);
    gates.shift()?.();
    await tick();
    expect(log).toEqual(['start a1', 'start b1', 'end a1', 'start a2']);
    gates.splice(0).forEach((open) => open());
    await expect(Promise.all([a1, a2, b1])).resolves.toEqual(['a1', 'a2', 'b1']);
  });

  it('runs the next work after a failure, passes each outcome to its own caller, and forgets idle keys', async () => {
    const lock = new KeyedLock();
    const failed = lock.run('a', () => Promise.reject(new Error('boom')));
    const thrown = lock.run('a', () => {
      throw new Error('sync');
    });
    const next = lock.run('a', async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    await expect(thrown).rejects.toThrow('sync');
    await expect(next).resolves.toBe('next');
    await tick();
    expect(lock.size).toBe(0);
  });

  it('turns a synchronous throw of work on a free key into a rejection', async () => {
    const lock = new KeyedLock();
    const run = lock.run('free', () => {
      throw new Error('sync');
    });
    await expect(run).rejects.toThrow('sync');
    await tick();
    expect(lock.size).toBe(0);
  });
});
