/**
 * The repository stands alone: a stranger's clone has nothing beside it, so no file may refer to a path outside it —
 * neither a relative path that climbs out of the clone (`../notes/…` from the top) nor an absolute path into the
 * directory that holds the clone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..');
/** Generated or vendored: not written by us, and large. */
const SKIP = new Set(['package-lock.json']);

function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  // A tracked file deleted in the working tree is not part of what a clone would hold.
  return out.split('\0').filter((f) => f !== '' && !SKIP.has(f) && existsSync(join(ROOT, f)));
}

function inside(path: string): boolean {
  const rel = relative(ROOT, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep));
}

/** Marks a line whose path is data (a hostile key in a test, say), not a reference to a file. */
const NOT_A_REFERENCE = 'not-a-reference';

/** Paths in `text` (of the file at `file`) that lead out of the repository. */
export function outsideReferences(file: string, content: string): string[] {
  const found: string[] = [];
  const text = content
    .split('\n')
    .filter((line) => !line.includes(NOT_A_REFERENCE))
    .join('\n');
  for (const m of text.matchAll(/(?:\.\.\/)+[\w.@-]+/g))
    if (!inside(resolve(dirname(join(ROOT, file)), m[0]))) found.push(m[0]);
  // The same climb spelled as path segments of join(__dirname, …) or resolve(__dirname, …).
  for (const m of text.matchAll(/\b(?:join|resolve)\(\s*__dirname((?:\s*,\s*'[^']*')+)/g)) {
    const segments = [...m[1]!.matchAll(/'([^']*)'/g)].map((s) => s[1]!);
    const target = resolve(dirname(join(ROOT, file)), ...segments);
    if (!inside(target)) found.push(segments.join('/'));
  }
  // An absolute path into the directory holding the clone (a sibling checkout, a notes folder) is outside it too.
  const parent = dirname(ROOT);
  if (parent !== sep)
    for (const m of text.matchAll(new RegExp(`${parent.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[\\w.@-]+`, 'g')))
      if (!inside(m[0])) found.push(m[0]);
  return found;
}

describe('the repository', () => {
  it('refers to no path outside itself', () => {
    const offenders: string[] = [];
    for (const file of repositoryFiles()) {
      const bytes = readFileSync(join(ROOT, file));
      if (bytes.includes(0)) continue; // binary
      for (const ref of outsideReferences(file, bytes.toString('utf8'))) offenders.push(`${file}: ${ref}`);
    }
    expect(offenders).toEqual([]);
  });

  it('notices a path that climbs out of the clone, and one into the directory beside it', () => {
    expect(outsideReferences('README.md', 'see `../notes/formats.md`')).toEqual(['../notes']);
    expect(outsideReferences('test/a.ts', `'../../etc' // ${NOT_A_REFERENCE}`)).toEqual([]); // not-a-reference
    expect(outsideReferences('test/x.ts', "import '../activities/a'")).toEqual([]);
    expect(outsideReferences('test/x.ts', "join(__dirname, '..', '..', 'notes', 'a')")).toEqual(['../../notes/a']); // not-a-reference
    expect(outsideReferences('test/x/y.ts', "join(__dirname, '..', '..', 'bin', 'replaylake')")).toEqual([]); // not-a-reference
    expect(outsideReferences('docs/a.md', `read ${dirname(ROOT)}/notes/b.md`)).toEqual([`${dirname(ROOT)}/notes`]);
  });
});
