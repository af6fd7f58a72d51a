// `keel budget`: spend limits of a tenant, or of one of its functions, per UTC day or month;
// alerts only, or also refusing or downgrading what they cannot cover.
import { nanoUsd } from '@keel/catalog';
import { router } from '@keel/contracts';
import { call, routerClient } from '@keel/kit';
import { type Command, InvalidArgumentError, Option } from 'commander';

interface Connection {
  router: () => string;
  adminKey: () => string;
}

const PERIODS: Record<string, router.BudgetPeriod> = {
  day: router.BudgetPeriod.BUDGET_PERIOD_DAY,
  month: router.BudgetPeriod.BUDGET_PERIOD_MONTH,
};
const ACTIONS: Record<string, router.BudgetAction> = {
  alert: router.BudgetAction.BUDGET_ACTION_UNSPECIFIED,
  refuse: router.BudgetAction.BUDGET_ACTION_REFUSE,
  downgrade: router.BudgetAction.BUDGET_ACTION_DOWNGRADE,
};

export interface BudgetFlags {
  limitUsd: bigint;
  period: string;
  function?: string;
  action: string;
  downgradeVariant?: string;
  alerts?: number[];
  tenant?: string;
}

/** The budget the flags describe; the router checks every field. */
export function budgetOf(name: string, flags: BudgetFlags): router.Budget {
  return router.Budget.fromPartial({
    tenantId: flags.tenant ?? '',
    budgetName: name,
    functionName: flags.function ?? '',
    period: PERIODS[flags.period],
    limitNanoUsd: flags.limitUsd,
    alertPercents: flags.alerts ?? [],
    action: ACTIONS[flags.action],
    downgradeVariant: flags.downgradeVariant ?? '',
  });
}

/** One line per budget: what `keel budget list` prints. */
export function describeBudgetLine(budget: router.Budget): string {
  const period = Object.keys(PERIODS).find((word) => PERIODS[word] === budget.period) ?? '?';
  const action = Object.keys(ACTIONS).find((word) => ACTIONS[word] === budget.action) ?? '?';
  const scope = budget.functionName ? `function ${budget.functionName}` : 'every function';
  const downgrade = budget.downgradeVariant ? ` to variant ${budget.downgradeVariant}` : '';
  return (
    `${budget.budgetName}: ${usdOf(budget.limitNanoUsd)} per ${period}, ${scope}, ` +
    `${action}${downgrade}; alerts at ${budget.alertPercents.map((p) => `${p}%`).join(', ')}`
  );
}

export function addBudgetCommands(program: Command, connection: Connection): void {
  const budget = program
    .command('budget')
    .description("spend limits of a tenant or a function (the tenant's admin key)");

  budget
    .command('put <name>')
    .description('create or replace a budget')
    .requiredOption('--limit-usd <usd>', 'the limit in USD per period, e.g. 50 or 0.25', usd)
    .addOption(
      new Option('--period <period>', 'UTC day or calendar month')
        .choices(Object.keys(PERIODS))
        .makeOptionMandatory(),
    )
    .option('--function <name>', 'limit this function only (default: every function)')
    .addOption(
      new Option('--action <action>', 'what a request the budget cannot cover gets')
        .choices(Object.keys(ACTIONS))
        .default('alert'),
    )
    .option('--downgrade-variant <name>', "the function's cheaper variant, for --action downgrade")
    .option(
      '--alerts <percents>',
      'alert at these percents of the limit (default 50,80,100)',
      percents,
    )
    .option('--tenant <id>', "tenant id (default: the admin key's own)")
    .action(async (name: string, flags: BudgetFlags) => {
      const client = routerClient(connection.router());
      const reply = await call<router.PutBudgetResponse>(connection.adminKey(), (metadata, done) =>
        client.putBudget({ budget: budgetOf(name, flags) }, metadata, done),
      );
      console.log(describeBudgetLine(reply.budget!));
      console.log(`policy version ${reply.policyVersion}`);
    });

  budget
    .command('list')
    .description("a tenant's budgets")
    .option('--tenant <id>', "tenant id (default: the admin key's own)")
    .action(async (flags: { tenant?: string }) => {
      const client = routerClient(connection.router());
      const reply = await call<router.ListBudgetsResponse>(
        connection.adminKey(),
        (metadata, done) => client.listBudgets({ tenantId: flags.tenant ?? '' }, metadata, done),
      );
      if (reply.budgets.length === 0) console.log('no budgets');
      for (const each of reply.budgets) console.log(describeBudgetLine(each));
    });

  budget
    .command('delete <name>')
    .description('remove a budget')
    .option('--tenant <id>', "tenant id (default: the admin key's own)")
    .action(async (name: string, flags: { tenant?: string }) => {
      const client = routerClient(connection.router());
      const reply = await call<router.DeleteBudgetResponse>(
        connection.adminKey(),
        (metadata, done) =>
          client.deleteBudget({ tenantId: flags.tenant ?? '', budgetName: name }, metadata, done),
      );
      console.log(`budget ${name} deleted; policy version ${reply.policyVersion}`);
    });
}

/** Dollars as typed (`0.25`), converted exactly to nano-USD. */
function usd(value: string): bigint {
  try {
    return nanoUsd(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function percents(value: string): number[] {
  return value.split(',').map((part) => {
    const percent = Number(part.trim());
    if (!Number.isInteger(percent))
      throw new InvalidArgumentError(`'${part}' is not a whole percent`);
    return percent;
  });
}

function usdOf(nano: bigint): string {
  return `$${nano / 1_000_000_000n}.${(nano % 1_000_000_000n).toString().padStart(9, '0')}`;
}
