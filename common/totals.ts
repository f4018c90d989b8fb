/**
 * The counters every level of an export keeps — a batch (in its record and checkpoints), a window (in its result and
 * progress) — and how they add up from one level to the next.
 */
export interface ExportCounters {
  sessions: number;
  sessionsFailed: number;
  events: number;
  errors: number;
  duplicates: number;
  bytesRead: number;
  /** export_errors rows by error class. */
  errorsByClass: Record<string, number>;
}

export function emptyExportCounters(): ExportCounters {
  return { sessions: 0, sessionsFailed: 0, events: 0, errors: 0, duplicates: 0, bytesRead: 0, errorsByClass: {} };
}

export function addExportCounters(into: ExportCounters, from: Readonly<ExportCounters>): void {
  into.sessions += from.sessions;
  into.sessionsFailed += from.sessionsFailed;
  into.events += from.events;
  into.errors += from.errors;
  into.duplicates += from.duplicates;
  into.bytesRead += from.bytesRead;
  for (const [k, n] of Object.entries(from.errorsByClass)) into.errorsByClass[k] = (into.errorsByClass[k] ?? 0) + n;
}
