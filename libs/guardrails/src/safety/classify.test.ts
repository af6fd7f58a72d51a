import { unsafeCategories } from '..';

describe('unsafeCategories', () => {
  const selfHarm = "I can't stop cutting myself and I want to kill myself tonight.";
  const violence = 'I will kill you, stab you and shoot your whole family.';
  const benign = 'Could you suggest a recipe for a lemon cake to bake this weekend?';

  it('flags a clear self-harm text as SELF_HARM', () => {
    expect(unsafeCategories(selfHarm)).toContain('SELF_HARM');
  });

  it('flags a clear threat as VIOLENCE', () => {
    expect(unsafeCategories(violence)).toContain('VIOLENCE');
  });

  it('finds nothing in a benign request', () => {
    expect(unsafeCategories(benign)).toEqual([]);
    expect(unsafeCategories('')).toEqual([]);
  });

  it('answers only among the categories asked for', () => {
    expect(unsafeCategories(selfHarm, ['SELF_HARM'])).toEqual(['SELF_HARM']);
    expect(unsafeCategories(selfHarm, ['SEXUAL'])).toEqual([]);
    expect(unsafeCategories(violence, [])).toEqual([]);
  });
});
