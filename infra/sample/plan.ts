/**
 * Decides, deterministically from the seed, which sessions a sample holds and what is special about each. The first
 * slots form a catalogue of every storage situation an exporter must survive; the rest are a weighted random mix.
 * Sessions are yielded in start order one at a time, so a plan of any size costs constant memory.
 */
import type { Generation, SampleOptions } from './options';
import type { GeneratedEvent, Rng } from './session-content';
import { createRng, generateSessionContent } from './session-content';

export type RetentionPeriod = '30d' | '90d' | '1y' | '5y';

export interface TeamProfile {
  readonly teamId: number;
  readonly retention: RetentionPeriod;
  /** PostHog counts console logs only for teams that opted in (`capture_console_log_opt_in`). */
  readonly consoleLogIngestionEnabled: boolean;
}

export const TEAMS: readonly TeamProfile[] = [
  { teamId: 1, retention: '30d', consoleLogIngestionEnabled: true },
  { teamId: 2, retention: '90d', consoleLogIngestionEnabled: false },
  { teamId: 3, retention: '1y', consoleLogIngestionEnabled: true },
  { teamId: 4, retention: '5y', consoleLogIngestionEnabled: true },
];

export interface SessionPlan {
  readonly index: number;
  readonly sessionId: string;
  readonly distinctId: string;
  readonly team: TeamProfile;
  /** 'mixed' = started in the blob-v1 era and finished after the v2 cutover: v1 files, then v2 blocks. */
  readonly generation: Generation | 'mixed';
  readonly platform: 'web' | 'mobile';
  readonly startMs: number;
  readonly durationMs: number;
  readonly windowIds: readonly string[];
  readonly compressed: boolean;
  readonly rageClicks: boolean;
  readonly duplicateEvents: boolean;
  readonly duplicateBlocks: boolean;
  /** Epoch ms of a deletion tombstone, when the session was deleted. */
  readonly deletedAtMs: number | undefined;
  /** Still being ingested at `now`: an exporter must wait for it to settle. */
  readonly live: boolean;
  /** Legacy only: embed an event big enough to span several 512K-character chunks. */
  readonly hugeEvent: boolean;
  /** Why this session exists, for humans reading the manifest. */
  readonly note: string;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** A UUIDv7 as posthog-js makes for session and window ids: 48-bit ms timestamp, version 7, random rest. */
export function uuidv7(ms: number, rng: Rng): string {
  const time = Math.floor(ms).toString(16).padStart(12, '0');
  const rand = rng.hex(20);
  const variant = ((parseInt(rand.slice(3, 4), 16) & 0x3) | 0x8).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${rand.slice(0, 3)}-${variant}${rand.slice(4, 7)}-${rand.slice(7, 19)}`;
}

/** Durations are heavy-tailed like real traffic: median ~3 min, a few over an hour, capped below PostHog's 24 h. */
function drawDuration(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-9);
  const minutes = Math.min(3 * Math.exp(1.1 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next())), 180);
  return Math.max(20_000, Math.round(minutes * MINUTE_MS));
}

interface CatalogueEntry {
  note: string;
  generation: Generation | 'mixed';
  overrides: Partial<Omit<SessionPlan, 'index' | 'sessionId' | 'distinctId' | 'windowIds' | 'team'>> & {
    windows?: number;
    team?: number;
    startAt?: 'midnight' | 'now';
  };
}

/** Every storage situation the exporter must handle, present whenever the sample has enough sessions. */
const CATALOGUE: readonly CatalogueEntry[] = [
  {
    note: 'blob v2, three windows, rage clicks, SDK re-sends',
    generation: 'v2',
    overrides: { windows: 3, rageClicks: true, duplicateEvents: true },
  },
  {
    note: 'blob v2 crossing midnight UTC (and a month end with the default start)',
    generation: 'v2',
    overrides: { startAt: 'midnight', durationMs: 25 * MINUTE_MS },
  },
  {
    note: 'blob v2 with a block re-written to a second batch file (ingester crash before offset commit); console logs not ingested for this team',
    generation: 'v2',
    overrides: { team: 2, duplicateBlocks: true },
  },
  { note: 'blob v2 deleted: an is_deleted tombstone row', generation: 'v2', overrides: { deletedAtMs: 1 } },
  {
    note: 'blob v2 still live: last block ingested moments ago',
    generation: 'v2',
    overrides: { startAt: 'now', durationMs: 8 * MINUTE_MS },
  },
  {
    note: 'mobile (Android wireframes) on blob v2',
    generation: 'v2',
    overrides: { platform: 'mobile', team: 3, compressed: false },
  },
  {
    note: 'blob v2 from an SDK older than 1.165 (no cv compression), 5y retention',
    generation: 'v2',
    overrides: { team: 4, compressed: false },
  },
  { note: 'blob v1 gzip JSONL, two windows', generation: 'v1', overrides: { windows: 2, durationMs: 14 * MINUTE_MS } },
  {
    note: 'legacy session_recording_events with an event spanning several chunks',
    generation: 'legacy',
    overrides: { hugeEvent: true },
  },
  { note: 'legacy, two windows', generation: 'legacy', overrides: { windows: 2 } },
  {
    note: 'mixed: blob v1 files first, then blob v2 blocks',
    generation: 'mixed',
    overrides: { durationMs: 20 * MINUTE_MS },
  },
];

const GENERATION_WEIGHTS: Record<Generation, number> = { v2: 0.8, v1: 0.12, legacy: 0.08 };

function weightedGeneration(rng: Rng, allowed: readonly Generation[]): Generation {
  const total = allowed.reduce((sum, g) => sum + GENERATION_WEIGHTS[g], 0);
  let x = rng.next() * total;
  for (const g of allowed) {
    x -= GENERATION_WEIGHTS[g];
    if (x < 0) return g;
  }
  return allowed[allowed.length - 1] ?? 'v2';
}

function allowedBy(options: SampleOptions, generation: Generation | 'mixed'): boolean {
  if (generation === 'mixed') return options.generations.includes('v1') && options.generations.includes('v2');
  return options.generations.includes(generation);
}

export function sampleRange(options: SampleOptions): { startMs: number; endMs: number } {
  const startMs = Date.parse(`${options.start}T00:00:00Z`);
  return { startMs, endMs: startMs + options.days * DAY_MS };
}

export function* planSessions(options: SampleOptions, now: number): Generator<SessionPlan> {
  const { startMs: rangeStart, endMs: rangeEnd } = sampleRange(options);
  const slot = (rangeEnd - rangeStart) / options.sessions;
  const catalogue = CATALOGUE.filter((c) => allowedBy(options, c.generation));
  for (let index = 0; index < options.sessions; index++) {
    // One stream per session: adding sessions never changes the earlier ones.
    const rng = createRng(`${options.seed}/session/${index}`);
    const entry = catalogue[index];
    const o = entry?.overrides ?? {};
    const generation = entry?.generation ?? weightedGeneration(rng, options.generations);
    const team = TEAMS.find((t) => t.teamId === o.team) ?? rng.pick(TEAMS);
    const platform = o.platform ?? (generation === 'v2' && rng.next() < 0.05 ? 'mobile' : 'web');
    const durationMs = o.durationMs ?? drawDuration(rng);
    let startMs = Math.floor(rangeStart + (index + rng.next()) * slot);
    if (o.startAt === 'midnight') startMs = rangeEnd - 10 * MINUTE_MS - rng.int(0, 60_000);
    // Its last events land a minute or so before now, so every flush of it is already ingested.
    if (o.startAt === 'now') startMs = now - durationMs - rng.int(30_000, 90_000);
    const windows = o.windows ?? (platform === 'mobile' ? 1 : rng.next() < 0.2 ? 2 : 1);
    const windowIds = Array.from({ length: windows }, (_, w) => uuidv7(startMs + w * 1500, rng));
    // Legacy deletions were Postgres soft deletes, invisible in ClickHouse; only the newer tombstone is simulated.
    const deleted =
      generation !== 'legacy' && (o.deletedAtMs !== undefined || (entry === undefined && rng.next() < 0.02));
    yield {
      index,
      sessionId: uuidv7(startMs, rng),
      distinctId: uuidv7(startMs - rng.int(0, DAY_MS), rng),
      team,
      generation,
      platform,
      startMs,
      durationMs,
      windowIds,
      compressed: o.compressed ?? (platform === 'web' && rng.next() < 0.85),
      rageClicks: o.rageClicks ?? rng.next() < 0.1,
      duplicateEvents: o.duplicateEvents ?? rng.next() < 0.1,
      duplicateBlocks: o.duplicateBlocks ?? (generation === 'v2' && rng.next() < 0.05),
      // Deletion happens some days later, never after now.
      deletedAtMs: deleted ? Math.min(startMs + durationMs + 2 * DAY_MS, now - MINUTE_MS) : undefined,
      live: o.startAt === 'now',
      hugeEvent: o.hugeEvent ?? false,
      note: entry?.note ?? 'random mix',
    };
  }
}

/** The session's rrweb events, from its own random stream: the same seed and index always give the same content. */
export function planContent(seed: string, plan: SessionPlan): GeneratedEvent[] {
  return generateSessionContent(
    {
      sessionId: plan.sessionId,
      startMs: plan.startMs,
      durationMs: plan.durationMs,
      windowIds: plan.windowIds,
      platform: plan.platform,
      compressed: plan.compressed,
      rageClicks: plan.rageClicks,
      duplicateEvents: plan.duplicateEvents,
    },
    createRng(`${seed}/content/${plan.index}`),
  );
}
