/**
 * Builds a worker from a parsed Config: connections to ClickHouse, the source object store and the lake, the decode
 * thread pool, and the Temporal worker that runs workflows and activities. Used by `replaylake worker` and by the
 * demo, which runs one in-process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { createActivities } from '../activities';
import type { ActivityDeps } from '../activities';
import { openClickHouse, tableExists } from '../activities/clickhouse';
import { DecodePool } from '../activities/decode-pool';
import { openLakeStore } from '../activities/lake-store';
import type { Config, S3Endpoint } from './config';

export function s3ClientConfig(e: S3Endpoint): S3ClientConfig {
  return {
    region: e.region,
    forcePathStyle: e.forcePathStyle,
    ...(e.endpoint ? { endpoint: e.endpoint } : {}),
    ...(e.accessKeyId && e.secretAccessKey
      ? {
          credentials: {
            accessKeyId: e.accessKeyId,
            secretAccessKey: e.secretAccessKey,
            ...(e.sessionToken ? { sessionToken: e.sessionToken } : {}),
          },
        }
      : {}),
  };
}

/** Connection options for any Temporal: the dev server, a self-hosted cluster (mTLS) or Temporal Cloud (API key). */
export function temporalConnectionOptions(t: Config['temporal']): {
  address: string;
  tls?: boolean | TLSConfig;
  apiKey?: string;
} {
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

export interface WorkerRuntime {
  worker: Worker;
  deps: ActivityDeps;
  /** Stops polling, lets running activities finish, then closes every connection. */
  close(): Promise<void>;
}

export async function createWorkerRuntime(
  config: Config,
  opts: { connection?: NativeConnection; taskQueue?: string } = {},
): Promise<WorkerRuntime> {
  const clickhouse = openClickHouse(config.clickhouse);
  const sourceS3 = new S3Client(s3ClientConfig(config.source.s3));
  const v1S3 = config.source.v1.s3 ? new S3Client(s3ClientConfig(config.source.v1.s3)) : sourceS3;
  const lake = openLakeStore(config.lake.uri, config.lake.s3 ? s3ClientConfig(config.lake.s3) : undefined);
  const pool = new DecodePool(config.worker.decodeThreads);
  let legacy: Promise<boolean> | undefined;
  const deps: ActivityDeps = {
    clickhouse,
    sourceS3,
    v1S3,
    v1Bucket: config.source.v1.bucket,
    v1Prefix: config.source.v1.prefix,
    lake,
    pool,
    database: config.clickhouse.database,
    decodeConcurrency: config.worker.decodeThreads,
    // Installs that never had the legacy table (or dropped it) simply have no legacy sessions.
    withLegacy: () => (legacy ??= tableExists(clickhouse, config.clickhouse.database, 'session_recording_events')),
  };
  const ownConnection = opts.connection
    ? undefined
    : await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  const connection = opts.connection ?? ownConnection;
  if (!connection) throw new Error('no Temporal connection');
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
    workflowsPath: join(__dirname, '..', 'workflows', 'index.ts'),
    activities: createActivities(deps),
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    shutdownGraceTime: '30 seconds',
  });
  return {
    worker,
    deps,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await pool.close();
      await clickhouse.close();
      sourceS3.destroy();
      if (v1S3 !== sourceS3) v1S3.destroy();
      lake.close();
      await ownConnection?.close();
    },
  };
}
