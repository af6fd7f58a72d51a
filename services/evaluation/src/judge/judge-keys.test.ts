import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readJudgeKeys } from './judge-keys';

const dir = mkdtempSync(path.join(tmpdir(), 'keel-judge-keys-test-'));
const fileWith = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('readJudgeKeys', () => {
  it('has no key without a file', () => {
    expect(readJudgeKeys(undefined).size).toBe(0);
  });

  it('reads tenant id → key', () => {
    const file = fileWith('ok.json', '{"tenant-a": "keel_k1_s1", "tenant-b": "keel_k2_s2"}');
    expect([...readJudgeKeys(file)]).toEqual([
      ['tenant-a', 'keel_k1_s1'],
      ['tenant-b', 'keel_k2_s2'],
    ]);
  });

  it('refuses a missing file, a file that is not JSON, and a value that is not a key', () => {
    expect(() => readJudgeKeys(path.join(dir, 'absent.json'))).toThrow(
      /KEEL_JUDGE_KEYS_FILE .*absent\.json cannot be read/,
    );
    expect(() => readJudgeKeys(fileWith('bad.json', '{'))).toThrow(/bad\.json is not JSON/);
    expect(() => readJudgeKeys(fileWith('wrong.json', '{"tenant-a": "sk-123"}'))).toThrow(
      /wrong\.json: tenant-a: must be a Keel API key/,
    );
  });
});
