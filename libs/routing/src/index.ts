// Routing: the decision code that evaluates a policy snapshot, shared by router and inference.
export { Policy, type RouteRequest } from './policy';
export {
  budgetCovers,
  budgetPeriodEnd,
  budgetPeriodStart,
  describeBudget,
  isHardBudget,
} from './budget-period';
