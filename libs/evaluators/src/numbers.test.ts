import { finalNumber, numbersIn } from './numbers';

describe('finalNumber', () => {
  it.each([
    // Worked answers in the GSM8K style, each with the number a grader should read.
    ['She sells 9 eggs at $2 each, so 9 * $2 = $<<9*2=18>>18.\n#### 18', 18],
    ['It takes 2 + 1 = <<2+1=3>>3 bolts.\n#### 3\n\n', 3],
    ["So she makes 9 * $2 = $18 every day at the farmers' market.", 18],
    ['The total is $1,234.50.', 1234.5],
    ['He has 1,234 marbles left.', 1234],
    ['He is now 90 - 144 = -54 miles from his house.\n#### -54', -54],
    ['The temperature fell to −7 degrees.', -7],
    ['She lost $-15 on the deal.', -15],
    ['The answer is \\boxed{42}.', 42],
    ['First 3 + 4 = 7, then \\boxed{7} apples, and 2 were eaten earlier.', 7],
    ['Total: $20.00.\n\n#### $20.00', 20],
    ['The answer is 5, since 10 / 2 = 5 and 3 are left.', 5],
    ['Each costs .5 dollars.', 0.5],
    ['225 minutes in all.\n#### 225 minutes or 3 hours and 45 minutes', 225],
  ])('reads %j as %d', (text, expected) => {
    expect(finalNumber(text)).toBe(expected);
  });

  it('takes the first number after the last #### when the answer marks it twice', () => {
    expect(finalNumber('#### 5\nActually, recounting: #### 6 apples')).toBe(6);
  });

  it('finds nothing in an answer without a number', () => {
    expect(finalNumber('I cannot work that out.')).toBeUndefined();
  });

  it('does not run thousands groups of a list together', () => {
    expect(numbersIn('1,2,3')).toEqual([1, 2, 3]);
    expect(numbersIn('12,345,678 and 1,23')).toEqual([12_345_678, 1, 23]);
  });
});
