/**
 * The customer's lake behind one small interface: any S3 API (AWS, MinIO, R2, GCS interop) or a local directory.
 * Keys are always relative, '/'-separated paths; both stores write a whole object or nothing.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';

export interface LakeObject {
  readonly key: string;
  readonly size: number;
}

export interface LakeStore {
  /** Human-readable location of a key, for messages and manifests. */
  uri(key: string): string;
  put(key: string, body: Uint8Array): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  list(prefix: string): Promise<LakeObject[]>;
  delete(keys: readonly string[]): Promise<void>;
  close(): void;
}

export function sha256(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Keys come partly from data (session ids); anything outside a conservative set becomes '_'. */
export function safeKeySegment(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return cleaned.length === 0 ? '_' : cleaned.slice(0, 200);
}

export class LocalLakeStore implements LakeStore {
  constructor(readonly root: string) {}

  private path(key: string): string {
    const p = join(this.root, ...key.split('/'));
    if (relative(this.root, p).startsWith('..')) throw new Error(`lake key escapes the lake root: ${key}`);
    return p;
  }

  uri(key: string): string {
    return `file://${this.path(key)}`;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    // Write beside the target and rename: readers see the old file or the new one, never half of one.
    const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    await writeFile(tmp, body);
    await rename(tmp, path);
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<LakeObject[]> {
    const out: LakeObject[] = [];
    const base = this.path(prefix.replace(/\/$/, '') || '.');
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile() && !e.name.includes('.tmp-')) {
          out.push({ key: relative(this.root, full).split(sep).join('/'), size: (await stat(full)).size });
        }
      }
    };
    await walk(base);
    return out.filter((o) => o.key.startsWith(prefix)).sort((a, b) => a.key.localeCompare(b.key));
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) await rm(this.path(key), { force: true });
  }

  close(): void {}
}

export class S3LakeStore implements LakeStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly prefix: string,
  ) {}

  private full(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.full(key)}`;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.full(key), Body: body }));
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
      return res.Body ? Buffer.from(await res.Body.transformToByteArray()) : Buffer.alloc(0);
    } catch (err) {
      if (err instanceof NoSuchKey) return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<LakeObject[]> {
    const out: LakeObject[] = [];
    let token: string | undefined;
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.full(prefix), ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key.slice(strip), size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      if (chunk.length === 0) continue;
      await this.s3.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: chunk.map((k) => ({ Key: this.full(k) })), Quiet: true },
        }),
      );
    }
  }

  close(): void {
    this.s3.destroy();
  }
}

/** `file:///abs/dir` or `s3://bucket/prefix`; S3 connection settings come separately from config. */
export function openLakeStore(uri: string, s3Config: S3ClientConfig | undefined): LakeStore {
  if (uri.startsWith('file://')) return new LocalLakeStore(fileURLToPath(uri));
  if (uri.startsWith('s3://')) {
    const url = new URL(uri);
    return new S3LakeStore(new S3Client(s3Config ?? {}), url.hostname, url.pathname.replace(/^\/+|\/+$/g, ''));
  }
  throw new Error(`lake URI must start with file:// or s3://, got ${JSON.stringify(uri)}`);
}
