// AnalyzeFailures' counts: failures over totals by evaluator+label and by function+variant,
// and the inputs (by last user message) that failed in more than one inference.

export interface FailureGroup {
  group: Record<string, string>;
  failures: number;
  total: number;
}

export interface RepeatedInput {
  input: string;
  failures: number;
  inferenceIds: string[];
}

/** How many inference ids a repeated input lists. */
const IDS_PER_INPUT = 10;

export class FailureCounts {
  private readonly byLabel = new Map<string, FailureGroup>();
  private readonly byVariant = new Map<string, FailureGroup>();
  /** The inferences with at least one failing evaluation. */
  readonly failedInferences = new Set<string>();

  add(evaluation: {
    evaluator: string;
    label: string;
    functionName: string;
    variantName: string;
    inferenceId: string;
    failed: boolean;
  }): void {
    const failed = evaluation.failed ? 1 : 0;
    count(this.byLabel, { evaluator: evaluation.evaluator, label: evaluation.label }, failed);
    count(
      this.byVariant,
      { function: evaluation.functionName, variant: evaluation.variantName },
      failed,
    );
    if (evaluation.failed) this.failedInferences.add(evaluation.inferenceId);
  }

  /** Groups with at least one failure, most failures first. */
  labels(): FailureGroup[] {
    return failing(this.byLabel);
  }

  variants(): FailureGroup[] {
    return failing(this.byVariant);
  }
}

function count(groups: Map<string, FailureGroup>, group: Record<string, string>, failed: number) {
  const id = JSON.stringify(Object.values(group));
  const entry = groups.get(id) ?? { group, failures: 0, total: 0 };
  entry.failures += failed;
  entry.total += 1;
  groups.set(id, entry);
}

function failing(groups: Map<string, FailureGroup>): FailureGroup[] {
  return [...groups.values()]
    .filter((entry) => entry.failures > 0)
    .sort((a, b) => b.failures - a.failures || b.total - a.total);
}

/**
 * The inputs that failed in more than one inference, most first (ties by input text), at most
 * `top` of them.
 */
export function repeatedInputs(
  failed: Array<{ inferenceId: string; input: string }>,
  top: number,
): RepeatedInput[] {
  const byInput = new Map<string, string[]>();
  for (const { inferenceId, input } of failed) {
    const ids = byInput.get(input) ?? [];
    ids.push(inferenceId);
    byInput.set(input, ids);
  }
  return [...byInput.entries()]
    .filter(([, ids]) => ids.length > 1)
    .sort(([a, x], [b, y]) => y.length - x.length || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, top)
    .map(([input, ids]) => ({
      input,
      failures: ids.length,
      inferenceIds: ids.sort().slice(0, IDS_PER_INPUT),
    }));
}
