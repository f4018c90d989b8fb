/**
 * What tests need from the real local stack. Tests never start their own MinIO; they read the stack's state file and
 * fail with the command to run when it is missing. ClickHouse is per test file: a chDB server of its own, on a fresh
 * data directory, reached over HTTP like the stack's.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { applyPostHogSchema } from '../../infra/clickhouse/posthog-schema';
import { READY_LINE, serveProcess } from '../../infra/clickhouse/serve-process';
import { TEMPORAL_CLI, locateBinary } from '../../infra/binaries';
import { s3ClientForStack } from '../../infra/stack';
import type { StackState } from '../../infra/state';
import { requireState } from '../../infra/state';

export function stack(): StackState {
  return requireState();
}

export function stackS3(): S3Client {
  return s3ClientForStack(stack());
}

export function temporalBinary(): string {
  const path = locateBinary(TEMPORAL_CLI);
  if (!path) throw new Error('no temporal binary: run npm run stack:up once (it builds the Temporal CLI)');
  return path;
}

/** A bucket of the test's own, so parallel files never see each other's objects. */
export async function freshBucket(s3: S3Client, label: string): Promise<string> {
  const bucket = `t-${label}-${process.pid}-${Date.now().toString(36)}`.toLowerCase().slice(0, 63);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

export interface TestClickHouse {
  /** An HTTP client for the server, as production code would open it. */
  client: ClickHouseClient;
  url: string;
  username: string;
  password: string;
  dataDir: string;
  /** Closes the client, stops the server and deletes its data directory. */
  close(): Promise<void>;
}

/**
 * A chDB server on a new, empty data directory and a free port, as a child process of this test file. It stops when
 * its stdin closes, which `close()` does and which the death of this test process does too, so none is left behind.
 */
export async function startClickHouse(): Promise<TestClickHouse> {
  const dataDir = mkdtempSync(join(tmpdir(), 'replaylake-chdb-'));
  const username = 'replaylake-test';
  const password = randomBytes(12).toString('base64url');
  const serve = serveProcess({ dataDir, port: 0, user: username, password, stopOnStdinEof: true });
  const child = spawn(serve.command, serve.args, { env: serve.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = READY_LINE.exec(output);
      if (ready?.[1]) resolve(ready[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`chDB server exited with ${code} before it was ready:\n${output}`)));
  });
  for (;;) {
    const pong = await fetch(`${url}/ping`)
      .then((res) => res.text())
      .catch(() => '');
    if (pong === 'Ok.\n') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const client = createClient({ url, username, password });
  return {
    client,
    url,
    username,
    password,
    dataDir,
    async close() {
      await client.close();
      child.stdin.end();
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A private chDB server holding PostHog's schema (legacy rows never expire: sample data is old). */
export async function freshClickHouse(): Promise<TestClickHouse> {
  const clickhouse = await startClickHouse();
  await applyPostHogSchema(clickhouse.client, 'default', { legacyRecordingTtlWeeks: null });
  return clickhouse;
}
