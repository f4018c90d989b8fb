/**
 * What tests need from the real local stack. Tests never start their own MinIO; they read the stack's state file and
 * fail with the command to run when it is missing. chDB is per test file (one process per data directory).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import { applyPostHogSchema, openChdbClient } from '../../infra/clickhouse/posthog-schema';
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

/** A new chDB data directory holding PostHog's schema, private to this test file. */
export async function freshClickHouse(): Promise<{ client: ClickHouseClient; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'replaylake-chdb-'));
  const client = openChdbClient(dataDir);
  await applyPostHogSchema(client, 'default', { legacyRecordingTtlWeeks: null });
  return { client, dataDir };
}
