import { builtinCatalog, findModel } from '@keel/catalog';
import { router } from '@keel/contracts';
import { catalogSchedule, type ModelRecord } from './catalog-schedule';

const base = builtinCatalog(0n);
const now = new Date('2030-01-01T00:00:00Z');
const later = new Date('2030-02-01T00:00:00Z');
const latest = new Date('2030-03-01T00:00:00Z');

/** sim-small at input price `input`, from `effectiveAt`. */
function simSmallAt(input: bigint, effectiveAt: Date): ModelRecord {
  const model = findModel(base, 'sim-small')!;
  return {
    model: router.Model.fromPartial({
      ...model,
      price: { ...model.price!, inputNanoUsdPerMtok: input },
    }),
    effectiveAt,
  };
}

const inputPrice = (catalog: router.ModelCatalog) =>
  findModel(catalog, 'sim-small')?.price?.inputNanoUsdPerMtok;

describe('catalogSchedule', () => {
  it('is the built-in catalog, in effect now, without records', () => {
    expect(catalogSchedule(base, [], now)).toEqual([{ ...base, effectiveAt: now }]);
  });

  it('holds the latest past record of each model now, and one catalog per later time', () => {
    const records = [
      simSmallAt(1n, new Date(0)),
      simSmallAt(2n, new Date('2029-12-01T00:00:00Z')),
      simSmallAt(4n, latest),
      simSmallAt(3n, later),
    ];
    const schedule = catalogSchedule(base, records, now);
    expect(schedule.map((catalog) => catalog.effectiveAt)).toEqual([now, later, latest]);
    expect(schedule.map(inputPrice)).toEqual([2n, 3n, 4n]);
    expect(schedule.every((catalog) => catalog.version === 0n)).toBe(true);
  });

  it('counts a record that takes effect exactly now as in effect now', () => {
    const schedule = catalogSchedule(base, [simSmallAt(5n, now)], now);
    expect(schedule.map(inputPrice)).toEqual([5n]);
  });

  it('carries a model added now into every later catalog', () => {
    const added: ModelRecord = {
      model: router.Model.fromPartial({ ...findModel(base, 'sim-large')!, name: 'added' }),
      effectiveAt: now,
    };
    const schedule = catalogSchedule(base, [simSmallAt(3n, later), added], now);
    expect(schedule.map((catalog) => findModel(catalog, 'added') !== null)).toEqual([true, true]);
  });
});
