/**
 * Where a worker's logs go. The CLI's own output — progress and results — stays on the terminal; what a worker says
 * while it runs goes through here: the Temporal SDK (worker state, the workflow bundler's statistics, Core's native
 * logs), the pipeline's telemetry events (activities/telemetry.ts, batch threads included) and the worker's own
 * lifecycle. Destinations: a log file (`--log-file`, REPLAYLAKE_LOG_FILE), stderr under `--verbose`, and otherwise
 * stderr for warnings and errors only, so a quiet run still shows what went wrong.
 *
 * Formats: `text` (one line per entry; multi-line SDK messages indented) or `json` (JSON lines: one object per entry
 * with `ts`, `level`, a stable `event` name and its fields; SDK messages are `event: "sdk_log"` with `message`).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { LogEntry } from '@temporalio/worker';
import { subscribeTelemetry } from '../activities/telemetry';
import type { TelemetryMessage } from '../activities/telemetry';
import { SECRET_KEYS } from './config';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogSettings {
  /** Append every entry at `level` or above to this file. */
  file?: string;
  /** Write every entry at `level` or above to stderr (instead of warnings and errors only). */
  verbose?: boolean;
  format?: LogFormat;
  level?: LogLevel;
}

export interface Log {
  /** An entry of replaylake's own: a stable snake_case event name and its fields. */
  event(event: string, fields?: Record<string, unknown>, level?: LogLevel): void;
  /** stderr carries JSON lines: human notes must stay off it so that every line parses. */
  readonly stderrIsJson: boolean;
  /**
   * At the end of the command: shuts the Temporal Runtime down (which flushes the SDK's buffered entries), stops
   * listening to telemetry and closes the file.
   */
  close(): Promise<void>;
}

/** Telemetry events that mean something went wrong. */
const WARN_EVENTS = new Set(['session_failed']);

interface Entry {
  ts: Date;
  level: LogLevel;
  event: string;
  /** SDK entries only: the SDK's message. */
  message?: string;
  fields: Record<string, unknown>;
}

interface Sink {
  min: number;
  format: LogFormat;
  write(line: string): void;
  close?(): void;
}

const severity = (level: LogLevel) => LOG_LEVELS.indexOf(level);

function jsonSafe(_key: string, value: unknown): unknown {
  if (SECRET_KEYS.has(_key) && value) return '***';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

function textValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value, jsonSafe) ?? String(value);
}

function render(entry: Entry, format: LogFormat): string {
  if (format === 'json') {
    const { ts, level, event, message, fields } = entry;
    const head: Record<string, unknown> = { ts: ts.toISOString(), level, event };
    if (message !== undefined) head['message'] = message;
    // The head comes first and a field cannot overwrite it.
    for (const [k, v] of Object.entries(fields)) if (!(k in head)) head[k] = v;
    return JSON.stringify(head, jsonSafe);
  }
  const pairs = Object.entries(entry.fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (SECRET_KEYS.has(k) && v ? `${k}=***` : `${k}=${textValue(v)}`));
  const head = `${entry.ts.toISOString()} ${entry.level.padEnd(5)} ${entry.event}`;
  const message = entry.message === undefined ? '' : ` ${entry.message.replace(/\n/g, '\n    ')}`;
  return `${head}${message}${pairs.length > 0 ? ` ${pairs.join(' ')}` : ''}`;
}

function fileSink(path: string, min: number, format: LogFormat): Sink {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  // Appends, synchronously: several runs (or workers) can share a file, and nothing is lost when a process exits.
  const fd = openSync(absolute, 'a', 0o640);
  return {
    min,
    format,
    write: (line) => writeSync(fd, `${line}\n`),
    close: () => closeSync(fd),
  };
}

let installed = false;

/**
 * Opens the destinations, routes the Temporal SDK's logs there (Runtime.install: once per process, before any worker
 * or native connection exists) and turns telemetry events into entries.
 */
export function startLogging(settings: LogSettings): Log {
  if (installed) throw new Error('startLogging runs once per process: the Temporal Runtime is installed once');
  installed = true;
  const format = settings.format ?? 'text';
  const level = severity(settings.level ?? 'info');
  const sinks: Sink[] = [];
  if (settings.file) sinks.push(fileSink(settings.file, level, format));
  sinks.push(
    settings.verbose
      ? { min: level, format, write: (line) => process.stderr.write(`${line}\n`) }
      : { min: severity('warn'), format: 'text', write: (line) => process.stderr.write(`${line}\n`) },
  );
  const min = Math.min(...sinks.map((s) => s.min));

  let closed = false;
  const write = (entry: Entry) => {
    // The SDK may still say something while the process winds down, after the file is closed.
    if (closed) return;
    const s = severity(entry.level);
    for (const sink of sinks) if (s >= sink.min) sink.write(render(entry, sink.format));
  };

  const sdkLevel = (LOG_LEVELS[min] ?? 'info').toUpperCase() as Uppercase<LogLevel>;
  const runtime = Runtime.install({
    logger: new DefaultLogger(sdkLevel, (e: LogEntry) =>
      write({
        ts: new Date(Number(e.timestampNanos / 1_000_000n)),
        level: e.level.toLowerCase() as LogLevel,
        event: 'sdk_log',
        message: e.message,
        fields: { ...e.meta },
      }),
    ),
    // Core's native logs are printed straight to the console unless forwarded; forwarded, they obey the sinks too.
    telemetryOptions: { logging: { forward: {}, filter: { core: sdkLevel, other: 'ERROR' } } },
  });

  const unsubscribe = subscribeTelemetry(({ event, ...fields }: TelemetryMessage) =>
    write({ ts: new Date(), level: WARN_EVENTS.has(event) ? 'warn' : 'info', event, fields }),
  );

  return {
    event(event, fields = {}, entryLevel = 'info') {
      write({ ts: new Date(), level: entryLevel, event, fields });
    },
    stderrIsJson: settings.verbose === true && format === 'json',
    async close() {
      // The Runtime shuts itself down once its last worker and connection close; one that never got any (a worker
      // whose start-up checks failed) would otherwise keep the process alive through its log forwarding.
      runtime.flushLogs();
      await runtime.shutdown();
      unsubscribe();
      closed = true;
      for (const sink of sinks) sink.close?.();
    },
  };
}
