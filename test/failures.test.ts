/**
 * Every failure the export can meet, produced by the real thing (MinIO, the local filesystem, a closed port, the
 * chDB server over HTTP), classified in the one place that decides: data (recorded, the rest exports), transient
 * (retried without limit, never recorded) or fatal (the run fails at once, naming the setting).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../activities/clickhouse';
import { StoreError, atStore, classifyStoreError, describeFailure } from '../activities/failures';
import { LocalLakeStore } from '../activities/lake-store';
import { FAILURE_TYPES } from '../common/failures';
import { ACTIVITY_RETRY } from '../workflows/export-window';
import type { TestClickHouse } from './support/stack';
import { freshBucket, startClickHouse, stack, stackS3 } from './support/stack';

describe('failure classification', () => {
  const s3 = stackS3();
  let bucket: string;
  let ch: TestClickHouse;

  beforeAll(async () => {
    bucket = await freshBucket(s3, 'failures');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'block', Body: Buffer.from('0123456789') }));
    ch = await startClickHouse();
  });

  afterAll(async () => {
    await ch?.close();
    s3.destroy();
  });

  const classify = async (
    store: Parameters<typeof atStore>[0],
    call: () => Promise<unknown>,
    dataIfMissing = false,
  ) => {
    try {
      await atStore(store, call, { dataIfMissing });
    } catch (err) {
      expect(err).toBeInstanceOf(StoreError);
      return err as StoreError;
    }
    throw new Error('the call did not fail');
  };

  it('a missing object and a range past the end are problems of the recording', async () => {
    const missing = await classify(
      'source',
      () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'nope' })),
      true,
    );
    expect([missing.kind, missing.code]).toEqual(['data', 'NoSuchKey']);
    const range = await classify(
      'source',
      () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'block', Range: 'bytes=50-60' })),
      true,
    );
    expect([range.kind, range.code]).toEqual(['data', 'InvalidRange']);
  });

  it('wrong credentials and a missing bucket are fatal and name the setting', async () => {
    const st = stack();
    const wrong = new S3Client({
      endpoint: st.minio.endpoint,
      region: st.minio.region,
      forcePathStyle: true,
      credentials: { accessKeyId: st.minio.accessKey, secretAccessKey: 'not-the-secret' },
    });
    try {
      const auth = await classify(
        'source',
        () => wrong.send(new GetObjectCommand({ Bucket: bucket, Key: 'block' })),
        true,
      );
      expect([auth.kind, auth.code, auth.name]).toEqual(['fatal', 'SignatureDoesNotMatch', 'SourceAccessError']);
      expect(auth.message).toMatch(/source\.s3\.secretAccessKey/);
      expect(auth.message).not.toContain('not-the-secret');
    } finally {
      wrong.destroy();
    }
    const noBucket = await classify(
      'sourceV1',
      () => s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket-replaylake' })),
      true,
    );
    expect([noBucket.kind, noBucket.code]).toEqual(['fatal', 'NoSuchBucket']);
    expect(noBucket.message).toMatch(/source\.v1\.bucket/);
  });

  it('an unreachable store is transient', async () => {
    const closed = new S3Client({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    try {
      const down = await classify('source', () => closed.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' })), true);
      expect([down.kind, down.name]).toEqual(['transient', 'SourceUnavailableError']);
      expect(down.message).toMatch(/unreachable \(ECONNREFUSED\)/);
    } finally {
      closed.destroy();
    }
  });

  it('a lake path that is not a directory is fatal', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'replaylake-notdir-')), 'file');
    writeFileSync(file, 'x');
    const lake = new LocalLakeStore(file);
    const err = await lake.put('a/b', Buffer.from('x')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect([(err as StoreError).kind, (err as StoreError).code, (err as StoreError).name]).toEqual([
      'fatal',
      'ENOTDIR',
      'LakeAccessError',
    ]);
    expect((err as StoreError).message).toMatch(/lake\.uri/);
  });

  it('ClickHouse: wrong password, unknown database or table are fatal; a closed port is transient', async () => {
    const wrong = createClient({ url: ch.url, username: ch.username, password: 'wrong' });
    const noDb = createClient({ url: ch.url, username: ch.username, password: ch.password, database: 'nope' });
    const closed = createClient({ url: 'http://127.0.0.1:1' });
    try {
      const cases: Array<[string, () => Promise<unknown>, string, string]> = [
        ['wrong password', () => selectRows(wrong, 'SELECT 1', {}), 'fatal', '516'],
        ['unknown database', () => selectRows(noDb, 'SELECT 1', {}), 'fatal', '81'],
        ['unknown table', () => selectRows(ch.client, 'SELECT * FROM nope', {}), 'fatal', '60'],
        ['closed port', () => selectRows(closed, 'SELECT 1', {}), 'transient', 'ECONNREFUSED'],
      ];
      for (const [what, call, kind, code] of cases) {
        const err = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, what).toBeInstanceOf(StoreError);
        expect([(err as StoreError).kind, (err as StoreError).code], what).toEqual([kind, code]);
      }
    } finally {
      await Promise.all([wrong.close(), noDb.close(), closed.close()]);
    }
  });

  it('every failure type is either retried or fatal, and the workflows retry list holds exactly the fatal ones', () => {
    expect(Object.values(FAILURE_TYPES).every((v) => v === 'fatal' || v === 'retry')).toBe(true);
    expect([...(ACTIVITY_RETRY?.nonRetryableErrorTypes ?? [])].sort()).toEqual(
      Object.entries(FAILURE_TYPES)
        .filter(([, v]) => v === 'fatal')
        .map(([k]) => k)
        .sort(),
    );
    for (const [type, v] of Object.entries(FAILURE_TYPES)) {
      const err = Object.assign(new Error('x'), { name: type });
      expect(describeFailure(err).fatal, type).toBe(v === 'fatal');
    }
    // An error nobody classified is retried (and shown while it is), never silently fatal.
    expect(describeFailure(new TypeError('boom')).fatal).toBe(false);
    expect(classifyStoreError(new Error('unexpected'), 'lake').kind).toBe('transient');
  });
});
