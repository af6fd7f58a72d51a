// Helpers for integration tests on the real servers started by the jest global setup.
import { randomBytes } from 'node:crypto';

export interface TestServers {
  natsUrl: string;
  mongoUrl: string;
}

/** The servers' URLs; fails loudly when the suite was started without them. */
export function testServers(): TestServers {
  const natsUrl = process.env.NATS_URL;
  const mongoUrl = process.env.MONGO_URL;
  if (!natsUrl || !mongoUrl) {
    throw new Error('NATS_URL and MONGO_URL are unset: run the tests with `npm test`');
  }
  return { natsUrl, mongoUrl };
}

/**
 * The test run's id: the jest global setup sets KEEL_TEST_RUN, so the names of one run can be
 * told from another's (runs may share a developer's servers).
 */
function testRun(): string {
  return process.env.KEEL_TEST_RUN ?? '0000';
}

/** A name no other test uses: for databases, stream and subject prefixes, buckets. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}${testRun()}${randomBytes(3).toString('hex')}`;
}

/**
 * True for a database, stream or bucket named from uniqueName in this test run (as itself or
 * as a prefix), whatever its case: what the suite may delete when it is done.
 */
export function isTestName(name: string): boolean {
  return new RegExp(`^(kv_|obj_)?[a-z]+${testRun()}[0-9a-f]{6}(_|$)`, 'i').test(name);
}

/** A new test run id for KEEL_TEST_RUN. */
export function newTestRun(): string {
  return randomBytes(2).toString('hex');
}

/** Polls until `check` returns a value other than undefined/null/false, or fails. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} did not hold within ${timeoutMs} ms`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export { catalogWithProviderModels, exampleProviderModels } from './catalog';
export { INVALID_UTF8_MARKER, withInvalidUtf8 } from './invalid-utf8';
export { callWithBytes } from './raw-grpc';
export { windowWithTimeLeft } from './windows';
export { grpcurl, grpcurlBinary } from './grpcurl';
export {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
  type ReceivedSpanKind,
} from './otlp-receiver';
export { freePort, startNatsServer, type NatsServer } from '@keel/local';
