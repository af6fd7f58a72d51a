import { exponentialNakDelay, restartDelay } from './backoff';

describe('exponentialNakDelay', () => {
  it('starts at 200 ms and doubles with each delivery', () => {
    expect([1, 2, 3, 4, 5].map(exponentialNakDelay)).toEqual([200, 400, 800, 1600, 3200]);
  });

  it('never waits more than 30 s, however many deliveries failed', () => {
    expect(exponentialNakDelay(9)).toBe(30_000);
    expect(exponentialNakDelay(10_000)).toBe(30_000);
  });

  it('treats a missing or zero delivery count as the first delivery', () => {
    expect(exponentialNakDelay(0)).toBe(200);
  });
});

describe('restartDelay', () => {
  it('starts at 100 ms, doubles with each failure and never waits more than 5 s', () => {
    expect([1, 2, 3, 4].map(restartDelay)).toEqual([100, 200, 400, 800]);
    expect(restartDelay(7)).toBe(5_000);
    expect(restartDelay(1_000)).toBe(5_000);
  });
});
