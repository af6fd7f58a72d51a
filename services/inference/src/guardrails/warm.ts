// The detectors load their models on first use: loaded at start, the first guarded request is
// not the slower (about 40 ms).
import { detectPii, unsafeCategories } from '@keel/guardrails';

export function warmGuardrails(): void {
  detectPii('Write to Jane Doe at jane@example.com');
  unsafeCategories('warm');
}
