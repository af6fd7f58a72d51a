import { defineEvaluator, verdict } from '../define';
import { hasText } from '../text';

/** Did the model answer at all: 1 ('non_empty') when the output has any non-whitespace character. */
export const nonEmpty = defineEvaluator<Record<string, never>>({
  id: 'non_empty@1',
  description: 'Whether the answer has any non-whitespace character.',
  paramsSchema: { type: 'object', additionalProperties: false },
  score: ({ outputText }) =>
    hasText(outputText)
      ? verdict(1, 'non_empty', 'The answer has text.', false)
      : verdict(0, 'empty', 'The answer is empty or only whitespace.', true),
});
