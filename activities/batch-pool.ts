/**
 * Batch threads. Activities share the worker's event loop; decoding a long session there would starve heartbeats, so
 * each batch runs whole on one of these threads (piscina), and the main thread relays its progress as heartbeats.
 */
import { MessageChannel } from 'node:worker_threads';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { BatchTask, BatchTaskResult, BatchThreadData } from './batch-thread';
import type { BatchProgress, ExportBatchInput, ExportBatchResult } from './export-batch';
import { failureFromThread } from './failures';

export interface BatchRunner {
  run(
    input: ExportBatchInput,
    opts: { signal?: AbortSignal; progress?: (p: BatchProgress) => void },
  ): Promise<ExportBatchResult>;
  close(): Promise<void>;
}

export class BatchPool implements BatchRunner {
  private readonly pool: Piscina<BatchTask, BatchTaskResult>;

  constructor(threads: number, data: BatchThreadData) {
    this.pool = new Piscina({
      filename: join(__dirname, 'batch-thread.js'),
      // All threads start with the worker: a thread loads its modules for a second or two, which a batch waiting
      // for a second thread would otherwise pay in the middle of an export.
      minThreads: threads,
      maxThreads: threads,
      workerData: data,
    });
  }

  async run(
    input: ExportBatchInput,
    opts: { signal?: AbortSignal; progress?: (p: BatchProgress) => void },
  ): Promise<ExportBatchResult> {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (p: BatchProgress) => opts.progress?.(p));
    try {
      const out = await this.pool.run({ input, port: port2 }, { signal: opts.signal, transferList: [port2] });
      if (!out.ok) throw failureFromThread(out.failure);
      return out.result;
    } finally {
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
