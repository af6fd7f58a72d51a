// Tools Keel builds from Go module source on a developer's machine (FerretDB for `npm start`,
// grpcurl for the tests): built once with the local Go and the module proxy, then kept in
// $KEEL_CACHE_DIR/bin under their version, so a version bump builds the new one.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface GoTool {
  /** The command's name; its cached binary is `<name>-<version>`. */
  name: string;
  version: string;
  /** The oldest Go that builds it, as [major, minor]. */
  minGo: [number, number];
}

export interface CacheOptions {
  /** Where built tools are kept; defaults to defaultCacheDir(). */
  cacheDir?: string;
  log?: (line: string) => void;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KEEL_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'keel');
}

/**
 * The cached binary of `tool`, built the first time by `build`, which must leave it as
 * `<gobin>/<name>`. It is moved into the cache only once complete, so an interrupted build is
 * never mistaken for a built tool.
 */
export function cachedGoBinary(
  tool: GoTool,
  build: (gobin: string) => void,
  options: CacheOptions = {},
): string {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const binDir = path.join(options.cacheDir ?? defaultCacheDir(), 'bin');
  const binary = path.join(binDir, `${tool.name}-${tool.version}`);
  if (fs.existsSync(binary)) return binary;
  checkGo(tool);
  log(`${tool.name}: building ${tool.version} with Go (once; cached in ${binary})`);
  const started = Date.now();
  fs.mkdirSync(binDir, { recursive: true });
  const gobin = fs.mkdtempSync(path.join(binDir, `.${tool.name}-`));
  try {
    build(gobin);
    fs.renameSync(path.join(gobin, tool.name), binary);
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
  log(`${tool.name}: built in ${Math.round((Date.now() - started) / 1000)} s`);
  return binary;
}

/** `go install <command>@<version>` into the cache: how most Go commands are built. */
export function goInstall(tool: GoTool & { command: string }, options: CacheOptions = {}): string {
  return cachedGoBinary(
    tool,
    (gobin) =>
      run('go', ['install', `${tool.command}@${tool.version}`], {
        env: { ...process.env, GOBIN: gobin },
      }),
    options,
  );
}

/** Runs a command to completion and returns its output; throws with its stderr on failure. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  const result = spawnSync(command, args, { ...options, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error}`);
  }
  return result.stdout;
}

function checkGo(tool: GoTool): void {
  const needed = `Go >= ${tool.minGo.join('.')}`;
  const probe = spawnSync('go', ['env', 'GOVERSION', 'GOPROXY'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`${tool.name} must be built, but \`go\` is not on PATH (${needed} is needed)`);
  }
  const [version, proxy] = probe.stdout.trim().split('\n');
  const [major, minor] = version.replace(/^go/, '').split('.').map(Number);
  if (major < tool.minGo[0] || (major === tool.minGo[0] && minor < tool.minGo[1])) {
    throw new Error(`${tool.name} needs ${needed}, found ${version}`);
  }
  if (proxy === 'off') throw new Error(`${tool.name} must be built, but GOPROXY=off`);
}
