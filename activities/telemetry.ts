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
 */
import { channel } from 'node:diagnostics_channel';

export const TELEMETRY_CHANNEL = 'replaylake';

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

const events = channel(TELEMETRY_CHANNEL);

export function emit(event: TelemetryEvent, fields: Record<string, unknown> = {}): void {
  if (events.hasSubscribers) events.publish({ event, ...fields });
}
