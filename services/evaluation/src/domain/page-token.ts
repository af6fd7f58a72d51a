// The opaque page token of ListEvaluations: where the last page ended (the newest-first sort
// key of its last evaluation) and a digest of the query it belongs to, so a token is refused
// with any other filter rather than silently skipping or repeating evaluations.
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@keel/errors';
import type { EvaluationQuery } from './evaluation-query';

/** The sort key of the last evaluation of a page. */
export interface PagePosition {
  occurredAt: Date;
  evaluationId: string;
}

interface TokenBody {
  at: number;
  id: string;
  query: string;
}

function digestOf(query: EvaluationQuery): string {
  const tags = Object.entries(query.tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = JSON.stringify({
    ...query,
    tags,
    from: query.from?.getTime() ?? null,
    to: query.to?.getTime() ?? null,
  });
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

export function pageTokenOf(query: EvaluationQuery, position: PagePosition): string {
  const body: TokenBody = {
    at: position.occurredAt.getTime(),
    id: position.evaluationId,
    query: digestOf(query),
  };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** The position a token resumes from; undefined for the first page. */
export function pagePositionOf(query: EvaluationQuery, token: string): PagePosition | undefined {
  if (token === '') return undefined;
  let body: Partial<TokenBody>;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenBody>;
  } catch {
    throw new InvalidArgumentError('page_token', 'not a token this service issued');
  }
  if (typeof body.at !== 'number' || typeof body.id !== 'string') {
    throw new InvalidArgumentError('page_token', 'not a token this service issued');
  }
  if (body.query !== digestOf(query)) {
    throw new InvalidArgumentError(
      'page_token',
      'issued for another filter; pass the same filter as the first page',
    );
  }
  return { occurredAt: new Date(body.at), evaluationId: body.id };
}
