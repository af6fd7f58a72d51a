import { type BatchItem, Batcher } from './batcher';
import type { Delivery } from './consumer';

const delivery = (streamSeq: number): Delivery => ({
  subject: 's',
  streamSeq,
  deliveryCount: 1,
  msgId: undefined,
});

describe('Batcher', () => {
  it('runs one batch at a time, each with what arrived meanwhile, up to the batch size', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstHeld = new Promise<void>((resolve) => (release = resolve));
    const batcher = new Batcher<number>(
      async (items) => {
        batches.push(items.map((item) => item.message));
        if (batches.length === 1) await firstHeld;
      },
      { maxBatch: 3, concurrency: 1, lingerMs: 0 },
      's',
    );
    const settled = [1, 2, 3, 4, 5, 6].map((n) =>
      batcher.add({ message: n, delivery: delivery(n) }),
    );
    // The first started alone; the rest wait for it.
    expect(batches).toEqual([[1]]);
    release();
    await Promise.all(settled);
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it('rejects the items the handler names with their error, and every item when it throws', async () => {
    const refusal = new Error('refused');
    const batcher = new Batcher<number>(
      async (items) => {
        if (items.some((item) => item.message === 9)) throw new Error('store down');
        return new Map<BatchItem<number>, unknown>(
          items.filter((item) => item.message % 2 === 0).map((item) => [item, refusal]),
        );
      },
      { maxBatch: 10, concurrency: 1, lingerMs: 0 },
      's',
    );
    // The first batch runs alone; 4 and 5 arrive during it and go together.
    const first = batcher.add({ message: 1, delivery: delivery(1) });
    const [even, odd] = await Promise.allSettled([
      batcher.add({ message: 4, delivery: delivery(4) }),
      batcher.add({ message: 5, delivery: delivery(5) }),
    ]);
    await first;
    expect(even).toEqual({ status: 'rejected', reason: refusal });
    expect(odd.status).toBe('fulfilled');
    await expect(batcher.add({ message: 9, delivery: delivery(9) })).rejects.toThrow('store down');
  });

  it('waits the linger time for a batch that is not full', async () => {
    jest.useFakeTimers();
    try {
      const batches: number[][] = [];
      const batcher = new Batcher<number>(
        async (items) => {
          batches.push(items.map((item) => item.message));
        },
        { maxBatch: 2, concurrency: 1, lingerMs: 20 },
        's',
      );
      const lingering = batcher.add({ message: 1, delivery: delivery(1) });
      jest.advanceTimersByTime(19);
      expect(batches).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(batches).toEqual([[1]]);
      await lingering;
    } finally {
      jest.useRealTimers();
    }
  });

  it('starts a full batch at once, without the linger', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>(
      async (items) => {
        batches.push(items.map((item) => item.message));
      },
      // Longer than the test may run.
      { maxBatch: 2, concurrency: 1, lingerMs: 3_600_000 },
      's',
    );
    await Promise.all([1, 2].map((n) => batcher.add({ message: n, delivery: delivery(n) })));
    expect(batches).toEqual([[1, 2]]);
  });

  it('runs up to `concurrency` batches at once', async () => {
    let running = 0;
    let most = 0;
    const batcher = new Batcher<number>(
      async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
      },
      { maxBatch: 1, concurrency: 2, lingerMs: 0 },
      's',
    );
    await Promise.all([1, 2, 3, 4].map((n) => batcher.add({ message: n, delivery: delivery(n) })));
    expect(most).toBe(2);
  });
});
