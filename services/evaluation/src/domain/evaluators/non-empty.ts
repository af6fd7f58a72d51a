import type { Evaluator } from './evaluator';

/** Did the model answer at all: 1 ('non_empty') when the output has any non-whitespace character. */
export const nonEmpty: Evaluator = {
  id: 'non_empty@1',
  evaluate: ({ outputText }) =>
    /\S/.test(outputText) ? { score: 1, label: 'non_empty' } : { score: 0, label: 'empty' },
};
