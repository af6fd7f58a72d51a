// The categories of unsafe content; the names are keel.router.v1.SafetyCategory's without
// prefix, and LABELS maps the moderation data's labels to them.
export const SAFETY_CATEGORIES = [
  'SEXUAL',
  'HATE',
  'VIOLENCE',
  'HARASSMENT',
  'SELF_HARM',
  'SEXUAL_MINORS',
  'HATE_THREATENING',
  'VIOLENCE_GRAPHIC',
] as const;

export type SafetyCategory = (typeof SAFETY_CATEGORIES)[number];

export const LABELS: Readonly<Record<string, SafetyCategory>> = {
  S: 'SEXUAL',
  H: 'HATE',
  V: 'VIOLENCE',
  HR: 'HARASSMENT',
  SH: 'SELF_HARM',
  S3: 'SEXUAL_MINORS',
  H2: 'HATE_THREATENING',
  V2: 'VIOLENCE_GRAPHIC',
};
