// Checks a request's reference: what the function's evaluators compare its answer with.
import type { inference } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

/** Passages one reference may carry. */
export const MAX_REFERENCE_CONTEXTS = 64;

/**
 * A reference is bounded like the input it travels with: at most 64 passages, and at most
 * `maxChars` characters of answer and passages together (the event carries all of it).
 */
export function validateReference(
  reference: inference.Reference | undefined,
  maxChars: number,
): void {
  if (!reference) return;
  if (reference.context.length > MAX_REFERENCE_CONTEXTS) {
    throw new InvalidArgumentError(
      'reference.context',
      `${reference.context.length} passages; at most ${MAX_REFERENCE_CONTEXTS} are allowed`,
    );
  }
  let characters = reference.answer.length;
  reference.context.forEach((passage, i) => {
    if (passage.trim() === '') {
      throw new InvalidArgumentError(`reference.context[${i}]`, 'must not be empty');
    }
    characters += passage.length;
  });
  if (characters > maxChars) {
    throw new InvalidArgumentError(
      'reference',
      `${characters} characters of answer and context; at most ${maxChars} are allowed`,
    );
  }
}
