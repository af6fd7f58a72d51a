import { connectionFailure, retryAfterMs, statusFailure } from './failures';

const context = { provider: 'openai', secret: 'sk-live-0123456789' };

describe('statusFailure', () => {
  it.each([408, 429, 500, 502, 503, 529])('says %i is transient', (status) => {
    expect(statusFailure(context, status, undefined, 'x')).toMatchObject({
      transient: true,
      outage: true,
      httpStatus: status,
    });
  });

  it.each([400, 401, 403, 404, 409, 413, 422])('says %i is not transient', (status) => {
    expect(statusFailure(context, status, undefined, 'x')).toMatchObject({
      transient: false,
      httpStatus: status,
    });
  });

  it('blots out the key where the provider echoes it, and cuts a long description short', () => {
    const echoed = statusFailure(context, 401, undefined, 'Incorrect API key sk-live-0123456789');
    expect(echoed.message).toBe('openai: Incorrect API key ***');
    const page = statusFailure(context, 502, undefined, `<html>${'x'.repeat(5000)}</html>`);
    expect(page.message.length).toBeLessThan(400);
    expect(page.message.endsWith('…')).toBe(true);
  });
});

describe('connectionFailure', () => {
  it('names the system error under the one fetch throws', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const failure = connectionFailure(context, new TypeError('fetch failed', { cause: reset }));
    expect(failure).toMatchObject({ transient: true, httpStatus: undefined });
    expect(failure.message).toBe('openai: connection failed (ECONNRESET)');
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  const after = (headers: Record<string, string>) => retryAfterMs(new Headers(headers), now);

  it('reads retry-after-ms first, then retry-after in seconds', () => {
    expect(after({ 'retry-after-ms': '1500.5', 'retry-after': '9' })).toBe(1501);
    expect(after({ 'retry-after': '2' })).toBe(2000);
    expect(after({ 'retry-after': '0.25' })).toBe(250);
  });

  it('reads retry-after as an HTTP date, a past one as no wait', () => {
    expect(after({ 'retry-after': 'Mon, 30 Nov 2026 12:00:05 GMT' })).toBe(5000);
    expect(after({ 'retry-after': 'Mon, 30 Nov 2026 11:59:00 GMT' })).toBe(0);
  });

  it('is undefined when the headers ask for nothing readable', () => {
    expect(after({})).toBeUndefined();
    expect(after({ 'retry-after': 'soon' })).toBeUndefined();
    expect(after({ 'retry-after-ms': '-5' })).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
