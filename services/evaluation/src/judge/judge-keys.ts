// The API keys the LLM judge calls Keel's inference API with, one per tenant, read from a
// secrets file (mounted like a provider's secret), never from the policy snapshot: the router
// publishes that snapshot to every service, and it must not carry a secret.
import { readFileSync } from 'node:fs';
import { z } from '@keel/config';

const KEYS_FILE = z.record(
  z.string().min(1),
  z.string().regex(/^keel_\S+$/, 'must be a Keel API key (keel_<key id>_<secret>)'),
);

/** Tenant id → API key. */
export type JudgeKeys = ReadonlyMap<string, string>;

/** The keys in `file` (a JSON object of tenant id → key), or none without a file. */
export function readJudgeKeys(file: string | undefined): JudgeKeys {
  if (!file) return new Map();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`KEEL_JUDGE_KEYS_FILE ${file} cannot be read: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`KEEL_JUDGE_KEYS_FILE ${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = KEYS_FILE.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `KEEL_JUDGE_KEYS_FILE ${file}: ${issue.path.join('.') || 'the file'}: ${issue.message}`,
    );
  }
  return new Map(Object.entries(parsed.data));
}
