/**
 * The pipeline's events: stable snake_case names with the counters the stages already keep (sessions, events, bytes
 * read, duplicates dropped, errors by class). They are published on the `replaylake` diagnostics channel of the thread
 * that emits them; the worker's log sink subscribes to turn them into log lines, and costs nothing when no one does.
 *
 * Events, in the order a window produces them:
 *   listing_page        a listSessions activity ran a page (sessions, skipped, rows_read)
 *   batch_started       a batch began or resumed (batch, sessions, resumed_from)
 *   session_exported    a session was written (session, events, duplicates, errors, bytes_read)
 *   session_failed      a session was marked failed (session, error_class, message)
 *   batch_checkpoint    a batch flushed its buffers and recorded where it stands (batch, checkpoint)
 *   batch_finished      a batch wrote its record for the commit (batch, sessions, events, errors)
 *   manifest_version    a partition's next version was created (partition, version)
 *   partition_committed a partition's commit is complete (partition, version, changed, stale_deleted)
 *   window_committed    every partition of a window is committed (window, partitions)
 *
 * Batch threads forward their events to the worker's main thread (activities/batch-pool.ts), which re-publishes them
 * on a channel of their own: subscribers that count per thread (test fault injection) keep seeing only their thread's
 * events, and the log sink sees every thread's through `subscribeTelemetry`.
 */
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';

export const TELEMETRY_CHANNEL = 'replaylake';
/** Events a batch thread published, re-published on the main thread. */
export const FORWARDED_CHANNEL = 'replaylake:forwarded';

export type TelemetryEvent =
  | 'listing_page'
  | 'batch_started'
  | 'session_exported'
  | 'session_failed'
  | 'batch_checkpoint'
  | 'batch_finished'
  | 'manifest_version'
  | 'partition_committed'
  | 'window_committed';

/** What subscribers receive: the event name and its counters. */
export type TelemetryMessage = { event: TelemetryEvent } & Record<string, unknown>;

const events = channel(TELEMETRY_CHANNEL);
const forwarded = channel(FORWARDED_CHANNEL);

export function emit(event: TelemetryEvent, fields: Record<string, unknown> = {}): void {
  if (events.hasSubscribers) events.publish({ event, ...fields });
}

/** Sends every event this thread publishes to `send` until the returned function is called. */
export function forwardTelemetry(send: (message: TelemetryMessage) => void): () => void {
  const listener = (message: unknown) => send(message as TelemetryMessage);
  subscribe(TELEMETRY_CHANNEL, listener);
  return () => unsubscribe(TELEMETRY_CHANNEL, listener);
}

/** Whether anything on this (main) thread listens to forwarded events, so batch threads should send theirs. */
export function forwardingWanted(): boolean {
  return forwarded.hasSubscribers;
}

/** Re-publishes an event a batch thread forwarded. */
export function relayTelemetry(message: TelemetryMessage): void {
  if (forwarded.hasSubscribers) forwarded.publish(message);
}

/** Every event of this thread and of the batch threads it runs, until the returned function is called. */
export function subscribeTelemetry(listener: (message: TelemetryMessage) => void): () => void {
  const onMessage = (message: unknown) => listener(message as TelemetryMessage);
  subscribe(TELEMETRY_CHANNEL, onMessage);
  subscribe(FORWARDED_CHANNEL, onMessage);
  return () => {
    unsubscribe(TELEMETRY_CHANNEL, onMessage);
    unsubscribe(FORWARDED_CHANNEL, onMessage);
  };
}
