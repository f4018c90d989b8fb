/**
 * The customer's lake behind one small interface: any S3 API (AWS, MinIO, R2, GCS interop) or a local directory.
 * Keys are relative, '/'-separated paths. Every object appears whole or not at all, `create` is the one atomic
 * compare-and-set a commit needs (S3 `If-None-Match: *`, a hard link locally), and every error arrives classified
 * (activities/failures.ts) so a full disk is retried while a read-only path fails the run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough } from 'node:stream';
import { atStore } from './failures';

export interface LakeObject {
  readonly key: string;
  readonly size: number;
  /** Last modification, epoch ms. */
  readonly modifiedMs: number;
}

/** An object written in pieces, in order, without holding it whole. Nothing is visible until `close()` resolves. */
export interface ObjectWriter {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

export interface LakeStore {
  /** Human-readable location of a key, for messages and manifests. */
  uri(key: string): string;
  put(key: string, body: Uint8Array): Promise<void>;
  /** Writes the object only if the key is free; false when an object already has it. */
  create(key: string, body: Uint8Array): Promise<boolean>;
  get(key: string): Promise<Buffer | undefined>;
  /** The object's bytes in chunks, for objects too large to hold; undefined when it does not exist. */
  read(key: string): Promise<AsyncIterable<Uint8Array> | undefined>;
  list(prefix: string): Promise<LakeObject[]>;
  delete(keys: readonly string[]): Promise<void>;
  openWriter(key: string): Promise<ObjectWriter>;
  /**
   * Removes what crashed writers left under `prefixes`: S3 multipart uploads started more than `olderThanMs` ago;
   * local temporary files (which belong to no prefix) of processes that are gone, or older than both `olderThanMs`
   * and an hour. Returns how many it removed.
   */
  sweep(prefixes: readonly string[], olderThanMs: number): Promise<number>;
  close(): void;
}

export function sha256(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** SHA-256 and size of a stored object, read in chunks. */
export async function digestObject(
  store: LakeStore,
  key: string,
): Promise<{ sha256: string; bytes: number } | undefined> {
  const chunks = await store.read(key);
  if (!chunks) return undefined;
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of chunks) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Where a local lake keeps half-written files: outside every table, so no reader or listing of a table sees them. */
const LOCAL_TMP = '_tmp';
/**
 * A local temporary file belongs to no prefix, so a sweep cannot tell whose it is: it removes one whose writer is
 * gone (same host, dead pid) at once, and any other only past this age, which no write in progress reaches — so one
 * export's commit never deletes a file another export is still writing into the same lake.
 */
const LOCAL_LIVE_WRITE_MS = 3_600_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class LocalLakeStore implements LakeStore {
  private readonly host = hostname().replace(/[^A-Za-z0-9_-]/g, '_');

  constructor(readonly root: string) {}

  private path(key: string): string {
    const p = join(this.root, ...key.split('/'));
    const rel = relative(this.root, p);
    if (rel.startsWith('..')) throw new Error(`lake key escapes the lake root: ${key}`);
    return p;
  }

  /** `_tmp/{host}~{pid}~{random}`: the host and pid tell a sweep whether the writer is still alive. */
  private async tmpPath(): Promise<string> {
    const dir = join(this.root, LOCAL_TMP);
    await mkdir(dir, { recursive: true });
    return join(dir, `${this.host}~${process.pid}~${randomBytes(6).toString('hex')}`);
  }

  /**
   * Where `key` lives, its directory made, and a temporary name to write it under first: every write goes aside and
   * then into place, so readers see the old file or the new one, never half of one.
   */
  private async aside(key: string): Promise<{ path: string; tmp: string }> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    return { path, tmp: await this.tmpPath() };
  }

  uri(key: string): string {
    return `file://${this.path(key)}`;
  }

  put(key: string, body: Uint8Array): Promise<void> {
    return atStore(
      'lake',
      async () => {
        const { path, tmp } = await this.aside(key);
        try {
          await writeFile(tmp, body);
          await rename(tmp, path);
        } catch (err) {
          await rm(tmp, { force: true });
          throw err;
        }
      },
      { what: key },
    );
  }

  create(key: string, body: Uint8Array): Promise<boolean> {
    return atStore(
      'lake',
      async () => {
        const { path, tmp } = await this.aside(key);
        await writeFile(tmp, body);
        try {
          // link() fails with EEXIST when the name is taken: the local equivalent of If-None-Match: *.
          await link(tmp, path);
          return true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
          throw err;
        } finally {
          await unlink(tmp).catch(() => undefined);
        }
      },
      { what: key },
    );
  }

  get(key: string): Promise<Buffer | undefined> {
    return atStore(
      'lake',
      async () => {
        try {
          return await readFile(this.path(key));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw err;
        }
      },
      { what: key },
    );
  }

  read(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    return atStore(
      'lake',
      async () => {
        const path = this.path(key);
        try {
          await stat(path);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw err;
        }
        return createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>;
      },
      { what: key },
    );
  }

  list(prefix: string): Promise<LakeObject[]> {
    return atStore(
      'lake',
      async () => {
        const out: LakeObject[] = [];
        const base = prefix.includes('/') ? this.path(prefix.slice(0, prefix.lastIndexOf('/'))) : this.root;
        const walk = async (dir: string): Promise<void> => {
          let entries;
          try {
            entries = await readdir(dir, { withFileTypes: true });
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
              return;
            throw err;
          }
          for (const e of entries) {
            const full = join(dir, e.name);
            const key = relative(this.root, full).split(sep).join('/');
            if (e.isDirectory()) {
              if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(full);
            } else if (e.isFile() && key.startsWith(prefix)) {
              const s = await stat(full);
              out.push({ key, size: s.size, modifiedMs: s.mtimeMs });
            }
          }
        };
        await walk(base);
        return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      },
      { what: prefix },
    );
  }

  delete(keys: readonly string[]): Promise<void> {
    return atStore('lake', async () => {
      for (const key of keys) await rm(this.path(key), { force: true });
    });
  }

  openWriter(key: string): Promise<ObjectWriter> {
    return atStore(
      'lake',
      async () => {
        const { path, tmp } = await this.aside(key);
        const stream = createWriteStream(tmp);
        const failed = new Promise<never>((_, reject) => stream.once('error', reject));
        failed.catch(() => undefined);
        return {
          write: (chunk) =>
            atStore('lake', () =>
              Promise.race([
                failed,
                new Promise<void>((resolve, reject) => stream.write(chunk, (err) => (err ? reject(err) : resolve()))),
              ]),
            ),
          close: () =>
            atStore('lake', async () => {
              await Promise.race([failed, new Promise<void>((resolve) => stream.end(resolve))]);
              await rename(tmp, path);
            }),
          abort: async () => {
            stream.destroy();
            await rm(tmp, { force: true });
          },
        };
      },
      { what: key },
    );
  }

  sweep(_prefixes: readonly string[], olderThanMs: number): Promise<number> {
    return atStore('lake', async () => {
      // Temporary files are not under any prefix; one pass covers a sweep of anything (see LOCAL_LIVE_WRITE_MS).
      const maxAge = Math.max(olderThanMs, LOCAL_LIVE_WRITE_MS);
      let removed = 0;
      const dir = join(this.root, LOCAL_TMP);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw err;
      }
      for (const name of names) {
        const [host, pid] = name.split('~');
        const full = join(dir, name);
        const dead = host === this.host && Number(pid) !== process.pid && !isAlive(Number(pid));
        const old = Date.now() - (await stat(full).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs > maxAge;
        if (dead || old) {
          await rm(full, { force: true });
          removed++;
        }
      }
      return removed;
    });
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

  put(key: string, body: Uint8Array): Promise<void> {
    return atStore(
      'lake',
      async () => {
        await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.full(key), Body: body }));
      },
      { what: this.uri(key) },
    );
  }

  create(key: string, body: Uint8Array): Promise<boolean> {
    return atStore(
      'lake',
      async () => {
        try {
          await this.s3.send(
            new PutObjectCommand({ Bucket: this.bucket, Key: this.full(key), Body: body, IfNoneMatch: '*' }),
          );
          return true;
        } catch (err) {
          const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          // 412: the key exists. 409: another conditional write to it is in flight; it will win or fail on its own.
          if (status === 412 || status === 409) return false;
          throw err;
        }
      },
      { what: this.uri(key) },
    );
  }

  get(key: string): Promise<Buffer | undefined> {
    return atStore(
      'lake',
      async () => {
        try {
          const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
          return res.Body ? Buffer.from(await res.Body.transformToByteArray()) : Buffer.alloc(0);
        } catch (err) {
          if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
          throw err;
        }
      },
      { what: this.uri(key) },
    );
  }

  read(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    return atStore(
      'lake',
      async () => {
        try {
          const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.full(key) }));
          return (res.Body as AsyncIterable<Uint8Array> | undefined) ?? (async function* () {})();
        } catch (err) {
          if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
          throw err;
        }
      },
      { what: this.uri(key) },
    );
  }

  list(prefix: string): Promise<LakeObject[]> {
    return atStore(
      'lake',
      async () => {
        const out: LakeObject[] = [];
        let token: string | undefined;
        const strip = this.prefix ? this.prefix.length + 1 : 0;
        do {
          const page = await this.s3.send(
            new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.full(prefix), ContinuationToken: token }),
          );
          for (const o of page.Contents ?? []) {
            if (o.Key)
              out.push({ key: o.Key.slice(strip), size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() ?? 0 });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      },
      { what: this.uri(prefix) },
    );
  }

  delete(keys: readonly string[]): Promise<void> {
    return atStore('lake', async () => {
      for (let i = 0; i < keys.length; i += 1000) {
        const chunk = keys.slice(i, i + 1000);
        if (chunk.length === 0) continue;
        const res = await this.s3.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: chunk.map((k) => ({ Key: this.full(k) })), Quiet: true },
          }),
        );
        const failed = res.Errors?.[0];
        if (failed)
          throw Object.assign(new Error(`cannot delete ${failed.Key}: ${failed.Message}`), { name: failed.Code });
      }
    });
  }

  openWriter(key: string): Promise<ObjectWriter> {
    return atStore(
      'lake',
      () => {
        const body = new PassThrough();
        // lib-storage uploads 8 MiB parts as they fill and aborts the multipart upload itself when a part fails.
        const upload = new Upload({
          client: this.s3,
          params: { Bucket: this.bucket, Key: this.full(key), Body: body },
          partSize: 8 * 1024 * 1024,
          queueSize: 2,
        });
        const done = upload.done();
        done.catch(() => undefined);
        return Promise.resolve({
          write: (chunk) =>
            atStore('lake', () =>
              Promise.race([
                done.then(() => undefined),
                new Promise<void>((resolve) => (body.write(chunk) ? resolve() : body.once('drain', resolve))),
              ]),
            ),
          close: () =>
            atStore('lake', async () => {
              body.end();
              await done;
            }),
          abort: async () => {
            await upload.abort().catch(() => undefined);
            body.destroy();
          },
        });
      },
      { what: this.uri(key) },
    );
  }

  sweep(prefixes: readonly string[], olderThanMs: number): Promise<number> {
    return atStore('lake', async () => {
      let removed = 0;
      for (const prefix of prefixes) removed += await this.abortUploads(prefix, olderThanMs);
      return removed;
    });
  }

  private async abortUploads(prefix: string, olderThanMs: number): Promise<number> {
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadMarker: string | undefined;
    do {
      const page = await this.s3.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: this.full(prefix),
          KeyMarker: keyMarker,
          UploadIdMarker: uploadMarker,
        }),
      );
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId) continue;
        if (Date.now() - (u.Initiated?.getTime() ?? 0) <= olderThanMs) continue;
        await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }));
        removed++;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return removed;
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
