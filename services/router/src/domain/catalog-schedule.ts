// The catalogs the operator's model records call for over time: each record holds a model from
// its effective time on, so a price change announced ahead is a record with a later time.
import { router } from '@keel/contracts';
import { catalogWithModels } from './model';

/** A model as the operator put it, in force from `effectiveAt`. */
export interface ModelRecord {
  model: router.Model;
  effectiveAt: Date;
}

/**
 * The catalog in effect at `now`, then one for each later time a record takes effect, earliest
 * first: each is `base` with, by name, the latest record in force by its time (effective_at
 * set; version 0, the publisher numbers them).
 */
export function catalogSchedule(
  base: router.ModelCatalog,
  records: readonly ModelRecord[],
  now: Date,
): router.ModelCatalog[] {
  const later = records
    .map((record) => record.effectiveAt.getTime())
    .filter((t) => t > now.getTime());
  const times = [now.getTime(), ...new Set(later)].sort((a, b) => a - b);
  return times.map((time) => ({
    ...catalogWithModels(base, inForceAt(records, time)),
    version: 0n,
    effectiveAt: new Date(time),
  }));
}

/** For each model name, the record with the latest effective time at or before `time`. */
function inForceAt(records: readonly ModelRecord[], time: number): router.Model[] {
  const latest = new Map<string, ModelRecord>();
  for (const record of records) {
    if (record.effectiveAt.getTime() > time) continue;
    const seen = latest.get(record.model.name);
    if (!seen || record.effectiveAt > seen.effectiveAt) latest.set(record.model.name, record);
  }
  return [...latest.values()].map((record) => record.model);
}
