/**
 * Worker threads for decoding and normalising sessions. Activities share the worker's event loop; a multi-megabyte
 * session parsed there would starve heartbeats, so every session's CPU work goes through this pool.
 */
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { ProcessResult, ProcessTask } from './process-session';

export class DecodePool {
  private readonly pool: Piscina<ProcessTask, ProcessResult>;

  constructor(threads: number) {
    this.pool = new Piscina({
      filename: join(__dirname, 'decode-worker.js'),
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: 30_000,
    });
  }

  /**
   * Buffers are copied, not transferred: fetched slices can share Node's pooled ArrayBuffers with unrelated data, and
   * transferring would detach those. The copy costs little next to parsing.
   */
  run(task: ProcessTask, signal?: AbortSignal): Promise<ProcessResult> {
    return this.pool.run(task, { signal });
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
