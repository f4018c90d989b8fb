/**
 * Everything `replaylake play` needs about one session, read from a committed lake through LakeStore (so a local
 * directory and S3 behave alike): the manifest that lists its raw blob, the blob itself (checked against the
 * manifest's SHA-256, decompressed, split by window) and its rows in `sessions`, `pageviews`, `console_logs` and
 * `clicks` for the side panel and the timeline.
 */
import { decompress as zstdDecompress } from 'fzstd';
import type { ParquetRow } from 'hyparquet';
import { readManifest } from '../../activities/lake-records';
import type { PartitionManifest, RawBlobRecord } from '../../activities/lake-records';
import type { TableName } from '../../activities/lake-tables';
import type { LakeStore } from '../../activities/lake-store';
import { sha256 } from '../../activities/lake-store';
import { UnreadableParquetError, readParquetRows } from '../../activities/parquet-reader';
import type { Marker, PanelSession, PayloadWindow, RecordedEvent, ReplayPayload } from '../../viewer/payload';

export type PlayErrorKind = 'unknown-session' | 'missing-blob' | 'corrupt';

/** Why a session cannot be played, worded for the terminal and the page alike. */
export class PlayError extends Error {
  override readonly name = 'PlayError';
  constructor(
    readonly kind: PlayErrorKind,
    message: string,
  ) {
    super(message);
  }
}

const DAY_MS = 86_400_000;
/** posthog-js's rage-click rule allows up to 1 s between clicks; a gap that long also ends one burst marker. */
const RAGE_BURST_GAP_MS = 1000;
const LABEL_CHARS = 200;

interface Located {
  manifestKey: string;
  manifest: PartitionManifest;
  blob: RawBlobRecord;
}

/**
 * A UUIDv7 session id carries the millisecond posthog-js created it, which is the session's start and so its `dt`:
 * only that day's partitions (and the neighbours, for ids minted just across midnight) can hold it. Other ids send the
 * search through every manifest.
 */
function daysHintedBy(sessionId: string): string[] | undefined {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-/i.exec(sessionId);
  if (!m) return undefined;
  const ms = parseInt(`${m[1]}${m[2]}`, 16);
  return [ms - DAY_MS, ms, ms + DAY_MS].map((t) => new Date(t).toISOString().slice(0, 10));
}

/** Only committed partitions count: a blob no manifest lists may be half of an export that is still running. */
async function locate(store: LakeStore, sessionId: string): Promise<Located> {
  const days = daysHintedBy(sessionId);
  const prefixes = days ? days.map((day) => `_manifests/dt=${day}/`) : ['_manifests/'];
  let unreadable = 0;
  for (const prefix of prefixes) {
    for (const { key } of await store.list(prefix)) {
      if (!key.endsWith('/_manifest.json')) continue;
      const manifest = await readManifest(store, key);
      if (!manifest) {
        unreadable++;
        continue;
      }
      const blob = manifest.raw.blobs.find((b) => b.session_id === sessionId);
      if (blob) return { manifestKey: key, manifest, blob };
    }
  }
  const where = days
    ? `no committed partition of ${days[0]} to ${days[2]} lists it`
    : 'no committed partition lists it';
  const note = unreadable > 0 ? `; ${unreadable} manifest(s) could not be read` : '';
  throw new PlayError('unknown-session', `session ${sessionId} is not in the lake ${store.uri('')} (${where}${note})`);
}

/** A long session's blob is several zstd frames; fzstd reads them as the one stream they are. */
function decompressBlob(body: Buffer, uri: string): string {
  try {
    return Buffer.from(zstdDecompress(body)).toString('utf8');
  } catch {
    throw new PlayError('corrupt', `raw blob ${uri} is corrupt: not a readable zstd stream`);
  }
}

function isEvent(value: unknown): value is RecordedEvent {
  if (value === null || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  return typeof e['type'] === 'number' && typeof e['timestamp'] === 'number';
}

/** Splits `[windowId, event]` lines by window, keeping each window's events in blob (time) order. */
function splitWindows(text: string, uri: string): PayloadWindow[] {
  const windows = new Map<string, RecordedEvent[]>();
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new PlayError('corrupt', `raw blob ${uri} is corrupt: line ${lineNo} is not JSON`);
    }
    if (!Array.isArray(parsed) || parsed.length !== 2 || !isEvent(parsed[1]))
      throw new PlayError('corrupt', `raw blob ${uri} is corrupt: line ${lineNo} is not [windowId, rrwebEvent]`);
    const windowId = typeof parsed[0] === 'string' ? parsed[0] : '';
    const list = windows.get(windowId) ?? [];
    list.push(parsed[1]);
    windows.set(windowId, list);
  }
  return [...windows].map(([id, events]) => ({ id, events })).sort((a, b) => firstTs(a) - firstTs(b));
}

function firstTs(w: PayloadWindow): number {
  return w.events[0]?.timestamp ?? 0;
}

async function readBlob(store: LakeStore, located: Located): Promise<PayloadWindow[]> {
  const { blob, manifestKey } = located;
  const uri = store.uri(blob.key);
  const body = await store.get(blob.key);
  if (!body) throw new PlayError('missing-blob', `raw blob ${uri} is missing (listed in ${manifestKey})`);
  if (sha256(body) !== blob.sha256)
    throw new PlayError(
      'corrupt',
      `raw blob ${uri} is corrupt: ${body.byteLength} bytes whose SHA-256 differs from ${manifestKey} (${blob.bytes} bytes)`,
    );
  return splitWindows(decompressBlob(body, uri), uri);
}

/**
 * The session's rows of one table. Row-group statistics on session_id let the reader skip the groups of other
 * sessions, so reading every file of the partition costs little.
 */
async function readRows(
  store: LakeStore,
  manifest: PartitionManifest,
  table: TableName,
  sessionId: string,
  columns: string[],
): Promise<ParquetRow[]> {
  const out: ParquetRow[] = [];
  for (const file of manifest.tables[table]?.files ?? []) {
    let rows: ParquetRow[] | undefined;
    try {
      rows = await readParquetRows(store, file.key, {
        columns: ['session_id', ...columns],
        filter: { session_id: { $eq: sessionId } },
      });
    } catch (err) {
      if (err instanceof UnreadableParquetError) throw new PlayError('corrupt', err.message);
      throw err;
    }
    if (!rows) throw new PlayError('corrupt', `${store.uri(file.key)} is missing (listed in the manifest)`);
    out.push(...rows);
  }
  return out;
}

function num(value: unknown): number | null {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  if (value instanceof Date) return value.getTime();
  return null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function cut(text: string): string {
  return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
}

function panelSession(row: ParquetRow): PanelSession {
  return {
    sessionId: String(row['session_id']),
    teamId: num(row['team_id']) ?? 0,
    startMs: num(row['start_time']) ?? 0,
    endMs: num(row['end_time']) ?? 0,
    durationMs: num(row['duration_ms']) ?? 0,
    activeMs: num(row['active_ms']),
    clickCount: num(row['click_count']),
    consoleErrorCount: num(row['console_error_count']),
    firstUrl: str(row['first_url']),
    windowCount: num(row['window_count']) ?? 0,
    eventCount: num(row['event_count']) ?? 0,
    snapshotSource: str(row['snapshot_source']),
    generation: str(row['generation']) ?? '',
  };
}

/** One marker per burst: every click of a burst is flagged, and a marker per click would pile up on one spot. */
function rageMarkers(rows: ParquetRow[]): Marker[] {
  const clicks = rows
    .filter((r) => r['is_rage_click'] === true)
    .map((r) => ({ ts: num(r['timestamp']) ?? 0, windowId: str(r['window_id']) ?? '' }))
    .sort((a, b) => a.ts - b.ts);
  const out: Array<Marker & { count: number; last: number }> = [];
  for (const c of clicks) {
    const prev = out.findLast((m) => m.windowId === c.windowId);
    if (prev && c.ts - prev.last <= RAGE_BURST_GAP_MS) {
      prev.count++;
      prev.last = c.ts;
      prev.label = `rage click ×${prev.count}`;
    } else {
      out.push({
        kind: 'rage-click',
        timestampMs: c.ts,
        windowId: c.windowId,
        label: 'rage click',
        count: 1,
        last: c.ts,
      });
    }
  }
  return out.map(({ kind, timestampMs, windowId, label }) => ({ kind, timestampMs, windowId, label }));
}

function isWireframeSnapshot(e: RecordedEvent): boolean {
  return e.type === 2 && e.data !== null && typeof e.data === 'object' && 'wireframes' in e.data;
}

/** Reads one session for the viewer; every failure is a {@link PlayError} with a one-line message. */
export async function loadSession(store: LakeStore, sessionId: string): Promise<ReplayPayload> {
  const located = await locate(store, sessionId);
  const windows = await readBlob(store, located);
  const { manifest } = located;
  const sessionRows = await readRows(store, manifest, 'sessions', sessionId, [
    'team_id',
    'start_time',
    'end_time',
    'duration_ms',
    'active_ms',
    'click_count',
    'console_error_count',
    'first_url',
    'window_count',
    'event_count',
    'snapshot_source',
    'generation',
  ]);
  const row = sessionRows[0];
  if (!row)
    throw new PlayError('corrupt', `${located.manifestKey} lists session ${sessionId} but its sessions table does not`);
  const [pageviews, consoleLogs, clicks] = await Promise.all([
    readRows(store, manifest, 'pageviews', sessionId, ['timestamp', 'window_id', 'url']),
    readRows(store, manifest, 'console_logs', sessionId, ['timestamp', 'window_id', 'level_bucket', 'message']),
    readRows(store, manifest, 'clicks', sessionId, ['timestamp', 'window_id', 'is_rage_click']),
  ]);
  const markers: Marker[] = [
    ...pageviews.map((r) => ({
      kind: 'pageview' as const,
      timestampMs: num(r['timestamp']) ?? 0,
      windowId: str(r['window_id']) ?? '',
      label: cut(str(r['url']) ?? ''),
    })),
    ...consoleLogs
      .filter((r) => r['level_bucket'] === 'error')
      .map((r) => ({
        kind: 'console-error' as const,
        timestampMs: num(r['timestamp']) ?? 0,
        windowId: str(r['window_id']) ?? '',
        label: cut(str(r['message']) ?? ''),
      })),
    ...rageMarkers(clicks),
  ].sort((a, b) => a.timestampMs - b.timestampMs);
  const session = panelSession(row);
  const mobile = session.snapshotSource === 'mobile' || windows.some((w) => w.events.some(isWireframeSnapshot));
  return { format: 'replaylake.play/v1', session, platform: mobile ? 'mobile' : 'web', windows, markers };
}
