/**
 * `npm run bench [-- --quick] [-- --only key,key]`: the figures of README's "Performance and memory", each a ratio
 * against a baseline measured in the same run on the same machine, printed as one table and written with the
 * machine's description to bench/results/<date>.json (-quick, -partial for --quick, --only). Not part of `npm test`:
 * nothing here asserts a time; the goals are printed next to the figures.
 *
 * Needs the local stack (`npm run stack:up`): the exports run against its MinIO, a chDB server and a Temporal dev
 * server of their own, and a worker process per run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { floorSeconds, memorySession, processSeconds, stageSeconds, writerSeconds } from './cpu';
import { listingBench } from './listing';
import { loadLongSession, loadSessions, runExport, startBenchStack } from './stack-runs';
import type { RunResult } from './stack-runs';

const MB = 1024 * 1024;

interface Figure {
  key: string;
  measures: string;
  value: string;
  baseline: string;
  ratio: number | null;
  goal: string;
  met: boolean | null;
  detail?: Record<string, unknown>;
}

const program = new Command('bench')
  .option('--quick', 'smaller inputs, under 3 minutes; the 1 GB session is left out')
  .option('--only <keys>', 'comma-separated keys (prefixes) to run')
  .option('--thread-heap-mb <mb>', "the workers' worker.threadHeapMB (default: derived from the buffers)", Number)
  .parse();
const opts = program.opts<{ quick?: boolean; only?: string; threadHeapMb?: number }>();
const heap = opts.threadHeapMb ? { threadHeapMB: opts.threadHeapMb } : {};
const quick = opts.quick === true;
const only = opts.only?.split(',').map((k) => k.trim());
const wanted = (key: string) => !only || only.some((k) => key.startsWith(k));

const SIZES = {
  cpuSessionMB: quick ? 24 : 96,
  listingRows: 5_000_000,
  sessions1x: quick ? 150 : 600,
  manySessions: 10_000,
  manyEvents: quick ? 6 : 40,
};

const figures: Figure[] = [];
const fmt = (n: number, digits = 2) => n.toFixed(digits);
const log = (line: string) => process.stderr.write(`${line}\n`);

function add(f: Figure): void {
  figures.push(f);
  log(`  ${f.key}: ${f.value} (baseline ${f.baseline}) → ${f.ratio === null ? '—' : fmt(f.ratio)}`);
}

async function best<T>(runs: number, f: () => Promise<T> | T, key: (t: T) => number): Promise<T> {
  let out: T | undefined;
  for (let i = 0; i < runs; i++) {
    const r = await f();
    if (out === undefined || key(r) < key(out)) out = r;
  }
  return out!;
}

async function cpuFigures(): Promise<number> {
  log(`building a ${SIZES.cpuSessionMB} MB session in memory from the real posthog-js fixture`);
  const session = memorySession(SIZES.cpuSessionMB * MB);
  const mb = session.bytes / MB;
  // Best of three each, interleaved, so both see the same warm JIT and the same machine noise.
  let floor = Infinity;
  let ours = Infinity;
  for (let i = 0; i < 3; i++) {
    floor = Math.min(floor, floorSeconds(session));
    if (wanted('process_vs_floor')) ours = Math.min(ours, await processSeconds(session, 16));
  }
  if (wanted('process_vs_floor')) {
    const stages = await best(
      2,
      () => stageSeconds(session),
      (s) => Object.values(s).reduce((a, b) => a + b, 0),
    );
    add({
      key: 'process_vs_floor',
      measures: 'per-session CPU path MB/s ÷ floor (snappy + JSON.parse per line + gunzip of cv) MB/s, one thread',
      value: `${fmt(mb / ours, 1)} MB/s`,
      baseline: `${fmt(mb / floor, 1)} MB/s`,
      ratio: floor / ours,
      goal: '≥ 0.8',
      met: floor / ours >= 0.8,
      detail: {
        session_mb: mb,
        stages_vs_floor: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Number(fmt(v / floor))])),
      },
    });
  }
  if (wanted('writer_vs_duckdb')) {
    // Each run times both writers on the same rows; the best of each over the runs.
    const runs = [await writerSeconds(session), await writerSeconds(session)];
    const w = { ours: Math.min(...runs.map((r) => r.ours)), rows: runs[0]!.rows };
    const d = { duckdb: Math.min(...runs.map((r) => r.duckdb)) };
    add({
      key: 'writer_vs_duckdb',
      measures: 'Parquet writing time ÷ DuckDB COPY (zstd, 1 thread) of the same rows',
      value: `${fmt(w.ours)} s`,
      baseline: `${fmt(d.duckdb)} s`,
      ratio: w.ours / d.duckdb,
      goal: '≤ 1.2',
      met: w.ours / d.duckdb <= 1.2,
      detail: { rows: w.rows },
    });
  }
  return mb / floor;
}

async function listingFigure(): Promise<void> {
  log(`filling a chDB table with ${SIZES.listingRows.toLocaleString('en')} metadata rows over 60 days`);
  const r = await listingBench(SIZES.listingRows);
  add({
    key: 'listing_day_page_ms',
    measures: 'one listing page (1000 sessions of one day) at 5M rows / 60 days; rows read (EXPLAIN ESTIMATE)',
    value: `${fmt(r.pageMs, 0)} ms, ${r.listingRowsRead.toLocaleString('en')} rows read`,
    baseline: `${r.tableRows.toLocaleString('en')} rows in table, ${r.scanDaysRows.toLocaleString('en')} in the 3 days scanned`,
    ratio: r.listingRowsRead / r.tableRows,
    goal: 'rows read ∝ one day',
    met: r.listingRowsRead <= 2 * r.scanDaysRows,
    detail: { ...r },
  });
}

async function stackFigures(floorMBs: number): Promise<void> {
  const stack = await startBenchStack();
  try {
    const sizes: Array<[string, number]> = [
      ['rss_session_10mb', 10],
      ['rss_session_100mb', 100],
      ['rss_session_1gb', 1024],
    ];
    const rss: Record<string, RunResult> = {};
    for (const [i, [key, size]] of sizes.entries()) {
      if (!wanted(key)) continue;
      if (quick && size > 100) {
        add({
          key,
          measures: `worker peak RSS − idle, one ${size} MB session`,
          value: 'left out by --quick',
          baseline: '—',
          ratio: null,
          goal: '≤ 512 MB',
          met: null,
        });
        continue;
      }
      const team = 11 + i;
      log(`loading one ${size} MB session`);
      const bytes = await loadLongSession(stack, team, size * MB);
      const run = await runExport(stack, [team], { decodeThreads: 2, batchSize: 200, parallelism: 4, ...heap });
      rss[key] = run;
      add({
        key,
        measures: `worker peak RSS − idle, one ${size} MB session`,
        value: `${fmt(run.rssGrowthMB, 0)} MB`,
        baseline: `idle ${fmt(run.idleRssMB, 0)} MB`,
        ratio: null,
        goal: '≤ 512 MB',
        met: run.rssGrowthMB <= 512,
        detail: { bytes, seconds: run.seconds, mb_s: bytes / MB / run.seconds },
      });
    }
    const small = rss['rss_session_10mb'];
    const large = rss['rss_session_1gb'] ?? rss['rss_session_100mb'];
    if (small && large && large !== small) {
      const ratio = large.rssGrowthMB / small.rssGrowthMB;
      const f = figures.find((x) => x.key === (rss['rss_session_1gb'] ? 'rss_session_1gb' : 'rss_session_100mb'))!;
      f.ratio = ratio;
      f.baseline += `; ÷ 10 MB session's ${fmt(small.rssGrowthMB, 0)} MB`;
      f.goal += ', ÷ 10 MB ≤ 1.5';
      f.met = f.met === true && ratio <= 1.5;
    }

    if (wanted('rss_10k_sessions')) {
      log(`loading ${SIZES.manySessions.toLocaleString('en')} sessions`);
      const bytes = await loadSessions(stack, 31, SIZES.manySessions, SIZES.manyEvents);
      const run = await runExport(stack, [31], { decodeThreads: 2, batchSize: 200, parallelism: 4, ...heap });
      if (run.sessions !== SIZES.manySessions) throw new Error(`exported ${run.sessions} of ${SIZES.manySessions}`);
      add({
        key: 'rss_10k_sessions',
        measures: 'worker peak RSS − idle, a window of 10k sessions',
        value: `${fmt(run.rssGrowthMB, 0)} MB`,
        baseline: `idle ${fmt(run.idleRssMB, 0)} MB`,
        ratio: null,
        goal: '≤ 512 MB',
        met: run.rssGrowthMB <= 512,
        detail: { bytes, seconds: run.seconds, sessions_s: run.sessions / run.seconds },
      });
    }

    if (['e2e_vs_floor', 'scale_2x_sessions', 'scale_threads'].some(wanted)) {
      log(`loading 2 × ${SIZES.sessions1x} sessions of the whole fixture`);
      const a = await loadSessions(stack, 21, SIZES.sessions1x, Number.MAX_SAFE_INTEGER);
      const b = await loadSessions(stack, 22, SIZES.sessions1x, Number.MAX_SAFE_INTEGER);
      const settings = { batchSize: 25, parallelism: 4, ...heap };
      const one = await runExport(stack, [21], { decodeThreads: 2, ...settings });
      const two = await runExport(stack, [21, 22], { decodeThreads: 2, ...settings });
      const single = wanted('scale_threads') ? await runExport(stack, [21], { decodeThreads: 1, ...settings }) : null;
      const e2e = (a + b) / MB / two.seconds;
      add({
        key: 'e2e_vs_floor',
        measures: 'exportWindow MB/s of rrweb (Temporal, MinIO, chDB, 2 decode threads) ÷ (floor × 2)',
        value: `${fmt(e2e, 1)} MB/s`,
        baseline: `${fmt(floorMBs * 2, 1)} MB/s`,
        ratio: e2e / (floorMBs * 2),
        goal: '≥ 0.5',
        met: e2e / (floorMBs * 2) >= 0.5,
        detail: { bytes: a + b, sessions: two.sessions, seconds: two.seconds, rss_growth_mb: two.rssGrowthMB },
      });
      add({
        key: 'scale_2x_sessions',
        measures: `time for 2 × ${SIZES.sessions1x} sessions ÷ time for ${SIZES.sessions1x}`,
        value: `${fmt(two.seconds, 1)} s`,
        baseline: `${fmt(one.seconds, 1)} s`,
        ratio: two.seconds / one.seconds,
        goal: '≤ 2.1',
        met: two.seconds / one.seconds <= 2.1,
      });
      if (single)
        add({
          key: 'scale_threads',
          measures: 'throughput with 2 decode threads ÷ with 1',
          value: `${fmt(a / MB / one.seconds, 1)} MB/s`,
          baseline: `${fmt(a / MB / single.seconds, 1)} MB/s`,
          ratio: single.seconds / one.seconds,
          goal: '≥ 1.7',
          met: single.seconds / one.seconds >= 1.7,
        });
    }
  } finally {
    await stack.close();
  }
}

function machine() {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout (an npm pack); the figures still stand.
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gb: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    commit,
  };
}

function table(): string {
  const rows = figures.map(
    (f) =>
      `| \`${f.key}\` | ${f.value} | ${f.baseline} | ${f.ratio === null ? '—' : fmt(f.ratio)} | ${f.goal} | ${
        f.met === null ? '—' : f.met ? 'met' : 'not met'
      } |`,
  );
  return ['| key | value | baseline (same run) | ratio | goal | |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`replaylake bench${quick ? ' --quick' : ''}`);
  const floorMBs = await cpuFigures();
  if (wanted('listing')) await listingFigure();
  const stackKeys = ['rss_session_10mb', 'rss_session_100mb', 'rss_session_1gb', 'rss_10k_sessions', 'e2e_vs_floor'];
  if ([...stackKeys, 'scale_2x_sessions', 'scale_threads'].some(wanted)) await stackFigures(floorMBs);
  const result = {
    date: new Date().toISOString(),
    quick,
    seconds: Math.round((Date.now() - started) / 1000),
    machine: machine(),
    sizes: SIZES,
    ...(opts.threadHeapMb ? { thread_heap_mb: opts.threadHeapMb } : {}),
    figures: Object.fromEntries(figures.map(({ key, ...rest }) => [key, rest])),
  };
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  // A partial run (--only) never replaces the day's full figures.
  const file = join(dir, `${result.date.slice(0, 10)}${quick ? '-quick' : ''}${only ? '-partial' : ''}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${table()}\n\n${JSON.stringify(result)}\n`);
  log(`written to ${file} (${result.seconds} s)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
