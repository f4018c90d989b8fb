/**
 * Determinism: recorded histories of every workflow (test/fixtures/workflow-histories/, real runs on a real Temporal
 * dev server) replay against the current workflow code. A change that reorders, adds or drops a command — two
 * activity calls swapped, a timer added, a child started differently — fails here instead of failing the workflows
 * that are running when a worker with that change deploys. A deliberate change of commands needs `patched()` (or a new
 * workflow type) for the runs in flight, and then a new recording:
 *
 *   npm run histories:record      # REPLAYLAKE_RECORD_HISTORIES=1: records (needs the local stack), then replays
 *
 * Replay itself needs no server, ClickHouse or MinIO: it runs the workflow code against the stored events.
 */
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import type { ReplayResult } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import * as workflows from '../workflows';
import type { RecordedHistory } from './support/workflow-histories';
import { HISTORIES_DIR, historyText, loadHistories, recordHistories } from './support/workflow-histories';

const RECORD = process.env['REPLAYLAKE_RECORD_HISTORIES'] === '1';

describe('recorded workflow histories replay against the current code', () => {
  let histories: RecordedHistory[];

  beforeAll(async () => {
    if (RECORD) await recordHistories(HISTORIES_DIR);
    histories = loadHistories(HISTORIES_DIR);
  }, 600_000);

  it('there is a history of every workflow the worker registers', () => {
    const registered = Object.entries(workflows)
      .filter(([, v]) => typeof v === 'function')
      .map(([name]) => name)
      .sort();
    expect(registered).toEqual(['backfill', 'exportWindow', 'nightlyExport', 'verifyWindow']);
    expect([...new Set(histories.map((h) => h.workflowType))].sort()).toEqual(registered);
  });

  it('every history replays without a nondeterminism error', async () => {
    const results: ReplayResult[] = [];
    // The same workflow bundle the worker runs (worker/runtime.ts), built once for all histories.
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: join(__dirname, '..', 'workflows', 'index.ts'), replayName: 'replaylake-replay' },
      histories,
    ))
      results.push(result);
    expect(results.map((r) => r.workflowId).sort()).toEqual(histories.map((h) => h.workflowId).sort());
    const failures = results.flatMap((r) => (r.error ? [`${r.workflowId}: ${r.error.message}`] : []));
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('no history holds a credential', () => {
    // Activities carry keys, counts and ids, never configuration; a secret-looking field means one started to.
    for (const h of histories)
      expect(historyText(h.history), h.file).not.toMatch(
        /password|secretAccessKey|secretKey|accessKeyId|sessionToken|apiKey|hashKey|authorization/i,
      );
  });
});
