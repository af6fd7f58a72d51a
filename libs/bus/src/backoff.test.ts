import { exponentialNakDelay } from './backoff';

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
