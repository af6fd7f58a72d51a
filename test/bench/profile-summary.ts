// Self time of a V8 .cpuprofile by function and by package, the largest first.
//   node --require tsx/cjs test/bench/profile-summary.ts <file.cpuprofile> [--top 40]
import fs from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a function's code lives: an npm package, a Keel lib or service, Node, or V8 itself. */
export function ownerOf(url: string, functionName: string): string {
  if (!url) return `(${functionName || 'anonymous'})`;
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pnpm) return pnpm[1];
  const plain = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (plain) return plain[1];
  const keel = /\/(libs|services|test)\/([^/]+)\//.exec(url);
  if (keel) return `${keel[1]}/${keel[2]}`;
  if (url.startsWith('node:')) return url.split('/')[0];
  return url;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '40' } },
  });
  const top = Number(values.top);
  for (const file of positionals) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const selfUs = new Map<number, number>();
    profile.samples.forEach((id, i) => {
      selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
    const totalUs = profile.endTime - profile.startTime;
    const byFunction = new Map<string, number>();
    const byOwner = new Map<string, number>();
    for (const [id, us] of selfUs) {
      const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
      const owner = ownerOf(url, functionName);
      const where = url
        ? `${url.replace(/^.*\/(node_modules\/\.pnpm\/[^/]+\/node_modules\/|work\/main\/)/, '')}:${lineNumber + 1}`
        : '';
      const name = `${functionName || '(anonymous)'} ${where}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + us);
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
    }
    const print = (title: string, entries: Map<string, number>) => {
      console.log(`\n${title}`);
      for (const [name, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
        console.log(
          `${((us / totalUs) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`,
        );
      }
    };
    console.log(`${file}: ${(totalUs / 1e6).toFixed(1)} s profiled`);
    print('self time by package', byOwner);
    print('self time by function', byFunction);
  }
}

main();
