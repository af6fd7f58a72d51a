// The Node test environment, except that a failed assertion on a bigint reaches the runner. A
// failure's details (the matcher's actual and expected values) travel from a jest worker to
// the runner as JSON, which has no bigint: the worker died with "Do not know how to serialize a
// BigInt" and the failure lost its test name and diff. The diff is already in the failure's
// message when the test is done, so the details carry bigints as text (`10n`) from then on.
import NodeEnvironment from 'jest-environment-node';

interface TestDoneEvent {
  name: string;
  test?: { errors: unknown[] };
}

export default class KeelTestEnvironment extends NodeEnvironment {
  async handleTestEvent(event: TestDoneEvent): Promise<void> {
    if (event.name !== 'test_done') return;
    for (const error of event.test?.errors ?? []) bigintsAsText(error, new Set());
  }
}

/** Replaces every bigint inside `value` (errors, their matcher results, tuples) with text. */
function bigintsAsText(value: unknown, seen: Set<object>): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object' || value === null || seen.has(value)) return value;
  seen.add(value);
  for (const key of Object.keys(value)) {
    const record = value as Record<string, unknown>;
    const replaced = bigintsAsText(record[key], seen);
    if (replaced !== record[key]) {
      try {
        record[key] = replaced;
      } catch {
        // A frozen or read-only value is left as it is.
      }
    }
  }
  return value;
}
