/**
 * Every failure type an export activity can end with, and whether a retry can fix it. Activities raise these types
 * (activities/failures.ts decides which applies to an error) and workflows name the fatal ones in their retry
 * policies, so the two cannot drift apart. Problems in the recorded data never end an activity: they become
 * `export_errors` rows, or a failed session, and the rest of the export goes on.
 */
export const FAILURE_TYPES = {
  /** The configuration is invalid or names something that does not exist. */
  ConfigError: 'fatal',
  /** An export or backfill window that is not whole UTC days, or has no teams. */
  BadWindowError: 'fatal',
  /** The PostHog blob store refuses the configured credentials, or the bucket does not exist there. */
  SourceAccessError: 'fatal',
  /** The lake refuses to be written: permissions, a path that is not a directory, a wrong secret. */
  LakeAccessError: 'fatal',
  /** ClickHouse refuses the credentials, or lacks the configured database, a table or a column. */
  ClickHouseAccessError: 'fatal',
  /** A batch's staged output vanished before the commit (something deleted the lake's _staging/). */
  MissingStagingError: 'fatal',
  /** The PostHog blob store is unreachable, throttling or timing out. */
  SourceUnavailableError: 'retry',
  /** The lake is unreachable, throttling, timing out or full. */
  LakeUnavailableError: 'retry',
  /** ClickHouse is unreachable, overloaded or timing out. */
  ClickHouseUnavailableError: 'retry',
  /** A batch thread hit its heap limit inside a session: the retry marks that session failed and exports the rest. */
  SessionOutOfMemoryError: 'retry',
} as const satisfies Record<string, 'fatal' | 'retry'>;

export type FailureType = keyof typeof FAILURE_TYPES;

/** The types no retry can fix, for `nonRetryableErrorTypes` in retry policies. */
export const NON_RETRYABLE_ERROR_TYPES: readonly FailureType[] = (Object.keys(FAILURE_TYPES) as FailureType[]).filter(
  (t) => FAILURE_TYPES[t] === 'fatal',
);
