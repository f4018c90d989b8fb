/**
 * Opens what the activities talk to — PostHog's ClickHouse and blob store, and the lake — from parsed settings. The
 * worker's main thread and each batch thread open their own from the same settings; nothing here reads the
 * environment.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseSettings } from './clickhouse';
import { openClickHouse } from './clickhouse';
import type { FetchDeps } from './fetch';
import type { LakeStore } from './lake-store';
import { openLakeStore } from './lake-store';
import type { SourceSchema } from './source-schema';
import { probeSourceSchema } from './source-schema';

export interface S3Endpoint {
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

export interface ConnectionSettings {
  clickhouse: ClickHouseSettings;
  source: { s3: S3Endpoint; v1: { s3?: S3Endpoint; bucket: string; prefix: string } };
  lake: { uri: string; s3?: S3Endpoint };
}

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

export interface Connections {
  clickhouse: ClickHouseClient;
  fetch: FetchDeps;
  lake: LakeStore;
  /** What the install's ClickHouse holds, probed once. */
  schema: () => Promise<SourceSchema>;
  close(): Promise<void>;
}

export function openConnections(settings: ConnectionSettings): Connections {
  const clickhouse = openClickHouse(settings.clickhouse);
  const sourceS3 = new S3Client(s3ClientConfig(settings.source.s3));
  const v1S3 = settings.source.v1.s3 ? new S3Client(s3ClientConfig(settings.source.v1.s3)) : sourceS3;
  const lake = openLakeStore(settings.lake.uri, settings.lake.s3 ? s3ClientConfig(settings.lake.s3) : undefined);
  let schema: Promise<SourceSchema> | undefined;
  return {
    clickhouse,
    fetch: { clickhouse, sourceS3, v1S3, v1Bucket: settings.source.v1.bucket, v1Prefix: settings.source.v1.prefix },
    lake,
    schema: () => {
      // A failed probe (ClickHouse down) is forgotten, so the next attempt probes again.
      schema ??= probeSourceSchema(clickhouse, settings.clickhouse.database).catch((err: unknown) => {
        schema = undefined;
        throw err;
      });
      return schema;
    },
    async close() {
      await clickhouse.close();
      sourceS3.destroy();
      if (v1S3 !== sourceS3) v1S3.destroy();
      lake.close();
    },
  };
}
