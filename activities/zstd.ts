/**
 * zstd for raw blobs and Parquet pages. Node 20 has no zstd of its own, so this is zstd's reference implementation
 * compiled to WebAssembly (@bokuweb/zstd-wasm): synchronous, so it runs where the CPU work belongs (the batch threads).
 */
import { compressUsingDict, createCCtx, decompress, init } from '@bokuweb/zstd-wasm';

/**
 * zstd's own default. On the real posthog-js fixture levels 6 and 9 shrink raw blobs by another 13–18 % but run at a
 * quarter to an eighth of the speed; gzip level 6 is both larger and slower than this.
 */
export const ZSTD_LEVEL = 3;

let ready: Promise<void> | undefined;
/**
 * One compression context per thread, reused: the simple `compress` builds and frees one per call, which costs as much
 * as compressing a 30 KB page. zstd's ZSTD_compressCCtx is ZSTD_compress_usingDict with no dictionary, so the frames
 * are byte-for-byte those of `compress`.
 */
let cctx: number | undefined;
const NO_DICTIONARY = new Uint8Array(0);

/**
 * Loads the WebAssembly module once per thread. Concurrent callers share one promise; a failed load is forgotten so
 * the next call tries again instead of failing forever.
 */
export function initZstd(): Promise<void> {
  ready ??= init().catch((err: unknown) => {
    ready = undefined;
    throw err;
  });
  return ready;
}

/** One zstd frame holding `input`, with its content size. Call initZstd() first. */
export function zstdFrame(input: Uint8Array): Uint8Array {
  cctx ??= createCCtx();
  return compressUsingDict(cctx, input, NO_DICTIONARY, ZSTD_LEVEL);
}

/** The content of one zstd frame that records its size (as Parquet pages do). Call initZstd() first. */
export function zstdUnframe(frame: Uint8Array): Uint8Array {
  return decompress(frame);
}
