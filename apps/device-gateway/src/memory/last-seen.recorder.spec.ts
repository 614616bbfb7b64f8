import { LastSeenRecorder } from './last-seen.recorder';

type Rows = Array<[string, string, number]>;

function fakePool(fail = () => false) {
  const writes: Rows[] = [];
  return {
    writes,
    query: jest.fn(async (_sql: string, columns: [string, string, string]) => {
      if (fail()) throw new Error('connection lost');
      const [tenants, ids, ats] = columns.map((column) => JSON.parse(column)) as [string[], string[], number[]];
      writes.push(tenants.map((tenant, i) => [tenant, ids[i], ats[i]]));
      return { rows: [] };
    }),
  };
}

describe('LastSeenRecorder', () => {
  it('writes each device once per flush with its latest note, and nothing when there is nothing new', async () => {
    const pool = fakePool();
    const recorder = new LastSeenRecorder(pool as never);
    recorder.touch('acme', 'dev-1', 1000);
    recorder.touch('acme', 'dev-2', 1500);
    recorder.touch('acme', 'dev-1', 2000);
    recorder.touch('other', 'dev-1', 1200);
    expect(await recorder.flush()).toBe(3);
    expect(pool.writes[0]).toEqual([
      ['acme', 'dev-1', 2000],
      ['acme', 'dev-2', 1500],
      ['other', 'dev-1', 1200],
    ]);
    expect(await recorder.flush()).toBe(0);
    expect(pool.query).toHaveBeenCalledTimes(1);
  });

  it('keeps the notes of a failed flush for the next one, behind notes taken meanwhile', async () => {
    let failing = true;
    const pool = fakePool(() => failing);
    const recorder = new LastSeenRecorder(pool as never);
    recorder.touch('acme', 'dev-1', 1000);
    recorder.touch('acme', 'dev-2', 1000);
    const flushing = recorder.flush();
    recorder.touch('acme', 'dev-1', 3000);
    await expect(flushing).rejects.toThrow('connection lost');
    failing = false;
    expect(await recorder.flush()).toBe(2);
    expect(pool.writes[0]).toEqual(
      expect.arrayContaining([
        ['acme', 'dev-1', 3000],
        ['acme', 'dev-2', 1000],
      ]),
    );
  });
});
