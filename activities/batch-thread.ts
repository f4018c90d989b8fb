/**
 * What runs on a batch thread: the whole batch (fetch, decode, merge, raw blobs, normalise, Parquet), with clients
 * of its own, so the worker's main thread only heartbeats and talks to Temporal. Failures cross back as plain data,
 * classified, because a thread boundary loses error classes.
 */
import type { MessagePort } from 'node:worker_threads';
import { workerData } from 'node:worker_threads';
import type { Connections } from './connections';
import { openConnections } from './connections';
import type { BatchProgress, BatchSettings, ExportBatchInput, ExportBatchResult } from './export-batch';
import { exportBatch } from './export-batch';
import { describeFailure } from './failures';
import type { ThreadFailure } from './failures';
import type { ConnectionSettings } from './connections';
import { forwardTelemetry } from './telemetry';
import type { TelemetryMessage } from './telemetry';

export interface BatchThreadData {
  connections: ConnectionSettings;
  settings: BatchSettings;
  configDigest: string;
}

export interface BatchTask {
  input: ExportBatchInput;
  /** Progress goes back through this port, for heartbeats, and telemetry events when `telemetry` is set. */
  port: MessagePort;
  /** The main thread logs telemetry events: forward this thread's (activities/telemetry.ts). */
  telemetry?: boolean;
  /** Sessions an earlier attempt ran out of memory in. */
  outOfMemory: string[];
}

/** What crosses the task's port: progress as it is, telemetry events wrapped. */
export type BatchThreadMessage = BatchProgress | { telemetry: TelemetryMessage };

export type BatchTaskResult = { ok: true; result: ExportBatchResult } | { ok: false; failure: ThreadFailure };

let connections: Connections | undefined;

export async function runBatchTask(task: BatchTask): Promise<BatchTaskResult> {
  const data = workerData as BatchThreadData;
  connections ??= openConnections(data.connections);
  // A thread runs one task at a time (piscina's default), so every event it publishes meanwhile is this task's.
  const stopForwarding = task.telemetry
    ? forwardTelemetry((telemetry) => task.port.postMessage({ telemetry } satisfies BatchThreadMessage))
    : undefined;
  try {
    const result = await exportBatch(
      {
        fetch: connections.fetch,
        clickhouse: connections.clickhouse,
        lake: connections.lake,
        schema: connections.schema,
        settings: data.settings,
        configDigest: data.configDigest,
      },
      task.input,
      { progress: (p) => task.port.postMessage(p), outOfMemory: task.outOfMemory },
    );
    return { ok: true, result };
  } catch (err) {
    return { ok: false, failure: describeFailure(err) };
  } finally {
    stopForwarding?.();
    task.port.close();
  }
}
