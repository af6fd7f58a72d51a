import {
  WINDOW_MS,
  counterKey,
  grantOf,
  leaseSizeOf,
  limitName,
  retryAfterMs,
  windowStartOf,
} from './window';

const at = Date.UTC(2026, 10, 30, 12, 34, 0);

describe('windows', () => {
  it('a window is the whole minute holding the time', () => {
    expect(windowStartOf(at)).toBe(at);
    expect(windowStartOf(at + 59_999)).toBe(at);
    expect(windowStartOf(at + 60_000)).toBe(at + WINDOW_MS);
  });

  it('retry-after is the time left until the window ends', () => {
    expect(retryAfterMs(at)).toBe(60_000);
    expect(retryAfterMs(at + 12_345)).toBe(47_655);
    expect(retryAfterMs(at + 59_999)).toBe(1);
  });

  it('keys name tenant, function (or the whole tenant), kind and window start, one token each', () => {
    const tenant = '0193a0c2-0000-7000-8000-000000000001';
    expect(counterKey({ tenantId: tenant, functionName: 'support.answer' }, 'rpm', at)).toBe(
      `${tenant}.support/answer.rpm.${at}`,
    );
    expect(counterKey({ tenantId: tenant, functionName: 'a..b.' }, 'rpm', at)).toBe(
      `${tenant}.a//b/.rpm.${at}`,
    );
    expect(counterKey({ tenantId: tenant, functionName: null }, 'tpm', at)).toBe(
      `${tenant}._tenant.tpm.${at}`,
    );
    expect(limitName({ tenantId: tenant, functionName: null }, 'rpm')).toBe(
      `${tenant}._tenant.rpm`,
    );
  });
});

describe('leases', () => {
  it('a lease is a tenth of the limit, at least 1', () => {
    expect(leaseSizeOf(1)).toBe(1);
    expect(leaseSizeOf(19)).toBe(1);
    expect(leaseSizeOf(60)).toBe(6);
    expect(leaseSizeOf(100_000)).toBe(10_000);
  });

  it('grants a lease while the window has one left, then what is left', () => {
    expect(grantOf(0, 60, 0)).toBe(6);
    expect(grantOf(54, 60, 1)).toBe(6);
    expect(grantOf(57, 60, 1)).toBe(3);
    expect(grantOf(60, 60, 1)).toBe(0);
    expect(grantOf(75, 60, 0)).toBe(0);
  });

  it('grants a request bigger than a lease what it needs, or nothing when the window cannot cover it', () => {
    expect(grantOf(0, 10_000, 2_500)).toBe(2_500);
    expect(grantOf(8_000, 10_000, 2_500)).toBe(0);
    expect(grantOf(8_000, 10_000, 2_000)).toBe(2_000);
  });
});
