import { common, router } from '@keel/contracts';
import { SafetyCheck } from './safety';

const { SAFETY_ACTION_FLAG: FLAG, SAFETY_ACTION_BLOCK: BLOCK } = router.SafetyAction;
const safety = (parts: Partial<router.ContentSafety>) =>
  router.ContentSafety.fromPartial({ categories: [], ...parts });

describe('SafetyCheck.of', () => {
  it('checks a side only when its action is FLAG or BLOCK', () => {
    const inputOnly = safety({ inputAction: BLOCK });
    expect(SafetyCheck.of(inputOnly, 'input')).toMatchObject({ side: 'input', blocks: true });
    expect(SafetyCheck.of(inputOnly, 'output')).toBeNull();
    expect(SafetyCheck.of(safety({ outputAction: FLAG }), 'output')).toMatchObject({
      blocks: false,
    });
    expect(SafetyCheck.of(undefined, 'input')).toBeNull();
  });
});

describe('SafetyCheck.checkMessages', () => {
  const message = (role: common.MessageRole, content: string) =>
    common.ChatMessage.fromPartial({ role, content });
  const threat = 'I will kill you and your whole family with a knife.';

  it("checks the caller's messages but not the product's system instructions", () => {
    const check = SafetyCheck.of(safety({ inputAction: FLAG }), 'input')!;
    const { MESSAGE_ROLE_SYSTEM: SYSTEM, MESSAGE_ROLE_USER: USER } = common.MessageRole;
    expect(check.checkMessages([message(USER, threat)])).toContain('VIOLENCE');
    expect(check.checkMessages([message(SYSTEM, threat), message(USER, 'Hello')])).not.toContain(
      'VIOLENCE',
    );
  });
});

describe('SafetyCheck.check', () => {
  // Read in windows of 128 characters, its part on the children shooting photos is flagged.
  const bakery =
    'Our bakery opens at seven. Bring the kids along: the children love to watch the bread come ' +
    'out of the oven, and they can shoot photos of the cakes for the class album. We bake rye, ' +
    'spelt and white loaves every morning, and on Saturdays a lemon tart that sells out by ten. ' +
    'Orders for birthdays are taken by phone until Thursday noon, and we deliver in the old town ' +
    'for a small fee.';

  it('judges a text whole: a benign text is not flagged for a part read alone, a threat in it is', () => {
    const check = SafetyCheck.of(safety({ outputAction: BLOCK }), 'output')!;
    expect(check.check(bakery)).toEqual([]);
    expect(
      check.check(`${bakery} I will stab you and shoot your whole family tonight.`),
    ).not.toEqual([]);
    expect(check.check('')).toEqual([]);
  });
});
