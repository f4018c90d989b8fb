/**
 * The raw-blob stage: one `.jsonl.zst` per session, each line `[windowId, event]` in timestamp order with posthog-js's
 * `cv` compression undone, so a stock rrweb player replays it.
 *
 * Lines are built from the stored text, not re-serialised: a blob-v2 line without `cv` is copied as it is, and a `cv`
 * event keeps its small envelope while each decompressed payload is spliced in as bytes — the payloads (DOM
 * snapshots, mutations) are never parsed. The blob is compressed in zstd frames: a session that fits in the batch's
 * buffer is one frame written at once; a longer one leaves a frame in staging at each batch checkpoint (so a retry
 * continues inside it) and the frames are joined into the blob at the end. A file of several frames is still one
 * valid zstd stream (`zstd -d`, DuckDB and fzstd read it as one).
 */
import { createHash } from 'node:crypto';
import type { DecodedEvent } from './decode';
import type { LakeStore } from './lake-store';
import type { FAILURE_TYPES } from '../common/failures';
import { inflateCvPayload, isCompressed, mapCompressedFields } from './source/snapshot-events';
import { initZstd, zstdFrame } from './zstd';

const NEWLINE = Buffer.from('\n');

/** A placeholder string that JSON.stringify renders as `"\u0000cvN\u0000"`, which no real field value can be. */
const marker = (i: number) => `\u0000cv${i}\u0000`;
const MARKER_TEXT = /"\\u0000cv(\d+)\\u0000"/g;

/**
 * The event's raw-blob line, without its newline. Throws CvDecodeError when a compressed payload does not inflate
 * to JSON; an unknown compression version is kept as recorded (PostHog's player does the same).
 */
export function rawLine(e: DecodedEvent): Buffer {
  const { event } = e;
  if (!isCompressed(event)) return e.line ?? Buffer.from(JSON.stringify([e.windowId, event]));
  const payloads: Buffer[] = [];
  const out = mapCompressedFields(event, (value) => {
    payloads.push(inflateCvPayload(value, event.timestamp));
    return marker(payloads.length - 1);
  });
  const envelope = JSON.stringify([e.windowId, out]);
  if (payloads.length === 0) return Buffer.from(envelope);
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of envelope.matchAll(MARKER_TEXT)) {
    parts.push(Buffer.from(envelope.slice(last, m.index)), payloads[Number(m[1])]!);
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(envelope.slice(last)));
  return Buffer.concat(parts);
}

export interface RawChunk {
  key: string;
  bytes: number;
}

export interface WrittenBlob {
  key: string;
  bytes: number;
  sha256: string;
}

export class MissingStagingError extends Error {
  override readonly name = 'MissingStagingError' satisfies keyof typeof FAILURE_TYPES;
}

/** One session's blob while it is being written: lines in memory since the last frame, frames in staging. */
export class RawBlobBuilder {
  private lines: Buffer[] = [];
  /** Bytes of lines (with newlines) not yet compressed: counted against the batch's buffer. */
  pendingBytes = 0;

  constructor(readonly chunks: RawChunk[] = []) {}

  append(line: Buffer): void {
    this.lines.push(line, NEWLINE);
    this.pendingBytes += line.length + 1;
  }

  private async frame(): Promise<Buffer> {
    await initZstd();
    const frame = Buffer.from(zstdFrame(Buffer.concat(this.lines, this.pendingBytes)));
    this.lines = [];
    this.pendingBytes = 0;
    return frame;
  }

  /** Writes what is pending as one frame under `key` in staging (a batch checkpoint inside the session). */
  async checkpoint(lake: LakeStore, key: string): Promise<void> {
    if (this.pendingBytes === 0) return;
    const frame = await this.frame();
    await lake.put(key, frame);
    this.chunks.push({ key, bytes: frame.length });
  }

  /** Writes the finished blob under `key`; null when the session had no line at all. */
  async finish(lake: LakeStore, key: string): Promise<WrittenBlob | null> {
    if (this.chunks.length === 0) {
      if (this.pendingBytes === 0) return null;
      const frame = await this.frame();
      await lake.put(key, frame);
      return { key, bytes: frame.length, sha256: createHash('sha256').update(frame).digest('hex') };
    }
    const last = this.pendingBytes > 0 ? await this.frame() : undefined;
    const writer = await lake.openWriter(key);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for (const chunk of this.chunks) {
        const data = await lake.get(chunk.key);
        if (!data)
          throw new MissingStagingError(
            `raw-blob chunk ${chunk.key} vanished from staging before the session finished`,
          );
        hash.update(data);
        bytes += data.length;
        await writer.write(data);
      }
      if (last) {
        hash.update(last);
        bytes += last.length;
        await writer.write(last);
      }
      await writer.close();
    } catch (err) {
      await writer.abort();
      throw err;
    }
    return { key, bytes, sha256: hash.digest('hex') };
  }
}
