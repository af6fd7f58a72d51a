// The six Keel services, their default gRPC ports, and how to run one as a process.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import path from 'node:path';

export const SERVICES = [
  { name: 'router', defaultPort: 50052 },
  { name: 'inference', defaultPort: 50051 },
  { name: 'retrieval', defaultPort: 50053 },
  { name: 'evaluation', defaultPort: 50054 },
  { name: 'feedback', defaultPort: 50055 },
  { name: 'billing', defaultPort: 50056 },
] as const;

export type ServiceName = (typeof SERVICES)[number]['name'];

export const repoRoot = path.resolve(__dirname, '../../..');

/** The environment variable that overrides a service's port, e.g. KEEL_INFERENCE_PORT. */
export function portVariable(service: ServiceName): string {
  return `KEEL_${service.toUpperCase()}_PORT`;
}

export function portOf(service: ServiceName, env: NodeJS.ProcessEnv = process.env): number {
  const configured = env[portVariable(service)];
  const fallback = SERVICES.find((s) => s.name === service)!.defaultPort;
  return configured ? Number(configured) : fallback;
}

/**
 * Runs services/<name>/src/main.ts with Node and tsx's CommonJS hook. With `ownProcessGroup`,
 * signals sent to the caller's group (a terminal's Ctrl-C) do not reach it: the caller alone
 * decides when to signal it.
 */
export function spawnService(
  service: ServiceName,
  env: NodeJS.ProcessEnv,
  stdio: StdioOptions,
  { ownProcessGroup = false } = {},
): ChildProcess {
  const main = path.join(repoRoot, 'services', service, 'src', 'main.ts');
  return spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), main], {
    cwd: repoRoot,
    env,
    stdio,
    detached: ownProcessGroup,
  });
}
