// AggregateEvaluations' groups and time buckets: what each evaluation is counted under,
// checked from the request.
import { evaluation } from '@keel/contracts';
import { InvalidArgumentError } from '@keel/errors';
import { type ScoreSummary, type Tally, addScore, emptyTally, summaryOf } from './score-summary';

const { GroupKey, TimeBucket } = evaluation;

export interface Grouping {
  keys: evaluation.GroupKey[];
  /** The tag GROUP_KEY_TAG groups by. */
  tagName: string;
  bucket: evaluation.TimeBucket;
}

/** What a row of the store says of the evaluations it stands for. */
export interface GroupRow {
  functionName: string;
  variantName: string;
  model: string;
  evaluator: string;
  label: string;
  tags: Record<string, string>;
  hourStart: Date;
  dayStart: Date;
}

export interface GroupSummary {
  group: Record<string, string>;
  bucketStart?: Date;
  summary: ScoreSummary;
}

const NAMES: Partial<Record<evaluation.GroupKey, string>> = {
  [GroupKey.GROUP_KEY_FUNCTION]: 'function',
  [GroupKey.GROUP_KEY_VARIANT]: 'variant',
  [GroupKey.GROUP_KEY_MODEL]: 'model',
  [GroupKey.GROUP_KEY_EVALUATOR]: 'evaluator',
  [GroupKey.GROUP_KEY_LABEL]: 'label',
};

export function groupingOf(request: evaluation.AggregateEvaluationsRequest): Grouping {
  const seen = new Set<evaluation.GroupKey>();
  request.groupBy.forEach((key, index) => {
    if (key !== GroupKey.GROUP_KEY_TAG && NAMES[key] === undefined) {
      throw new InvalidArgumentError(`group_by[${index}]`, `${String(key)} is not a group key`);
    }
    if (seen.has(key)) {
      throw new InvalidArgumentError(`group_by[${index}]`, `${GroupKey[key]} is named twice`);
    }
    seen.add(key);
  });
  const byTag = seen.has(GroupKey.GROUP_KEY_TAG);
  if (byTag && request.groupByTag === '') {
    throw new InvalidArgumentError('group_by_tag', 'GROUP_KEY_TAG needs the name of the tag');
  }
  if (!byTag && request.groupByTag !== '') {
    throw new InvalidArgumentError('group_by_tag', 'is read only with GROUP_KEY_TAG in group_by');
  }
  if (TimeBucket[request.bucket] === undefined || request.bucket < 0) {
    throw new InvalidArgumentError('bucket', `${String(request.bucket)} is not a time bucket`);
  }
  return { keys: request.groupBy, tagName: request.groupByTag, bucket: request.bucket };
}

/** The name a group key has in EvaluationAggregate.group: `function`, …, `tag:<name>`. */
export function groupKeyName(grouping: Grouping, key: evaluation.GroupKey): string {
  return key === GroupKey.GROUP_KEY_TAG ? `tag:${grouping.tagName}` : (NAMES[key] ?? '');
}

function valueOf(row: GroupRow, grouping: Grouping, key: evaluation.GroupKey): string {
  switch (key) {
    case GroupKey.GROUP_KEY_FUNCTION:
      return row.functionName;
    case GroupKey.GROUP_KEY_VARIANT:
      return row.variantName;
    case GroupKey.GROUP_KEY_MODEL:
      return row.model;
    case GroupKey.GROUP_KEY_EVALUATOR:
      return row.evaluator;
    case GroupKey.GROUP_KEY_LABEL:
      return row.label;
    default:
      // An inference without the tag is grouped under ''.
      return row.tags[grouping.tagName] ?? '';
  }
}

function bucketStartOf(row: GroupRow, bucket: evaluation.TimeBucket): Date | undefined {
  if (bucket === TimeBucket.TIME_BUCKET_HOUR) return row.hourStart;
  if (bucket === TimeBucket.TIME_BUCKET_DAY) return row.dayStart;
  return undefined;
}

/** Sums rows into their groups and buckets. */
export class Aggregator {
  private readonly groups = new Map<
    string,
    { group: Record<string, string>; bucketStart?: Date; tally: Tally }
  >();

  constructor(private readonly grouping: Grouping) {}

  addScore(row: GroupRow, score: number, failed: boolean): void {
    addScore(this.entryOf(row).tally, score, failed);
  }

  /** Oldest bucket first, then by the group's values. */
  summaries(): GroupSummary[] {
    return [...this.groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, { group, bucketStart, tally }]) => ({
        group,
        bucketStart,
        summary: summaryOf(tally),
      }));
  }

  private entryOf(row: GroupRow) {
    const group: Record<string, string> = {};
    for (const key of this.grouping.keys) {
      group[groupKeyName(this.grouping, key)] = valueOf(row, this.grouping, key);
    }
    const bucketStart = bucketStartOf(row, this.grouping.bucket);
    // The bucket's time, zero-padded, sorts buckets in time order.
    const id = JSON.stringify([
      String(bucketStart?.getTime() ?? 0).padStart(16, '0'),
      ...this.grouping.keys.map((key) => group[groupKeyName(this.grouping, key)]),
    ]);
    let entry = this.groups.get(id);
    if (!entry) {
      entry = { group, bucketStart, tally: emptyTally() };
      this.groups.set(id, entry);
    }
    return entry;
  }
}
