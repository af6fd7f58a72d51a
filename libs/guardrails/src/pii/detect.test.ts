import { countPii, detectPii, redactPii } from '..';
import { luhnValid } from './patterns';

const found = (text: string) =>
  detectPii(text).map(({ type, start, end }) => ({ type, text: text.slice(start, end) }));

describe('detectPii', () => {
  it('finds an e-mail address', () => {
    expect(found('Write to maria.gonzalez+keel@example.co.uk today.')).toEqual([
      { type: 'EMAIL_ADDRESS', text: 'maria.gonzalez+keel@example.co.uk' },
    ]);
  });

  it('finds phone numbers written the usual ways', () => {
    const text = 'Call +1-984-182-0190, (602) 272-9781 or 0494 92 82 32 after six.';
    expect(found(text)).toEqual([
      { type: 'PHONE_NUMBER', text: '+1-984-182-0190' },
      { type: 'PHONE_NUMBER', text: '(602) 272-9781' },
      { type: 'PHONE_NUMBER', text: '0494 92 82 32' },
    ]);
  });

  it('finds a card number that passes the Luhn check, with or without separators', () => {
    expect(found('Card 4111 1111 1111 1111 or 4454794511390933 please')).toEqual([
      { type: 'CREDIT_CARD', text: '4111 1111 1111 1111' },
      { type: 'CREDIT_CARD', text: '4454794511390933' },
    ]);
  });

  it('does not report a card number that fails the Luhn check', () => {
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(detectPii('Card 4111 1111 1111 1112 please', ['CREDIT_CARD'])).toEqual([]);
  });

  it('finds a US social security number and leaves out never-issued ones', () => {
    expect(found("Here's my SSN: 460-89-9847")).toEqual([{ type: 'US_SSN', text: '460-89-9847' }]);
    expect(detectPii('SSN 000-12-3456, 666-12-3456, 912-12-3456, 123-00-4567', ['US_SSN'])).toEqual(
      [],
    );
  });

  it('finds IPv4 and IPv6 addresses and not look-alikes', () => {
    const text = 'From 106.31.73.20 and 2001:db8::8a2e:370:7334, not 999.1.1.1 nor 10:30.';
    expect(found(text)).toEqual([
      { type: 'IP_ADDRESS', text: '106.31.73.20' },
      { type: 'IP_ADDRESS', text: '2001:db8::8a2e:370:7334' },
    ]);
  });

  it('finds a person name', () => {
    expect(found('Hello, my name is Maria Gonzalez and I need help.')).toEqual([
      { type: 'PERSON', text: 'Maria Gonzalez' },
    ]);
  });

  it('finds nothing in a text without personal data', () => {
    expect(detectPii('What is the weather like in the mountains this week?')).toEqual([]);
  });

  it('finds only the types asked for', () => {
    const text = 'Maria Gonzalez, maria@example.com, 460-89-9847';
    expect(detectPii(text, ['US_SSN']).map((s) => s.type)).toEqual(['US_SSN']);
    expect(detectPii(text, []).length).toBe(0);
  });

  it('returns spans sorted and not overlapping, the more specific type winning', () => {
    // The SSN is also shaped like a phone number; it is reported once, as an SSN.
    const spans = detectPii('SSN 460-89-9847, mail a@b.io, card 4111-1111-1111-1111');
    expect(spans.map((s) => s.type)).toEqual(['US_SSN', 'EMAIL_ADDRESS', 'CREDIT_CARD']);
    for (let i = 1; i < spans.length; i++)
      expect(spans[i].start).toBeGreaterThanOrEqual(spans[i - 1].end);
  });

  it('gives UTF-16 offsets', () => {
    const text = '🎉 Write to ana@example.com';
    const [span] = detectPii(text, ['EMAIL_ADDRESS']);
    expect(span.start).toBe(text.indexOf('ana'));
    expect(text.slice(span.start, span.end)).toBe('ana@example.com');
  });
});

describe('redactPii', () => {
  it('replaces each span with its type', () => {
    const text = 'I am Maria Gonzalez, mail maria@example.com or call 541-714-1388.';
    expect(redactPii(text, detectPii(text))).toBe(
      'I am <PERSON>, mail <EMAIL_ADDRESS> or call <PHONE_NUMBER>.',
    );
  });

  it('leaves a text without spans as it is', () => {
    expect(redactPii('nothing here', [])).toBe('nothing here');
  });
});

describe('countPii', () => {
  it('counts spans by type, listing only the types present', () => {
    const text = 'a@b.io, c@d.io and 460-89-9847';
    expect(countPii(detectPii(text))).toEqual({ EMAIL_ADDRESS: 2, US_SSN: 1 });
    expect(countPii([])).toEqual({});
  });
});
