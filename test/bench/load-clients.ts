// The closed-loop load clients of the gateway benchmark, both Go programs in processes of their
// own (so the client's work never shares an event loop with a gateway): ghz for gRPC and
// bombardier for HTTP. Both keep `concurrency` requests in flight, each worker sending its next
// request when its last one is answered, and both report latencies in microseconds or finer.
import { spawn } from 'node:child_process';
import { goInstall } from '@keel/go-tools';

const GHZ = { name: 'ghz', command: 'github.com/bojand/ghz/cmd/ghz', version: 'v0.120.0' };
const BOMBARDIER = {
  name: 'bombardier',
  command: 'github.com/codesenberg/bombardier',
  version: 'v1.2.6',
};

/** What one closed-loop run measured. */
export interface LoadResult {
  requests: number;
  /** Requests answered with an error (a non-OK gRPC status, an HTTP status other than 2xx). */
  errors: number;
  seconds: number;
  rps: number;
  p50Us: number;
  p99Us: number;
  /** The first few distinct errors, for a run that had any. */
  errorSamples: string[];
}

/** Builds (once, then cached) the two load clients with Go; returns their paths. */
export function loadClientBinaries(): { ghz: string; bombardier: string } {
  return {
    ghz: goInstall({ ...GHZ, minGo: [1, 21] }),
    bombardier: goInstall({ ...BOMBARDIER, minGo: [1, 21] }),
  };
}

export interface GrpcLoad {
  binary: string;
  address: string;
  /** `package.Service.Method`. */
  call: string;
  protoset: string;
  /** The request as JSON; ghz's templates (`{{.RequestNumber}}`) make each request differ. */
  data: unknown;
  metadata: Record<string, string>;
  requests: number;
  concurrency: number;
}

/** `requests` unary calls over one HTTP/2 connection, `concurrency` at a time. */
export async function ghzRun(load: GrpcLoad): Promise<LoadResult> {
  const args = [
    '--insecure',
    `--protoset=${load.protoset}`,
    `--call=${load.call}`,
    `--data=${JSON.stringify(load.data)}`,
    `--metadata=${JSON.stringify(load.metadata)}`,
    `--total=${load.requests}`,
    `--concurrency=${load.concurrency}`,
    '--connections=1',
    '--timeout=30s',
    '--format=json',
    load.address,
  ];
  const report = JSON.parse(await output(load.binary, args)) as GhzReport;
  const at = (percentage: number) =>
    (report.latencyDistribution ?? []).find((entry) => entry.percentage === percentage)?.latency ??
    NaN;
  const ok = report.statusCodeDistribution?.OK ?? 0;
  const seconds = report.total / 1e9;
  return {
    requests: report.count,
    errors: report.count - ok,
    seconds,
    rps: report.count / seconds,
    p50Us: at(50) / 1e3,
    p99Us: at(99) / 1e3,
    errorSamples: Object.keys(report.errorDistribution ?? {}).slice(0, 3),
  };
}

interface GhzReport {
  count: number;
  /** Nanoseconds. */
  total: number;
  latencyDistribution: Array<{ percentage: number; latency: number }> | null;
  statusCodeDistribution?: Record<string, number>;
  errorDistribution?: Record<string, number>;
}

export interface HttpLoad {
  binary: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  requests: number;
  concurrency: number;
}

/** `requests` POSTs over `concurrency` keep-alive HTTP/1.1 connections, one in flight on each. */
export async function bombardierRun(load: HttpLoad): Promise<LoadResult> {
  const args = [
    `--connections=${load.concurrency}`,
    `--requests=${load.requests}`,
    '--method=POST',
    `--body=${load.body}`,
    ...Object.entries(load.headers).map(([name, value]) => `--header=${name}: ${value}`),
    '--timeout=30s',
    '--latencies',
    '--print=result',
    '--format=json',
    load.url,
  ];
  const { result } = JSON.parse(await output(load.binary, args)) as BombardierReport;
  const ok = result.req2xx;
  const requests = result.req1xx + result.req2xx + result.req3xx + result.req4xx + result.req5xx;
  const failed = requests - ok + result.others;
  return {
    requests: requests + result.others,
    errors: failed,
    seconds: result.timeTakenSeconds,
    rps: (requests + result.others) / result.timeTakenSeconds,
    p50Us: result.latency.percentiles['50'],
    p99Us: result.latency.percentiles['99'],
    errorSamples: (result.errors ?? []).slice(0, 3).map((e) => `${e.description} (${e.count})`),
  };
}

interface BombardierReport {
  result: {
    req1xx: number;
    req2xx: number;
    req3xx: number;
    req4xx: number;
    req5xx: number;
    others: number;
    timeTakenSeconds: number;
    /** Microseconds. */
    latency: { percentiles: Record<string, number> };
    errors?: Array<{ description: string; count: number }>;
  };
}

/** Runs a command to its end and resolves with its stdout; rejects with its stderr. */
function output(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`${command} exited ${code}: ${Buffer.concat(err).toString('utf8')}`));
    });
  });
}
