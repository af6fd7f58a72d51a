// The kinds of personal data detected; the names are keel.router.v1.PiiType's without prefix.
export const PII_TYPES = [
  'EMAIL_ADDRESS',
  'PHONE_NUMBER',
  'CREDIT_CARD',
  'US_SSN',
  'IP_ADDRESS',
  'PERSON',
] as const;

export type PiiType = (typeof PII_TYPES)[number];

/** Where personal data sits in a text: UTF-16 offsets, end exclusive. */
export interface PiiSpan {
  type: PiiType;
  start: number;
  end: number;
}
