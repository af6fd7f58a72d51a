import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Starts the fixture with Node itself (no launcher process between the test's signals and it)
 * and collects its log lines; resolves once it is ready for signals.
 */
async function startChild(...args: string[]) {
  const child = spawn(
    process.execPath,
    ['--require', require.resolve('tsx/cjs'), path.join(__dirname, 'shutdown.fixture.ts'), ...args],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
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
  const events = () => lines.map((line) => [line.msg, line.step ?? line.signal ?? null]);
  return { child, lines, seen, exited, events };
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
    expect(started.events()).toEqual([
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

  it('finishes every step when SIGINT and SIGTERM arrive a few ms apart', async () => {
    const started = await startChild('held');
    child = started.child;
    child.kill('SIGINT');
    // Signals sent together may be handled in either order: the SIGTERM follows the SIGINT's log.
    await started.seen('shutting down');
    child.kill('SIGTERM');
    await started.seen('signal while shutting down: part of the same stop');
    // Only now may the drain finish: the second signal came while it ran.
    child.stdin?.write('drained\n');

    expect(await started.exited).toBe(0);
    expect(started.events()).toEqual([
      ['ready', null],
      ['shutting down', 'SIGINT'],
      ['stopping', null],
      ['shutdown step done', 'stop accepting'],
      ['signal while shutting down: part of the same stop', 'SIGTERM'],
      ['shutdown step done', 'drain'],
      ['closing', null],
      ['shutdown step done', 'close store'],
      ['shut down', null],
    ]);
  });

  it('exits 1 at once on a signal after the same-stop window while a step hangs', async () => {
    const started = await startChild('hang', '0');
    child = started.child;
    child.kill('SIGINT');
    await started.seen('shutdown step done');
    child.kill('SIGTERM');

    expect(await started.exited).toBe(1);
    expect(started.events()).toEqual([
      ['ready', null],
      ['shutting down', 'SIGINT'],
      ['stopping', null],
      ['shutdown step done', 'stop accepting'],
      ['second signal: exiting now', 'SIGTERM'],
    ]);
  });
});
