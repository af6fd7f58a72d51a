import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const tsx = path.join(__dirname, '../../../node_modules/.bin/tsx');

/** Starts the fixture and collects its log lines; resolves once it is ready for signals. */
async function startChild(mode: 'fail' | 'hang') {
  const child = spawn(tsx, [path.join(__dirname, 'shutdown.fixture.ts'), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const complete = buffered.split('\n');
    buffered = complete.pop() ?? '';
    for (const line of complete) if (line) lines.push(JSON.parse(line));
  });
  // Registered after the parser above, so each check sees the lines of the chunk just read.
  const seen = (msg: string) =>
    new Promise<void>((resolve) => {
      const look = () => {
        if (!lines.some((line) => line.msg === msg)) return;
        child.stdout?.off('data', look);
        resolve();
      };
      child.stdout?.on('data', look);
      look();
    });
  // 'close' comes after the last output, unlike 'exit'.
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  await seen('ready');
  return { child, lines, seen, exited };
}

describe('onShutdown', () => {
  let child: ChildProcess | undefined;

  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('runs every step in order on SIGTERM, logs a failed one, and exits 0', async () => {
    const started = await startChild('fail');
    child = started.child;
    child.kill('SIGTERM');

    expect(await started.exited).toBe(0);
    const events = started.lines.map((line) => [line.msg, line.step ?? line.signal ?? null]);
    expect(events).toEqual([
      ['ready', null],
      ['shutting down', 'SIGTERM'],
      ['stopping', null],
      ['shutdown step done', 'stop accepting'],
      ['shutdown step failed', 'drain'],
      ['closing', null],
      ['shutdown step done', 'close store'],
      ['shut down', null],
    ]);
    const failed = started.lines.find((line) => line.msg === 'shutdown step failed');
    expect(failed?.err).toMatchObject({ message: 'drain failed' });
  });

  it('exits 1 at once on a second signal while a step hangs', async () => {
    const started = await startChild('hang');
    child = started.child;
    child.kill('SIGINT');
    await started.seen('shutdown step done');
    child.kill('SIGTERM');

    expect(await started.exited).toBe(1);
    expect(started.lines.map((line) => line.msg)).toEqual([
      'ready',
      'shutting down',
      'stopping',
      'shutdown step done',
      'second signal: exiting now',
    ]);
  });
});
