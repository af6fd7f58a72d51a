// Guardrails detectors: personal data (PII) and unsafe content, found in text synchronously,
// with no network and no model download.
export { PII_TYPES, type PiiSpan, type PiiType } from './pii/types';
export { countPii, detectPii, redactPii } from './pii/detect';
export { SAFETY_CATEGORIES, type SafetyCategory } from './safety/categories';
export { unsafeCategories } from './safety/classify';
