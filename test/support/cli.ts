// Runs the real `keel` CLI as a child process, as an operator would.
import { execFile } from 'node:child_process';
import path from 'node:path';

const main = path.resolve(__dirname, '../../deploy/cli/src/main.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Resolves with the exit code and output, whatever the exit code. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--require', require.resolve('tsx/cjs'), main, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}
