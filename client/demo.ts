/**
 * `replaylake demo`: the main job on the embedded default. Brings up the local stack, loads sample recordings, runs
 * the nightly workflow for the sample day through Temporal on an in-process worker, verifies the committed lake
 * against the source and queries it with DuckDB.
 */
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { VerifyReport } from '../activities/verify';
import type { TableName } from '../activities/lake-tables';
import { TABLES } from '../activities/lake-tables';
import { loadSample } from '../infra/sample/load';
import { parseSampleOptions } from '../infra/sample/options';
import { TEAMS, sampleRange } from '../infra/sample/plan';
import { stackUp } from '../infra/stack';
import type { ExportWindowResult } from '../workflows/export-window';
import type { NightlyInput } from '../workflows/nightly';
import { nightlyExport } from '../workflows/nightly';
import { demoWorkflowId } from '../workflows/ids';
import { verifyWindow } from '../workflows/verify';
import { exportOptions, loadConfig } from '../worker/config';
import { createWorkerRuntime } from '../worker/runtime';
import { COOKBOOK, recipeSql } from './cookbook';
import { UsageError } from './dates';
import { connectClient, startOptions } from './temporal';

export interface DemoReport {
  tables: Record<TableName, number>;
  verify: VerifyReport;
  export: ExportWindowResult;
  cookbook: { name: string; title: string; rows: Record<string, unknown>[] };
  lake: string;
}

export async function runDemo(opts: { sessions: number; json: boolean }): Promise<DemoReport> {
  if (!Number.isInteger(opts.sessions) || opts.sessions < 1 || opts.sessions > 100_000) {
    throw new UsageError('--sessions must be a whole number from 1 to 100000');
  }
  const say = (line: string) => {
    if (!opts.json) console.log(line);
  };
  const state = await stackUp((line) => say(`stack: ${line}`));
  const options = parseSampleOptions({ sessions: opts.sessions, seed: 'demo' });
  const { summary, alreadyLoaded } = await loadSample(state, options);
  say(
    `sample: ${summary.sessions} sessions ${alreadyLoaded ? 'already loaded' : 'loaded'} (${Object.entries(
      summary.by_generation,
    )
      .map(([g, n]) => `${g} ${n}`)
      .join(', ')})`,
  );

  const config = loadConfig();
  const lakeDir = fileURLToPath(config.lake.uri);
  const teams = TEAMS.map((t) => t.teamId);
  const day = sampleRange(options);
  const runtime = await createWorkerRuntime(config);
  const client = await connectClient(config);
  try {
    const report = await runtime.worker.runUntil(async () => {
      // The nightly run as the schedule would start it one settle period after the sample day.
      const input: NightlyInput = {
        teams,
        export: exportOptions(config),
        scheduledMs: day.endMs + config.export.settleHours * 3_600_000 + 3_600_000,
      };
      say(`export: nightly workflow for ${options.start}, teams ${teams.join(', ')}`);
      const exported = await client.workflow.execute(nightlyExport, {
        ...startOptions(config, demoWorkflowId('nightly', options.start)),
        args: [input],
      });
      const verify = await client.workflow.execute(verifyWindow, {
        ...startOptions(config, demoWorkflowId('verify', options.start)),
        args: [{ teams, startMs: day.startMs, endMs: day.endMs }],
      });
      return { exported, verify };
    });

    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    try {
      const tables = {} as Record<TableName, number>;
      for (const name of Object.keys(TABLES) as TableName[]) {
        const reader = await db.runAndReadAll(
          `SELECT count(*)::BIGINT AS n FROM read_parquet('${lakeDir}/${name}/**/*.parquet', hive_partitioning = true)`,
        );
        tables[name] = Number((reader.getRowObjectsJson()[0] as { n: string | number }).n);
      }
      const recipe = COOKBOOK[0]!;
      const rows = (await db.runAndReadAll(recipeSql(recipe, lakeDir))).getRowObjectsJson() as Record<
        string,
        unknown
      >[];
      say(
        `export: ${report.exported.sessions} sessions, ${report.exported.events} events into ${lakeDir} (skipped ${report.exported.deleted} deleted, ${report.exported.unsettled} live)`,
      );
      say('tables:');
      for (const [name, n] of Object.entries(tables)) say(`  ${name.padEnd(17)} ${n}`);
      say(
        `verify: ${report.verify.ok ? 'ok' : `${report.verify.problems} problem(s)`} (${report.verify.partitions.length} partitions)`,
      );
      say(`cookbook — ${recipe.title}:`);
      for (const r of rows) say(`  ${JSON.stringify(r)}`);
      return {
        tables,
        verify: report.verify,
        export: report.exported,
        cookbook: { name: recipe.name, title: recipe.title, rows },
        lake: lakeDir,
      };
    } finally {
      db.closeSync();
      instance.closeSync();
    }
  } finally {
    await client.connection.close();
    await runtime.close();
  }
}
