// The drift detector's detection and false-alarm rates on synthetic scores: for each kind of
// score (pass/fail at a pass rate of 0.8; graded around 0.8 with a spread of 0.1 and of 0.2)
// and each drop of the mean, the share of seeded draws (baseline and window drawn afresh each
// time) in which one check reports a drop. A drop of 0 is noise of the baseline's own spread:
// its rate is the false-alarm rate.
//   npm run eval:drift [-- --runs 1000 --window 100 --baseline 400 --alpha 0.01 --min-drop 0.05]
import { parseArgs } from 'node:util';
import type { DriftSettings } from '../../services/evaluation/src/domain/drift';
import {
  type ScoreDraw,
  dropRate,
} from '../../services/evaluation/src/domain/drift-scores.fixture';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    window: { type: 'string', default: '100' },
    baseline: { type: 'string', default: '400' },
    alpha: { type: 'string', default: '0.01' },
    'min-drop': { type: 'string', default: '0.05' },
  },
});
const runs = Number(values.runs);
const settings: DriftSettings = {
  windowSize: Number(values.window),
  baselineSize: Number(values.baseline),
  alpha: Number(values.alpha),
  minDrop: Number(values['min-drop']),
};

const KINDS: Array<{ name: string; draw: Omit<ScoreDraw, 'windowMean'> }> = [
  { name: 'pass/fail, p 0.8', draw: { kind: 'pass_fail', baselineMean: 0.8, spread: 0 } },
  { name: 'graded 0.8, sd 0.1', draw: { kind: 'graded', baselineMean: 0.8, spread: 0.1 } },
  { name: 'graded 0.8, sd 0.2', draw: { kind: 'graded', baselineMean: 0.8, spread: 0.2 } },
];
const DROPS = [0, 0.05, 0.1, 0.15, 0.2, 0.3];

console.log(
  `window ${settings.windowSize}, baseline ${settings.baselineSize}, alpha ${settings.alpha}, ` +
    `min drop ${settings.minDrop}; ${runs} seeded draws per cell`,
);
console.log(
  ['scores', ...DROPS.map((drop) => `drop ${drop}`)]
    .map((c) => c.padEnd(20))
    .join('')
    .trimEnd(),
);
for (const { name, draw } of KINDS) {
  const rates = DROPS.map((drop) =>
    dropRate({ ...draw, windowMean: draw.baselineMean - drop }, settings, runs),
  );
  console.log(
    [name, ...rates.map((rate) => `${(rate * 100).toFixed(1)}%`)]
      .map((c) => c.padEnd(20))
      .join('')
      .trimEnd(),
  );
}
