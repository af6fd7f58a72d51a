// Keel's MongoDB access: one database per service, int64 as bigint, idempotent writes.
export { Store, connectStore, type CollectionIndexes } from './store';
export { insertOnce, insertOnceOrGet, isDuplicateKeyError, replaceOrInsert } from './writes';
