/**
 * Batch threads. Activities share the worker's event loop; decoding a long session there would starve heartbeats, so
 * each batch runs whole on one of these threads (piscina), and the main thread relays its progress as heartbeats.
 */
import { MessageChannel } from 'node:worker_threads';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { BatchTask, BatchTaskResult, BatchThreadData, BatchThreadMessage } from './batch-thread';
import type { BatchProgress, ExportBatchInput, ExportBatchResult } from './export-batch';
import { SessionOutOfMemoryError } from './export-batch';
import { ClassifiedError, failureFromThread } from './failures';
import { forwardingWanted, relayTelemetry } from './telemetry';

export interface BatchRunOptions {
  signal?: AbortSignal;
  progress?: (p: BatchProgress) => void;
  /** Sessions an earlier attempt ran out of memory in (from its last heartbeat). */
  outOfMemory?: readonly string[];
}

export interface BatchRunner {
  run(input: ExportBatchInput, opts: BatchRunOptions): Promise<ExportBatchResult>;
  close(): Promise<void>;
}

export class BatchPool implements BatchRunner {
  private readonly pool: Piscina<BatchTask, BatchTaskResult>;

  private readonly heapMB: number;

  constructor(threads: number, data: BatchThreadData) {
    this.heapMB = data.settings.threadHeapMB;
    this.pool = new Piscina({
      filename: join(__dirname, 'batch-thread.js'),
      // All threads start with the worker: a thread loads its modules for a second or two, which a batch waiting
      // for a second thread would otherwise pay in the middle of an export.
      minThreads: threads,
      maxThreads: threads,
      workerData: data,
      // A bound V8 keeps to (and collects garbage for), and a thread that exceeds it dies alone; see threadHeapMB().
      resourceLimits: { maxOldGenerationSizeMb: this.heapMB },
    });
  }

  async run(input: ExportBatchInput, opts: BatchRunOptions): Promise<ExportBatchResult> {
    const { port1, port2 } = new MessageChannel();
    let current: string | undefined;
    port1.on('message', (m: BatchThreadMessage) => {
      if ('telemetry' in m) relayTelemetry(m.telemetry);
      else {
        current = m.current;
        opts.progress?.(m);
      }
    });
    // The thread closes its end after its last message. The result travels on piscina's own port and can overtake
    // those messages, so a batch that ends waits for the close (bounded) rather than drop its last events.
    const drained = new Promise<void>((resolve) => {
      port1.once('close', resolve);
      setTimeout(resolve, 2_000).unref();
    });
    const task: BatchTask = {
      input,
      port: port2,
      telemetry: forwardingWanted(),
      outOfMemory: [...(opts.outOfMemory ?? [])],
    };
    try {
      const out = await this.pool.run(task, { signal: opts.signal, transferList: [port2] }).catch((err: unknown) => {
        // piscina replaces a thread that hit its heap limit; the batch is retried with the session marked failed.
        if ((err as { code?: string }).code !== 'ERR_WORKER_OUT_OF_MEMORY') throw err;
        if (current !== undefined) throw new SessionOutOfMemoryError(current, this.heapMB);
        // Between sessions the thread only writes its buffers: their size, not the data, needs more than the heap.
        throw new ClassifiedError(
          'ConfigError',
          `a batch thread ran out of its ${this.heapMB} MB heap writing its buffers; lower export.bufferMB or raise worker.threadHeapMB`,
          true,
        );
      });
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
