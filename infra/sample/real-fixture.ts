/**
 * Real posthog-js output (test/fixtures/real-posthog-js) written into PostHog storage the way the v2 ingester
 * would have: each `$snapshot` event is one Kafka message, messages are flushed every 10 s into one batch file of
 * raw-snappy blocks (one per session per flush), and each block gets its metadata row through the Kafka table.
 */
import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import { compressSync } from 'snappy';
import { metadataRow } from './generate';
import { batchFileKey, blockUrl, computeBlockMetrics, retentionDays, toIngestedEvent } from './posthog-block-metrics';
import type { BlockEvent } from './posthog-block-metrics';

interface SnapshotMessage {
  uuid: string;
  timestamp: string;
  properties: {
    $session_id: string;
    $window_id: string;
    $lib?: string;
    distinct_id: string;
    $snapshot_data: Array<BlockEvent['event']>;
  };
}

export interface RealFixtureTargets {
  s3: S3Client;
  bucket: string;
  clickhouse: ClickHouseClient;
  teamId: number;
}

const FLUSH_MS = 10_000;

export async function loadRealFixture(
  targets: RealFixtureTargets,
  snapshotsPath: string,
): Promise<{ sessions: string[]; batchFiles: number }> {
  const messages = readFileSync(snapshotsPath, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SnapshotMessage)
    .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  const flushes = new Map<number, SnapshotMessage[]>();
  for (const m of messages) {
    const f = Math.floor(Date.parse(m.timestamp) / FLUSH_MS);
    flushes.set(f, [...(flushes.get(f) ?? []), m]);
  }
  let batchFiles = 0;
  for (const [f, batch] of [...flushes.entries()].sort(([a], [b]) => a - b)) {
    const flushAt = (f + 1) * FLUSH_MS;
    // A deterministic stand-in for the ingester's random suffix.
    const key = batchFileKey('session_recordings', '30d', flushAt, f.toString(16).padStart(16, '0').slice(-16));
    const parts: Buffer[] = [];
    let offset = 0;
    const rows: ReturnType<typeof metadataRow>[] = [];
    const bySession = new Map<string, SnapshotMessage[]>();
    for (const m of batch)
      bySession.set(m.properties.$session_id, [...(bySession.get(m.properties.$session_id) ?? []), m]);
    for (const [sessionId, msgs] of bySession) {
      const events: BlockEvent[] = msgs.flatMap((m) =>
        m.properties.$snapshot_data.flatMap((e) => {
          const ingested = toIngestedEvent(e);
          return ingested ? [{ windowId: m.properties.$window_id, event: ingested }] : [];
        }),
      );
      const block = compressSync(
        Buffer.from(events.map((e) => `${JSON.stringify([e.windowId, e.event])}\n`).join(''), 'utf8'),
      );
      const start = offset;
      parts.push(block);
      offset += block.length;
      const m = computeBlockMetrics(events, { consoleLogIngestionEnabled: true, messageCount: msgs.length });
      rows.push(
        metadataRow(
          {
            sessionId,
            teamId: targets.teamId,
            distinctId: msgs[0]?.properties.distinct_id ?? '',
            snapshotSource: 'web',
            snapshotLibrary: msgs[0]?.properties.$lib ?? 'web',
            retentionPeriodDays: retentionDays('30d'),
          },
          m,
          blockUrl(targets.bucket, key, start, offset - 1),
          flushAt + 2_000,
        ),
      );
    }
    await targets.s3.send(new PutObjectCommand({ Bucket: targets.bucket, Key: key, Body: Buffer.concat(parts) }));
    await targets.clickhouse.insert({ table: 'kafka_session_replay_events', values: rows, format: 'JSONEachRow' });
    batchFiles++;
  }
  return { sessions: [...new Set(messages.map((m) => m.properties.$session_id))], batchFiles };
}
