/**
 * A `kafka_session_replay_events` row as PostHog's producer sends it (the columns of PostHog's
 * session_replay_events Kafka table), every metric zeroed and no block, so a test states only what matters to it.
 */
export function kafkaReplayRow(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    block_url: null,
    first_url: null,
    urls: [],
    click_count: 0,
    keypress_count: 0,
    mouse_activity_count: 0,
    active_milliseconds: 0,
    console_log_count: 0,
    console_warn_count: 0,
    console_error_count: 0,
    size: 0,
    event_count: 0,
    message_count: 1,
    snapshot_source: 'web',
    snapshot_library: 'web',
    retention_period_days: 30,
    is_deleted: 0,
    ...overrides,
  };
}
