/** README stays true: its schema and cookbook sections are exactly what the code defines and runs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cookbookMarkdown, tablesMarkdown } from '../client/docs';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

function section(name: string): string {
  const begin = `<!-- ${name}:begin -->\n`;
  const end = `\n<!-- ${name}:end -->`;
  const from = readme.indexOf(begin);
  const to = readme.indexOf(end);
  expect(from, `README lacks the ${name} markers`).toBeGreaterThanOrEqual(0);
  return readme.slice(from + begin.length, to);
}

describe('README', () => {
  it('documents every table and column as lake-tables.ts defines them (regenerate with npm run docs)', () => {
    expect(section('tables')).toBe(tablesMarkdown());
  });

  it('shows the cookbook queries the tests run', () => {
    expect(section('cookbook')).toBe(cookbookMarkdown());
  });

  it('gives the main-job and test commands that package.json and .ci/run use', () => {
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm test ');
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['demo']).toBeDefined();
    expect(readFileSync(join(__dirname, '..', '.ci', 'run'), 'utf8')).toMatch(/^npm test( |$)/m);
  });
});

describe('package-lock.json', () => {
  it('names every optional platform package of chdb, or `npm ci` refuses the lock file', () => {
    // The registry here serves only chdb's linux-x64 library; npm install then drops the other platforms from the
    // lock, and npm ci reports the lock out of sync. The entries are platform-gated, so they are never fetched here.
    const lock = JSON.parse(readFileSync(join(__dirname, '..', 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { optionalDependencies?: Record<string, string> }>;
    };
    const wanted = Object.keys(lock.packages['node_modules/chdb']?.optionalDependencies ?? {});
    expect(wanted.length).toBeGreaterThan(0);
    expect(wanted.filter((name) => !(`node_modules/${name}` in lock.packages))).toEqual([]);
  });
});
