/** The records bad source data becomes, and the errors that name what was wrong with it. */

export interface SourceError {
  /** The block URL, object key or row the error is about. */
  readonly location: string;
  readonly errorClass: string;
  readonly message: string;
  /** The affected event's timestamp, when the error concerns one event. */
  readonly eventTimestamp?: number;
}

export class BlockLengthError extends Error {
  override readonly name = 'BlockLengthError';
}
export class CorruptBlockError extends Error {
  override readonly name = 'CorruptBlockError';
}

export function toSourceError(location: string, err: unknown, eventTimestamp?: number): SourceError {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    location,
    errorClass: e.name || 'Error',
    message: e.message,
    ...(eventTimestamp === undefined ? {} : { eventTimestamp }),
  };
}
