/**
 * Recorded workflow histories for the replay test (test/workflow-replay.test.ts): one real run of every workflow on a
 * real Temporal dev server over a tiny sample, stored as Temporal's JSON history format. Re-record after a deliberate,
 * versioned change to a workflow's commands: `npm run histories:record`.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { HistoryAndWorkflowId } from '@temporalio/client';
import { backfill } from '../../workflows/backfill';
import { exportWindow } from '../../workflows/export-window';
import { nightlyExport } from '../../workflows/nightly';
import { verifyWindow } from '../../workflows/verify';
import { DAY_MS, SAMPLE_DAY, exportFixture, testOptions, testWindow } from './export-fixture';
import { stackMinio } from './export-env';

export const HISTORIES_DIR = join(__dirname, '..', 'fixtures', 'workflow-histories');

export interface RecordedHistory extends HistoryAndWorkflowId {
  file: string;
  workflowType: string;
}

/**
 * The histories in `dir`. A file is named after the workflow id it was recorded under, and replay must run under that
 * id: the ids of the children a backfill or nightly run starts are derived from it, and a different one would be a
 * (false) nondeterminism.
 */
export function loadHistories(dir = HISTORIES_DIR): RecordedHistory[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const history = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { events: Array<Record<string, unknown>> };
      const started = history.events[0]?.['workflowExecutionStartedEventAttributes'] as
        { workflowType: { name: string } } | undefined;
      if (!started) throw new Error(`${file}: the first event is not WorkflowExecutionStarted`);
      return { file, workflowId: file.replace(/\.json$/, ''), workflowType: started.workflowType.name, history };
    });
}

/**
 * Every string a history carries, payloads decoded: activity and child inputs and results are base64 JSON inside
 * `{metadata, data}` objects, where a plain text search would not see a leaked secret.
 */
export function historyText(node: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o['data'] === 'string' && o['metadata'] !== null && typeof o['metadata'] === 'object')
        out.push(Buffer.from(o['data'], 'base64').toString('utf8'));
      Object.values(o).forEach(walk);
    }
  };
  walk(node);
  return out.join('\n');
}

/**
 * The worker identity (`pid@hostname`, also the name of its sticky task queue) is the only machine detail a history
 * holds, and replay never reads it; a fixed one keeps re-recordings from differing in it and the recording machine's
 * name out of the repository. The worker runs in this process, so its identity is this process's default one.
 */
function withoutIdentity(historyJson: string): unknown {
  return JSON.parse(
    historyJson.split(`${process.pid}@${hostname()}`).join('replaylake-recorder'),
    (key, value: unknown) => (key === 'identity' && typeof value === 'string' ? 'replaylake-recorder' : value),
  );
}

/**
 * Runs each workflow once on a tiny sample (2 days, 20 sessions, batches of 4) and writes its history to `dir`.
 * Children (the exports a backfill or a nightly run starts) are not recorded: their code is exportWindow's, whose
 * own history is. Throws if a history carries any of the credentials the run used, or the host name.
 */
export async function recordHistories(dir = HISTORIES_DIR): Promise<string[]> {
  const fx = await exportFixture('histories', { sessions: 20, seed: 'histories', days: 2 });
  try {
    const { client } = fx.ex.env;
    const taskQueue = fx.ex.taskQueue;
    const teams = [1, 2, 3, 4];
    const options = testOptions({ batchSize: 4, parallelism: 2 });
    const runs: Array<[string, () => Promise<unknown>]> = [
      [
        'export-window',
        () =>
          client.workflow.execute(exportWindow, {
            taskQueue,
            workflowId: 'export-window',
            args: [testWindow({ teams, batchSize: 4, parallelism: 2 })],
          }),
      ],
      [
        'nightly',
        () =>
          client.workflow.execute(nightlyExport, {
            taskQueue,
            workflowId: 'nightly',
            // As the schedule would start it an hour after the sample day's settle period.
            args: [{ teams, export: options, scheduledMs: SAMPLE_DAY + DAY_MS + 25 * 3_600_000 }],
          }),
      ],
      [
        'backfill',
        () =>
          client.workflow.execute(backfill, {
            taskQueue,
            workflowId: 'backfill',
            args: [{ teams, startMs: SAMPLE_DAY, endMs: SAMPLE_DAY + 2 * DAY_MS, concurrency: 2, export: options }],
          }),
      ],
      [
        'verify',
        () =>
          client.workflow.execute(verifyWindow, {
            taskQueue,
            workflowId: 'verify',
            args: [{ teams, startMs: SAMPLE_DAY, endMs: SAMPLE_DAY + 2 * DAY_MS }],
          }),
      ],
    ];
    const minio = stackMinio();
    // Generated credentials are long; an empty one would match any text.
    const secrets = [fx.ch.password, minio.accessKeyId, minio.secretAccessKey].filter((s) => s.length >= 8);
    mkdirSync(dir, { recursive: true });
    const written: string[] = [];
    for (const [name, run] of runs) {
      await run();
      const history = withoutIdentity(historyToJSON(await client.workflow.getHandle(name).fetchHistory()));
      const text = `${historyText(history)}\n${JSON.stringify(history)}`;
      const leaked = [...secrets, hostname()].filter((s) => text.includes(s));
      if (leaked.length > 0)
        throw new Error(`the ${name} history holds ${leaked.length} credential(s) or the host name; not written`);
      const file = join(dir, `${name}.json`);
      writeFileSync(file, `${JSON.stringify(history, null, 2)}\n`);
      written.push(file);
    }
    return written;
  } finally {
    await fx.close();
  }
}
