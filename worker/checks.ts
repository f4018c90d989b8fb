/**
 * What a worker checks before it polls: that it can reach ClickHouse and finds PostHog's tables there, that the
 * source blob store lets it read, and that the lake lets it write. A misconfigured worker then stops at once with one
 * line naming the setting, instead of polling and retrying for ever.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { hostname } from 'node:os';
import type { Connections } from '../activities/connections';
import { selectRows } from '../activities/clickhouse';
import { StoreError, atStore, classifyStoreError } from '../activities/failures';
import { parseBlockUrl } from '../activities/source/block-url';

export class StartupCheckError extends Error {
  override readonly name = 'StartupCheckError';
  constructor(
    message: string,
    /**
     * The store did not answer (unreachable, timed out, failing): a restart may well succeed, so the CLI exits 1 for
     * a supervisor to retry. A refusal (credentials, a missing database, table or bucket) exits 2: it will not.
     */
    readonly unavailable: boolean,
  ) {
    super(message);
  }
}

export interface CheckReport {
  clickhouse: string;
  source: string;
  lake: string;
}

const CHECK_TIMEOUT_MS = 15_000;

/**
 * Runs one check with a deadline. Calls that take the signal stop at it; the race bounds the ones that do not (the
 * memoised schema probe, the lake's put/get/delete), so the deadline holds for every step.
 */
async function within<T>(what: string, setting: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), CHECK_TIMEOUT_MS);
  const deadline = new Promise<never>((_, reject) =>
    controller.signal.addEventListener('abort', () => reject(new Error('deadline')), { once: true }),
  );
  try {
    return await Promise.race([fn(controller.signal), deadline]);
  } catch (err) {
    if (controller.signal.aborted)
      throw new StartupCheckError(`${what} did not answer within ${CHECK_TIMEOUT_MS / 1000} s; check ${setting}`, true);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function fail(what: string, setting: string, err: unknown): never {
  if (err instanceof StartupCheckError) throw err;
  const message = err instanceof Error ? err.message : String(err);
  throw new StartupCheckError(
    `cannot start: ${what}: ${message}${message.includes('; check ') ? '' : `; check ${setting}`}`,
    err instanceof StoreError && err.kind === 'transient',
  );
}

export async function checkConnections(
  c: Connections,
  where: { clickhouseUrl: string; database: string; lakeUri: string; sourceEndpoint: string },
): Promise<CheckReport> {
  const report: CheckReport = { clickhouse: '', source: '', lake: '' };

  let sampleBlock: string | undefined;
  try {
    await within('ClickHouse', 'clickhouse.url (REPLAYLAKE_CLICKHOUSE_URL)', async (signal) => {
      const schema = await c.schema();
      report.clickhouse = `${where.clickhouseUrl} database ${where.database}: ${[
        schema.replay ? 'session_replay_events' : '',
        schema.legacy ? 'session_recording_events' : '',
      ]
        .filter(Boolean)
        .join(' and ')}`;
      if (schema.blocks) {
        const rows = await selectRows<{ url: string }>(
          c.clickhouse,
          `SELECT arrayJoin(block_urls) AS url FROM session_replay_events WHERE notEmpty(block_urls) LIMIT 1`,
          {},
          { signal, what: 'a sample block URL' },
        );
        sampleBlock = rows[0]?.url;
      }
    });
  } catch (err) {
    fail(`ClickHouse at ${where.clickhouseUrl}`, 'clickhouse.url (REPLAYLAKE_CLICKHOUSE_URL)', err);
  }

  try {
    await within('the PostHog blob store', 'source.s3.endpoint (REPLAYLAKE_SOURCE_S3_ENDPOINT)', async (signal) => {
      if (sampleBlock) {
        // Reading one byte of a real block proves endpoint, credentials and bucket at once.
        const ref = parseBlockUrl(sampleBlock);
        await atStore(
          'source',
          () =>
            c.fetch.sourceS3.send(
              new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, Range: `bytes=${ref.start}-${ref.start}` }),
              { abortSignal: signal },
            ),
          { what: `s3://${ref.bucket}/${ref.key}` },
        ).catch((err: unknown) => {
          // A block that lifecycle rules removed is the recording's problem, not the configuration's.
          if (!(err instanceof StoreError && (err.code === 'NoSuchKey' || err.code === 'InvalidRange'))) throw err;
        });
        report.source = `${where.sourceEndpoint} (read s3://${ref.bucket}/${ref.key})`;
      } else {
        await atStore('sourceV1', () =>
          c.fetch.v1S3.send(new ListObjectsV2Command({ Bucket: c.fetch.v1Bucket, MaxKeys: 1 }), {
            abortSignal: signal,
          }),
        );
        report.source = `${where.sourceEndpoint} (listed bucket ${c.fetch.v1Bucket})`;
      }
    });
  } catch (err) {
    fail('the PostHog blob store', 'source.s3.endpoint (REPLAYLAKE_SOURCE_S3_ENDPOINT)', err);
  }

  try {
    await within('the lake', 'lake.uri (REPLAYLAKE_LAKE_URI)', async () => {
      const key = `_probe/${hostname()}-${process.pid}`;
      await c.lake.put(key, Buffer.from('replaylake worker start-up check\n'));
      const back = await c.lake.get(key);
      await c.lake.delete([key]);
      if (!back) throw new Error(`wrote ${c.lake.uri(key)} but could not read it back`);
      report.lake = `${where.lakeUri} (writable)`;
    });
  } catch (err) {
    fail(
      `the lake at ${where.lakeUri}`,
      'lake.uri (REPLAYLAKE_LAKE_URI)',
      err instanceof StoreError ? err : classifyStoreError(err, 'lake'),
    );
  }
  return report;
}
