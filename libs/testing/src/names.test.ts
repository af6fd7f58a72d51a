import { isTestName, uniqueName } from './index';

describe('isTestName', () => {
  it('knows names made by uniqueName, alone, as prefixes and upper-cased', () => {
    const prefix = uniqueName();
    expect(isTestName(prefix)).toBe(true);
    expect(isTestName(`${prefix}_billing`)).toBe(true);
    expect(isTestName(`${prefix}_INFERENCE`.toUpperCase())).toBe(true);
    expect(isTestName(`KV_${prefix}_policy`)).toBe(true);
    expect(isTestName(`OBJ_${prefix}_payloads`)).toBe(true);
  });

  it("leaves another run's names alone", () => {
    const other = process.env.KEEL_TEST_RUN === 'ffff' ? 'fffe' : 'ffff';
    expect(isTestName(`t${other}abcdef_billing`)).toBe(false);
  });

  it('leaves the names a deployment uses alone', () => {
    for (const name of [
      'keel_router',
      'KEEL_INFERENCE',
      'KV_keel_policy',
      'OBJ_keel_payloads',
      'admin',
      'local',
    ]) {
      expect(isTestName(name)).toBe(false);
    }
  });
});
