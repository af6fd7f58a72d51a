import { evaluationQueryOf } from './evaluation-query';
import { pagePositionOf, pageTokenOf } from './page-token';

describe('page tokens', () => {
  const query = evaluationQueryOf(
    {
      tenantId: '',
      functionName: 'checkout',
      variantName: '',
      model: '',
      evaluator: '',
      label: '',
      tags: { b: '2', a: '1' },
      from: undefined,
      to: undefined,
    },
    'acme',
  );
  const position = { occurredAt: new Date('2026-11-30T10:00:00Z'), evaluationId: 'e-1' };

  it('resumes where the page ended, for the same query with its tags in any order', () => {
    const token = pageTokenOf(query, position);
    expect(pagePositionOf({ ...query, tags: { a: '1', b: '2' } }, token)).toEqual(position);
  });

  it('is the first page when empty', () => {
    expect(pagePositionOf(query, '')).toBeUndefined();
  });

  it('refuses a token of another query or tenant, naming page_token', () => {
    const token = pageTokenOf(query, position);
    expect(() => pagePositionOf({ ...query, model: 'm1' }, token)).toThrow(
      'page_token: issued for another filter',
    );
    expect(() => pagePositionOf({ ...query, tenantId: 'globex' }, token)).toThrow('page_token');
  });

  it('refuses text it did not issue', () => {
    expect(() => pagePositionOf(query, 'bm90IGpzb24')).toThrow(
      'page_token: not a token this service issued',
    );
  });
});
