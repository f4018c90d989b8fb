/**
 * Builds a worker from a parsed Config: connections to ClickHouse, the source object store and the lake, the batch
 * threads, and the Temporal worker that runs workflows and activities. Used by `replaylake worker` and by the demo,
 * which runs one in-process.
 */
import { readFileSync } from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { ActivityDeps } from '../activities';
import { BatchPool } from '../activities/batch-pool';
import type { BatchThreadData } from '../activities/batch-thread';
import { openConnections } from '../activities/connections';
import type { Connections } from '../activities/connections';
import { fingerprint } from '../activities/lake-layout';
import { BATCH_FORMAT, CHECKPOINT_FORMAT, MANIFEST_FORMAT } from '../activities/lake-records';
import { privacyFingerprint } from '../activities/privacy';
import packageJson from '../package.json';
import type { Config } from './config';
import { workflowCode } from './workflow-bundle';
import { privacySettings, threadHeapMB } from './config';

const MB = 1024 * 1024;

/**
 * Temporal cannot be reached. Unlike a misconfiguration (exit 2) it is worth a restart (exit 1): a worker started
 * before its Temporal server, or during a Temporal outage, is restarted by its supervisor.
 */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
}

export function temporalUnreachable(temporal: Config['temporal'], err: unknown): TemporalUnreachableError {
  return new TemporalUnreachableError(
    `cannot reach Temporal at ${temporal.address} (${err instanceof Error ? err.message : String(err)}); check temporal.address (REPLAYLAKE_TEMPORAL_ADDRESS)`,
  );
}

/** Connection options for any Temporal: the dev server, a self-hosted cluster (mTLS) or Temporal Cloud (API key). */
export function temporalConnectionOptions(t: Config['temporal']): NativeConnectionOptions {
  const tls = t.tls
    ? {
        ...(t.tls.serverName ? { serverNameOverride: t.tls.serverName } : {}),
        ...(t.tls.caFile ? { serverRootCACertificate: readFileSync(t.tls.caFile) } : {}),
        ...(t.tls.certFile && t.tls.keyFile
          ? { clientCertPair: { crt: readFileSync(t.tls.certFile), key: readFileSync(t.tls.keyFile) } }
          : {}),
      }
    : undefined;
  return {
    address: t.address,
    ...(tls ? { tls } : t.apiKey ? { tls: true } : {}),
    ...(t.apiKey ? { apiKey: t.apiKey } : {}),
  };
}

/** What a batch thread needs: where to connect, and the settings that shape its output. */
export function batchThreadData(config: Config): BatchThreadData {
  const settings = {
    bufferBytes: Math.round(config.export.bufferMB * MB),
    prefetchBytes: Math.round(config.export.prefetchMB * MB),
    fetchConcurrency: config.export.fetchConcurrency,
    maxSessionBytes: Math.round(config.export.maxSessionMB * MB),
    privacy: privacySettings(config),
    threadHeapMB: threadHeapMB(config),
    maxLineBytes: Math.floor((threadHeapMB(config) * MB) / 10),
  };
  return {
    connections: { clickhouse: config.clickhouse, source: config.source, lake: config.lake },
    settings,
    // Everything that decides the bytes of a file goes into its name: formats, this version, the flush size, the
    // size limit. Two exports that differ in any of them never write the same name.
    configDigest: fingerprint(
      [
        packageJson.version,
        MANIFEST_FORMAT,
        BATCH_FORMAT,
        CHECKPOINT_FORMAT,
        settings.bufferBytes,
        settings.maxSessionBytes,
        privacyFingerprint(settings.privacy),
      ],
      12,
    ),
  };
}

export interface WorkerRuntime {
  worker: Worker;
  deps: ActivityDeps;
  connections: Connections;
  /** Where the workflow code came from: a bundle prebuilt by `npm pack`, or webpack at start-up. */
  workflows: 'prebuilt' | 'webpack';
  /** Stops polling, lets running activities finish, then closes every connection. */
  close(): Promise<void>;
}

export async function createWorkerRuntime(
  config: Config,
  opts: {
    connection?: NativeConnection;
    taskQueue?: string;
    /** Runs before anything polls (start-up checks); a failure closes every connection and is rethrown. */
    check?: (connections: Connections) => Promise<void>;
  } = {},
): Promise<WorkerRuntime> {
  const connections = openConnections({ clickhouse: config.clickhouse, source: config.source, lake: config.lake });
  if (opts.check) {
    try {
      await opts.check(connections);
    } catch (err) {
      await connections.close();
      throw err;
    }
  }
  const threadData = batchThreadData(config);
  const batches = new BatchPool(config.worker.decodeThreads, threadData);
  const deps: ActivityDeps = {
    clickhouse: connections.clickhouse,
    lake: connections.lake,
    schema: connections.schema,
    batches,
    commit: {
      configDigest: threadData.configDigest,
      orphanGraceMs: config.lake.orphanGraceHours * 3_600_000,
      keepVersions: config.lake.keepVersions,
      privacy: threadData.settings.privacy,
    },
  };
  let ownConnection: NativeConnection | undefined;
  let worker: Worker;
  const workflows = workflowCode();
  try {
    ownConnection = opts.connection
      ? undefined
      : await NativeConnection.connect(temporalConnectionOptions(config.temporal)).catch((err: unknown) => {
          throw temporalUnreachable(config.temporal, err);
        });
    const connection = opts.connection ?? ownConnection;
    if (!connection) throw new Error('no Temporal connection');
    worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
      ...workflows.options,
      activities: createActivities(deps),
      maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
      shutdownGraceTime: '30 seconds',
    });
  } catch (err) {
    // The batch threads and sockets would keep the process alive: a worker that cannot start must exit (and be
    // restarted by its supervisor), not hang.
    await batches.close();
    await connections.close();
    await ownConnection?.close();
    throw err;
  }
  return {
    worker,
    deps,
    connections,
    workflows: workflows.source,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await batches.close();
      await connections.close();
      await ownConnection?.close();
    },
  };
}
