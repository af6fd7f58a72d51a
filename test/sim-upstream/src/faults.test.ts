import { FaultSchedule, faultCounterKey } from './faults';
import { type FaultPlan, startSimUpstream } from './index';

const PLAN: FaultPlan = {
  rate: 0.3,
  shares: { http500: 0.4, http429: 0.3, reset: 0.2, timeout: 0.1 },
  retryAfterSeconds: 2,
};

const draws = (plan: FaultPlan, seed: number, count: number) => {
  const schedule = new FaultSchedule(plan, seed);
  return Array.from({ length: count }, () => {
    const fault = schedule.next();
    return fault ? faultCounterKey(fault) : 'none';
  });
};

test('a plan fails its rate of requests with its shares of each fault', () => {
  const tally = new Map<string, number>();
  for (const outcome of draws(PLAN, 7, 20_000)) tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
  const share = (key: string) => (tally.get(key) ?? 0) / 20_000;
  expect(Math.abs(share('none') - 0.7)).toBeLessThan(0.015);
  expect(Math.abs(share('http500') - 0.3 * 0.4)).toBeLessThan(0.01);
  expect(Math.abs(share('http429') - 0.3 * 0.3)).toBeLessThan(0.01);
  expect(Math.abs(share('reset') - 0.3 * 0.2)).toBeLessThan(0.01);
  expect(Math.abs(share('timeout') - 0.3 * 0.1)).toBeLessThan(0.01);
  expect(tally.has('failAfter')).toBe(false);
});

test('a seed replays the same faults; another seed draws others', () => {
  expect(draws(PLAN, 7, 500)).toEqual(draws(PLAN, 7, 500));
  expect(draws(PLAN, 8, 500)).not.toEqual(draws(PLAN, 7, 500));
});

test('a plan with a share of an unknown fault is refused', () => {
  expect(
    () => new FaultSchedule({ rate: 0.1, shares: { http418: 1 } as FaultPlan['shares'] }, 1),
  ).toThrow('faults.shares.http418 is not one of');
});

test('over HTTP, the same seed gives the same outcomes in the same order and counts them', async () => {
  const plan: FaultPlan = {
    rate: 0.5,
    shares: { http500: 1, http429: 1, reset: 1 },
    retryAfterSeconds: 3,
  };
  const run = async () => {
    const sim = await startSimUpstream({ faults: plan, seed: 42 });
    const outcomes: string[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        const response = await fetch(`${sim.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'sim-a',
            messages: [{ role: 'user', content: `question ${i}` }],
          }),
        }).catch(() => undefined);
        if (response === undefined) outcomes.push('reset');
        else {
          await response.arrayBuffer();
          outcomes.push(`${response.status}${response.headers.get('retry-after') ?? ''}`);
        }
      }
      return { outcomes, counters: sim.counters() };
    } finally {
      await sim.stop();
    }
  };
  const first = await run();
  const second = await run();
  expect(second.outcomes).toEqual(first.outcomes);
  expect(new Set(first.outcomes)).toEqual(new Set(['200', '500', '4293', 'reset']));
  const count = (outcome: string) => first.outcomes.filter((o) => o === outcome).length;
  expect(first.counters).toMatchObject({
    requests: 40,
    answered: count('200'),
    faults: { http500: count('500'), http429: count('4293'), reset: count('reset') },
  });
});

test('a timeout fault holds the request open until the client gives up', async () => {
  const sim = await startSimUpstream({ faults: { rate: 1, shares: { timeout: 1 } } });
  try {
    const request = fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'sim-a',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'hi' }],
      }),
      signal: AbortSignal.timeout(200),
    });
    await expect(request).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(sim.counters()).toMatchObject({ requests: 1, answered: 0, faults: { timeout: 1 } });
  } finally {
    await sim.stop();
  }
});

test('configure changes the secret and the faults of a running server', async () => {
  const sim = await startSimUpstream();
  const ask = (headers: Record<string, string> = {}) =>
    fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'sim-a', messages: [{ role: 'user', content: 'hi' }] }),
    }).then((response) => response.status);
  try {
    expect(await ask()).toBe(200);
    sim.configure({ secret: 'later', faults: { rate: 1, shares: { http500: 1 } } });
    expect(await ask()).toBe(401);
    expect(await ask({ authorization: 'Bearer later' })).toBe(500);
    sim.configure({ faults: undefined });
    expect(await ask({ authorization: 'Bearer later' })).toBe(200);
    expect(sim.counters()).toMatchObject({
      requests: 4,
      unauthorized: 1,
      answered: 2,
      faults: { http500: 1 },
    });
  } finally {
    await sim.stop();
  }
});
