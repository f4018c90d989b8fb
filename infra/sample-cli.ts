/** `npm run sample -- --sessions N --seed S`: write sample recordings into the running local stack. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Command, InvalidArgumentError } from 'commander';
import type { SampleSummary } from './sample/generate';
import { openChdbClient } from './clickhouse/posthog-schema';
import { generateSample } from './sample/generate';
import { GENERATIONS, SampleOptionsError, parseSampleOptions } from './sample/options';
import { s3ClientForStack } from './stack';
import { requireState } from './state';

function integer(flag: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim()))
      throw new InvalidArgumentError(`${flag} must be a whole number, got ${JSON.stringify(value)}`);
    return Number(value);
  };
}

const program = new Command('sample')
  .description(
    'Write deterministic, PostHog-faithful sample recordings (blob v2, blob v1, legacy) into the local stack',
  )
  .requiredOption('--sessions <n>', 'number of sessions', integer('--sessions'))
  .requiredOption('--seed <seed>', 'seed: the same seed and options give the same recordings')
  .option('--start <YYYY-MM-DD>', 'first UTC day sessions start on', '2026-10-31')
  .option('--days <n>', 'number of days sessions are spread over', integer('--days'), 1)
  .option('--generations <list>', `comma-separated subset of ${GENERATIONS.join(',')}`, GENERATIONS.join(','))
  .option('--out <dir>', 'where manifest.jsonl and summary.json go (default: .stack/samples/<seed>)')
  .option('--json', 'print the summary as JSON')
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(`sample: ${str.replace(/^error: /, '')}`) })
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

interface Flags {
  sessions: number;
  seed: string;
  start: string;
  days: number;
  generations: string;
  out?: string;
  json?: boolean;
}

async function main(): Promise<void> {
  program.parse();
  const flags = program.opts<Flags>();
  const options = parseSampleOptions({
    sessions: flags.sessions,
    seed: flags.seed,
    start: flags.start,
    days: flags.days,
    generations: flags.generations.split(',').map((g) => g.trim()) as never,
  });
  const state = requireState();
  const s3 = s3ClientForStack(state);
  const clickhouse = openChdbClient(state.chdb.dataDir);
  const outDir = flags.out ?? join(state.root, 'samples', options.seed.replace(/[^A-Za-z0-9._-]/g, '_'));
  const started = Date.now();
  const markerKey = `replaylake-samples/${outDir.split('/').pop() ?? 'sample'}/summary.json`;
  try {
    // Metadata rows are appended, so loading the same sample twice would double PostHog's counters: skip instead.
    const existing = await readMarker(s3, state.minio.buckets.posthog, markerKey);
    if (existing && JSON.stringify(existing.options) === JSON.stringify({ ...options, now: existing.options.now })) {
      console.log(
        `sample: ${existing.sessions} sessions for seed ${JSON.stringify(options.seed)} already loaded (manifest ${existing.manifest})`,
      );
      if (flags.json) console.log(JSON.stringify(existing));
      return;
    }
    if (existing)
      throw new SampleOptionsError(
        `seed ${JSON.stringify(options.seed)} was already loaded with other options; pick another seed or run npm run stack:down -- --purge`,
      );
    const summary = await generateSample(
      { s3, bucket: state.minio.buckets.posthog, clickhouse, outDir },
      options,
      (done, total) => {
        if (!flags.json) process.stderr.write(`\rsample: ${done}/${total} sessions`);
      },
    );
    writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
    await s3.send(
      new PutObjectCommand({ Bucket: state.minio.buckets.posthog, Key: markerKey, Body: JSON.stringify(summary) }),
    );
    if (flags.json) console.log(JSON.stringify(summary));
    else {
      process.stderr.write('\n');
      console.log(
        `sample: ${summary.sessions} sessions (${Object.entries(summary.by_generation)
          .map(([g, n]) => `${g} ${n}`)
          .join(', ')}), ` +
          `${summary.events} events, ${summary.batch_files} v2 batch files, ${summary.v1_files} v1 files, ` +
          `${summary.metadata_rows} metadata rows, ${summary.legacy_rows} legacy rows, ` +
          `${(summary.bytes_written / 1e6).toFixed(1)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s; manifest ${summary.manifest}`,
      );
    }
  } finally {
    s3.destroy();
    await clickhouse.close();
  }
}

async function readMarker(s3: S3Client, bucket: string, key: string): Promise<SampleSummary | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse((await res.Body?.transformToString()) ?? '{}') as SampleSummary;
  } catch (err) {
    if (err instanceof NoSuchKey) return undefined;
    throw err;
  }
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`sample: ${err instanceof SampleOptionsError ? message : message.split('\n')[0]}`);
  process.exitCode = err instanceof SampleOptionsError ? 2 : 1;
});
