// Trains the person-name model on the first half of pii.jsonl and writes
// libs/guardrails/src/models/person.generated.json: weights of features, and of no feature
// naming a word that lay inside a labelled span of the data (a name, an address, an
// organisation…), so the model carries none of its personal data. Words mayBeName rules out
// are not learnt.
//   npm run train:person
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import { nameLists } from '../../libs/guardrails/src/pii/names';
import { mayBeName, wordFeatures, words } from '../../libs/guardrails/src/pii/person';
import { type Example, trainLinearModel } from '../../libs/guardrails/src/train';
import { loadHalves } from './guardrails-data';

interface Record {
  text: string;
  spans: { type: string; start: number; end: number }[];
}

// Even odds. A lower threshold, picked by cross-validated word-level F1 (0.38), also took
// sentence-initial capitalised words ("Card 4111…") for names.
const THRESHOLD = 0.5;
// Beside a word past THRESHOLD, a word this likely joins its span. Picked on the first half by
// how many PERSON spans are found whole (`npm run eval:pii`), F1 unchanged.
const JOIN_THRESHOLD = 0.2;
const OPTIONS = { epochs: 20, l2: 1e-3, minWeight: 5e-3 };

async function main(): Promise<void> {
  const { tune } = loadHalves<Record>('pii.jsonl');
  const names = nameLists();
  // Words seen only inside labelled spans (names, addresses, organisations…) are personal data:
  // no feature naming one is learnt. Words also seen elsewhere ("card", "street") are not.
  const inside = new Set<string>();
  const outside = new Set<string>();
  const records = tune.map((record) => {
    const all = words(record.text, names);
    for (const word of all) {
      const inSpan = record.spans.some((s) => word.start < s.end && s.start < word.end);
      (inSpan ? inside : outside).add(word.lower);
    }
    return { record, all };
  });
  const entityWords = new Set([...inside].filter((word) => !outside.has(word)));
  const learnt = (feature: string) => {
    const word = /^(?:w|previous|next|previous\+shape)=([^|]*)/.exec(feature)?.[1];
    return word === undefined || !entityWords.has(word);
  };
  const examples = records.flatMap(({ record, all }) => {
    const persons = record.spans.filter((s) => s.type === 'PERSON');
    return all.flatMap((word, i): Example[] => {
      if (!mayBeName(word)) return [];
      const features = wordFeatures(record.text, all, i).filter(learnt);
      return [{ features, label: persons.some((p) => word.start < p.end && p.start < word.end) }];
    });
  });
  const model = trainLinearModel(examples, OPTIONS);
  const out = path.resolve(__dirname, '../../libs/guardrails/src/models/person.generated.json');
  const json = JSON.stringify({
    generated: 'by `npm run train:person` from the first half of pii.jsonl; do not edit',
    threshold: THRESHOLD,
    joinThreshold: JOIN_THRESHOLD,
    ...model,
  });
  writeFileSync(out, await format(json, { ...(await resolveConfig(out)), filepath: out }));
  console.log(`${examples.length} words, ${Object.keys(model.weights).length} weights → ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
