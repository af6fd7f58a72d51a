export { LedgerEntry, LineItem } from '../gen/keel/billing/v1/billing';
export { InferenceBilled } from '../gen/keel/billing/v1/events';
