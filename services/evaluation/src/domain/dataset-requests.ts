// The checks on what callers ask of datasets: names, the examples they add, page sizes.
import { common, type evaluation } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';

/** The most examples one AddExamples or AddExamplesFromInferences call may carry. */
export const MAX_EXAMPLES_PER_CALL = 1_000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const MAX_EXAMPLE_ID_CHARS = 200;

export function checkDatasetName(name: string, field = 'dataset_name'): void {
  if (name === '') throw new InvalidArgumentError(field, 'must not be empty');
  if (!NAME.test(name)) {
    throw new InvalidArgumentError(
      field,
      `'${name}' is not a dataset name: letters, digits, '.', '_' and '-', at most 100, ` +
        'starting with a letter or digit',
    );
  }
}

export function checkCount(field: string, count: number): void {
  if (count === 0) throw new InvalidArgumentError(field, 'must not be empty');
  if (count > MAX_EXAMPLES_PER_CALL) {
    throw new InvalidArgumentError(field, `${count} given; at most ${MAX_EXAMPLES_PER_CALL}`);
  }
}

/** Each example has an id (unique in the call) and at least one message. */
export function checkExamples(examples: readonly evaluation.DatasetExample[]): void {
  checkCount('examples', examples.length);
  const seen = new Set<string>();
  examples.forEach((example, index) => {
    const field = `examples[${index}]`;
    if (example.exampleId === '') {
      throw new InvalidArgumentError(`${field}.example_id`, 'must not be empty');
    }
    if (example.exampleId.length > MAX_EXAMPLE_ID_CHARS) {
      throw new InvalidArgumentError(
        `${field}.example_id`,
        `${example.exampleId.length} characters; at most ${MAX_EXAMPLE_ID_CHARS}`,
      );
    }
    if (seen.has(example.exampleId)) {
      throw new InvalidArgumentError(
        `${field}.example_id`,
        `'${example.exampleId}' appears twice in this call`,
      );
    }
    seen.add(example.exampleId);
    if (example.messages.length === 0) {
      throw new InvalidArgumentError(`${field}.messages`, 'must not be empty');
    }
    example.messages.forEach((message, at) => {
      if (message.role === common.MessageRole.MESSAGE_ROLE_UNSPECIFIED) {
        throw new InvalidArgumentError(`${field}.messages[${at}].role`, 'must be set');
      }
    });
  });
}

/** ListExamples' page size: 0 means 100, at most 1,000. */
export function pageSizeOf(pageSize: number): number {
  if (pageSize < 0 || pageSize > MAX_EXAMPLES_PER_CALL) {
    throw new InvalidArgumentError('page_size', `${pageSize} is outside 0 to 1000`);
  }
  return pageSize === 0 ? 100 : pageSize;
}

/** ListExamples' page token: the id of the last example of the page before, opaque to callers. */
export function examplePageTokenOf(lastExampleId: string): string {
  return Buffer.from(lastExampleId, 'utf8').toString('base64url');
}

export function exampleAfterOf(pageToken: string): string {
  return Buffer.from(pageToken, 'base64url').toString('utf8');
}
