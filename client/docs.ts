/**
 * README sections generated from code, so the documented schema and cookbook cannot drift from what runs:
 * `npm run docs` prints them, and a test checks that README.md contains them verbatim.
 */
import { TABLES } from '../activities/lake-tables';
import { COOKBOOK } from './cookbook';

export function tablesMarkdown(): string {
  return Object.values(TABLES)
    .map((t) => {
      const rows = t.columns.map(
        (c) =>
          `| \`${c.name}\` | ${c.type}${c.nullable ? ', nullable' : ''} | ${c.description.replace(/\|/g, '\\|')} |`,
      );
      return [
        `#### \`${t.name}\``,
        '',
        t.description,
        '',
        '| column | type | meaning |',
        '|---|---|---|',
        ...rows,
      ].join('\n');
    })
    .join('\n\n');
}

export function cookbookMarkdown(): string {
  return COOKBOOK.map((r) =>
    [
      `#### ${r.title}`,
      '',
      '```sql',
      r.sql.replace(/\{t:([a-z_]+)\}/g, "read_parquet('lake/$1/**/*.parquet', hive_partitioning = true)"),
      '```',
    ].join('\n'),
  ).join('\n\n');
}

if (require.main === module) {
  console.log(`<!-- tables:begin -->\n${tablesMarkdown()}\n<!-- tables:end -->\n`);
  console.log(`<!-- cookbook:begin -->\n${cookbookMarkdown()}\n<!-- cookbook:end -->`);
}
