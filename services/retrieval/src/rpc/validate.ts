// Request checks shared by the RetrievalService's handlers; each error names its field.
import { InvalidArgumentError } from '@keel/errors';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkCollectionName(name: string, field = 'collection_name'): string {
  if (!NAME.test(name)) {
    throw new InvalidArgumentError(
      field,
      `'${name}' is not a collection name: 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return name;
}

export function checkDocumentId(id: string, field: string): string {
  if (id === '' || id.length > 512) {
    throw new InvalidArgumentError(field, 'a document id has 1 to 512 characters');
  }
  if (id.includes('#')) {
    throw new InvalidArgumentError(field, `'${id}' holds '#', which separates a chunk's ordinal`);
  }
  return id;
}

export function checkCount(count: number, max: number, field: string): void {
  if (count > max) throw new InvalidArgumentError(field, `at most ${max} per call, got ${count}`);
}
