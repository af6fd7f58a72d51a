import type { DeadLetters } from '@keel/bus';
import type { LedgerWriter } from '../store/ledger-writer';

/** What the BillingService RPCs read and repair. */
export interface ReportDeps {
  writer: LedgerWriter;
  deadLetters: DeadLetters;
}
