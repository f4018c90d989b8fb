/**
 * A real Temporal dev server plus one replaylake worker for a test file, wired to a ClickHouse (the file's chDB
 * server), a MinIO source bucket and a lake. A Worker runs once, so it runs for the whole file and stops in `close()`.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Config } from '../../worker/config';
import { ConfigSchema } from '../../worker/config';
import { createWorkerRuntime } from '../../worker/runtime';
import type { WorkerRuntime } from '../../worker/runtime';
import { stack, temporalBinary } from './stack';

export interface ExportEnv {
  env: TestWorkflowEnvironment;
  runtime: WorkerRuntime;
  config: Config;
  taskQueue: string;
  close(): Promise<void>;
}

export function stackMinio() {
  const st = stack();
  return {
    endpoint: st.minio.endpoint,
    region: st.minio.region,
    forcePathStyle: true,
    accessKeyId: st.minio.accessKey,
    secretAccessKey: st.minio.secretKey,
  };
}

export async function startExportEnv(opts: {
  clickhouse: { url: string; username: string; password: string };
  sourceBucket: string;
  lakeUri: string;
  taskQueue: string;
  /** A fixed frontend port, for tests that point a separate CLI process at this server. */
  port?: number;
  /** Settings of the config file's `export` and `worker` sections. */
  export?: Record<string, unknown>;
  worker?: Record<string, unknown>;
  privacy?: Record<string, unknown>;
}): Promise<ExportEnv> {
  const minio = stackMinio();
  const config = ConfigSchema.parse({
    temporal: { taskQueue: opts.taskQueue },
    clickhouse: { url: opts.clickhouse.url, username: opts.clickhouse.username, password: opts.clickhouse.password },
    source: { s3: minio, v1: { s3: minio, bucket: opts.sourceBucket, prefix: 'session_recordings' } },
    lake: { uri: opts.lakeUri, s3: minio },
    ...(opts.export ? { export: opts.export } : {}),
    ...(opts.worker ? { worker: opts.worker } : {}),
    ...(opts.privacy ? { privacy: opts.privacy } : {}),
  });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinary() },
      ip: '127.0.0.1',
      ...(opts.port ? { port: opts.port } : {}),
    },
  });
  const runtime = await createWorkerRuntime(config, { connection: env.nativeConnection, taskQueue: opts.taskQueue });
  const running = runtime.worker.run();
  return {
    env,
    runtime,
    config,
    taskQueue: opts.taskQueue,
    async close() {
      runtime.worker.shutdown();
      await running;
      await runtime.close();
      await env.teardown();
    },
  };
}
