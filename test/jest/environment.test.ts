// Runs jest on two tiny failing bigint tests in a child process, with workers, as the suite
// runs: each failure must name its test and show its diff instead of a worker dying.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../..');

function runJest(config: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [require.resolve('jest/bin/jest'), '--config', config, '--maxWorkers=2', '--ci'],
      { cwd: REPO_ROOT, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe('the test environment', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-bigint-'));
    // Two files, so jest runs them in workers, whose results travel to the runner as JSON.
    fs.writeFileSync(
      path.join(dir, 'total.test.js'),
      "test('the ledger total is exact', () => { expect({ total: 10n }).toEqual({ total: 11n }); });\n",
    );
    fs.writeFileSync(
      path.join(dir, 'cost.test.js'),
      "test('the line item cost is exact', () => { expect(5n).toBe(6n); });\n",
    );
    fs.writeFileSync(
      path.join(dir, 'jest.config.js'),
      `module.exports = ${JSON.stringify({
        rootDir: dir,
        testEnvironment: path.join(REPO_ROOT, 'test/jest/environment.ts'),
        transform: { '^.+\\.ts$': [require.resolve('@swc/jest'), { jsc: { target: 'es2022' } }] },
      })};\n`,
    );
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("is the suite's environment", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require(path.join(REPO_ROOT, 'jest.config.js')) as { testEnvironment: string };
    expect(config.testEnvironment).toBe('<rootDir>/test/jest/environment.ts');
  });

  it('reports a failed bigint assertion with its test name and diff', async () => {
    const { code, output } = await runJest(path.join(dir, 'jest.config.js'));

    expect(code).toBe(1);
    expect(output).not.toContain('Do not know how to serialize a BigInt');
    expect(output).toContain('● the ledger total is exact');
    expect(output).toMatch(/-\s+"total": 11n,\n\s+\+\s+"total": 10n,/);
    expect(output).toContain('● the line item cost is exact');
    expect(output).toMatch(/Expected: 6n\n\s+Received: 5n/);
    expect(output).toContain('Tests:       2 failed, 2 total');
  });
});
