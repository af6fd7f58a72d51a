// The personal data that has a shape: e-mail addresses, card numbers (Luhn-checked), US social
// security numbers (with the SSA's never-issued numbers left out), IPv4/IPv6 addresses
// (node:net decides) and phone numbers. Each finder is one pass of one regular expression.
import { isIPv4, isIPv6 } from 'node:net';
import type { PiiSpan, PiiType } from './types';

type Finder = (text: string) => PiiSpan[];

const EMAIL =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;

// 12 to 19 digits, single spaces or dashes allowed between them.
const CARD = /(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d-])/g;

const SSN = /(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])/g;

const IPV4 = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.]*\d)/g;

// Hex groups and colons (an IPv4 tail allowed); node:net says whether it is an address.
const IPV6 = /(?<![\w:.])[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]*[0-9A-Fa-f](?![\w:])/g;

// An optional +country code, an optional (area), then 7 to 15 digits in one run, or digit groups
// separated by one space, dot or dash (a "(0)" allowed among them), and an optional extension.
// Each group takes all the digits it can, so a long run of digits is split one way only.
const PHONE =
  /(?<![\p{L}\p{N}+.\-/])(?:\+\d{1,3}[ .-]?)?(?:\(0?\d{1,4}\)[ .-]?)?(?:\d{7,15}|\d{1,5}(?:[ .-](?:\(0\)[ .-]?)?\d{1,8}(?!\d)){1,5})(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\p{L}\p{N}]|[.\-/]\d)/gu;

function spans(
  pattern: RegExp,
  type: PiiType,
  accept: (match: string, following: string) => boolean,
): Finder {
  return (text) => {
    const found: PiiSpan[] = [];
    for (const match of text.matchAll(pattern)) {
      const end = match.index + match[0].length;
      if (accept(match[0], text.slice(end, end + 16))) {
        found.push({ type, start: match.index, end });
      }
    }
    return found;
  };
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Area 000, 666 and 900–999, group 00 and serial 0000 are never issued. */
function ssnIssuable(match: string): boolean {
  const [area, group, serial] = [match.slice(0, 3), match.slice(4, 6), match.slice(7)];
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

function digitCount(match: string): number {
  let count = 0;
  for (let i = 0; i < match.length; i++) {
    const c = match.charCodeAt(i);
    if (c >= 48 && c <= 57) count++;
  }
  return count;
}

const ISO_DATE = /^\d{4}-\d\d-\d\d/;
const SPACES_ONLY = /^[\d ]+$/;
const CAPITALISED_WORD = /^ \p{Lu}\p{L}{2}/u;

/**
 * A phone number has 7 to 15 digits (E.164) and a separator, a leading + or 10 digits. Not a
 * date and time (2000-04-16 11:34), nor a house number before its street (370 3911 Fourth Av).
 */
function phoneLike(match: string, following: string): boolean {
  const digits = digitCount(match.replace(/\s?(?:x|ext\.?)\s?\d+$/, ''));
  if (digits < 7 || digits > 15 || ISO_DATE.test(match)) return false;
  if (SPACES_ONLY.test(match) && CAPITALISED_WORD.test(following)) return false;
  return match.startsWith('+') || /[ .()-]/.test(match) || digits === 10;
}

const emails = spans(EMAIL, 'EMAIL_ADDRESS', () => true);

export const PATTERN_FINDERS: Readonly<Record<Exclude<PiiType, 'PERSON'>, Finder>> = {
  EMAIL_ADDRESS: (text) => (text.includes('@') ? emails(text) : []),
  CREDIT_CARD: spans(CARD, 'CREDIT_CARD', (m) => luhnValid(m.replace(/[ -]/g, ''))),
  US_SSN: spans(SSN, 'US_SSN', ssnIssuable),
  IP_ADDRESS: (text) => [
    ...spans(IPV4, 'IP_ADDRESS', isIPv4)(text),
    ...spans(IPV6, 'IP_ADDRESS', isIPv6)(text),
  ],
  PHONE_NUMBER: spans(PHONE, 'PHONE_NUMBER', phoneLike),
};
