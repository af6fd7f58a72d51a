import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachedGoBinary } from './index';

const TOOL = { name: 'tool', version: 'v1.2.3', minGo: [1, 0] as [number, number] };

describe('cachedGoBinary', () => {
  let cacheDir: string;
  const log = () => undefined;

  beforeEach(() => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keel-go-tools-'));
  });
  afterEach(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  it('builds a tool once and serves the cached binary, named by version, after', () => {
    let builds = 0;
    const build = (gobin: string) => {
      builds += 1;
      fs.writeFileSync(path.join(gobin, TOOL.name), 'binary');
    };
    const first = cachedGoBinary(TOOL, build, { cacheDir, log });
    const second = cachedGoBinary(TOOL, build, { cacheDir, log });

    expect(first).toBe(path.join(cacheDir, 'bin', 'tool-v1.2.3'));
    expect(second).toBe(first);
    expect(builds).toBe(1);
    expect(fs.readFileSync(first, 'utf8')).toBe('binary');
    expect(fs.readdirSync(path.join(cacheDir, 'bin'))).toEqual(['tool-v1.2.3']);
  });

  it('caches nothing from a failed build, so the next call builds again', () => {
    const failing = (gobin: string) => {
      fs.writeFileSync(path.join(gobin, TOOL.name), 'half a binary');
      throw new Error('go build failed');
    };
    expect(() => cachedGoBinary(TOOL, failing, { cacheDir, log })).toThrow('go build failed');
    expect(fs.readdirSync(path.join(cacheDir, 'bin'))).toEqual([]);

    let builds = 0;
    cachedGoBinary(
      TOOL,
      (gobin) => {
        builds += 1;
        fs.writeFileSync(path.join(gobin, TOOL.name), 'binary');
      },
      { cacheDir, log },
    );
    expect(builds).toBe(1);
  });

  it('refuses to build with a Go older than the tool needs', () => {
    const future = { ...TOOL, minGo: [99, 0] as [number, number] };
    expect(() => cachedGoBinary(future, () => undefined, { cacheDir, log })).toThrow(
      /tool needs Go >= 99\.0, found go\d/,
    );
  });
});
