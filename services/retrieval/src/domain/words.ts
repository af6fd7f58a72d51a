// Words too common to tell passages apart: the lexical index skips them (a query of common words
// would otherwise score every chunk), and so do the hashed embeddings (they would fill the
// buckets with noise).
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be but by for from had has have he her his how i in is it its of on or ' +
    'she that the their there they this to was were what when where which who whom why will ' +
    'with you did does do not'
  ).split(' '),
);
