/**
 * A MinIO of the test's own (the same binary the stack runs, on its own port and data directory), for tests that stop
 * the store: stopping the stack's MinIO would break every other test file running beside them.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { MINIO, locateBinary } from '../../infra/binaries';
import { freePort } from './temporal';

export interface PrivateMinio {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  client(): S3Client;
  createBucket(name: string): Promise<void>;
  /** Stops the server (SIGTERM) and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
}

export async function startPrivateMinio(): Promise<PrivateMinio> {
  const binary = locateBinary(MINIO);
  if (!binary) throw new Error('no minio binary: run npm run stack:up once (it builds MinIO)');
  const [port, consolePort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'replaylake-minio-'));
  const accessKeyId = `test-${randomBytes(4).toString('hex')}`;
  const secretAccessKey = randomBytes(18).toString('base64url');
  const endpoint = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(
      binary,
      ['server', '--quiet', '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, dataDir],
      {
        env: {
          ...process.env,
          MINIO_ROOT_USER: accessKeyId,
          MINIO_ROOT_PASSWORD: secretAccessKey,
          MINIO_BROWSER: 'off',
        },
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(`${endpoint}/minio/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`MinIO on ${endpoint} was not ready within 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await start();
  const client = () =>
    new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId, secretAccessKey },
    });
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    client,
    async createBucket(name) {
      const s3 = client();
      try {
        await s3.send(new CreateBucketCommand({ Bucket: name }));
      } finally {
        s3.destroy();
      }
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await gone;
    },
    start,
  };
}
