export {
  LedgerEntry,
  LineItem,
  UsageDimension,
  usageDimensionFromJSON,
  usageDimensionToJSON,
  UsagePeriod,
  usagePeriodFromJSON,
  usagePeriodToJSON,
  UsageTotals,
} from '../gen/keel/billing/v1/billing';
export {
  BillingServiceClient,
  type BillingServiceServer,
  BillingServiceService,
  FunctionSpend,
  GetUsageRequest,
  GetUsageResponse,
  ReconcileRequest,
  ReconcileResponse,
  RollupMismatch,
  TopFunctionsRequest,
  TopFunctionsResponse,
  Unbilled,
  UnbilledInference,
  UsageFilter,
  UsageRow,
} from '../gen/keel/billing/v1/billing_service';
export { BudgetThresholdReached, InferenceBilled } from '../gen/keel/billing/v1/events';
