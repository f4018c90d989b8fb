/**
 * Batch threads. Activities share the worker's event loop; decoding a long session there would starve heartbeats, so
 * each batch runs whole on one of these threads (piscina), and the main thread relays its progress as heartbeats.
 */
import { MessageChannel } from 'node:worker_threads';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { BatchTask, BatchTaskResult, BatchThreadData, BatchThreadMessage } from './batch-thread';
import type { BatchProgress, ExportBatchInput, ExportBatchResult } from './export-batch';
import { failureFromThread } from './failures';
import { forwardingWanted, relayTelemetry } from './telemetry';

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
    port1.on('message', (m: BatchThreadMessage) => {
      if ('telemetry' in m) relayTelemetry(m.telemetry);
      else opts.progress?.(m);
    });
    // The thread closes its end after its last message. The result travels on piscina's own port and can overtake
    // those messages, so a batch that ends waits for the close (bounded) rather than drop its last events.
    const drained = new Promise<void>((resolve) => {
      port1.once('close', resolve);
      setTimeout(resolve, 2_000).unref();
    });
    const task: BatchTask = { input, port: port2, telemetry: forwardingWanted() };
    try {
      const out = await this.pool.run(task, { signal: opts.signal, transferList: [port2] });
      await drained;
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
