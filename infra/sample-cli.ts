/** `npm run sample -- --sessions N --seed S`: write sample recordings into the running local stack. */
import { Command, InvalidArgumentError } from 'commander';
import { loadSample } from './sample/load';
import { GENERATIONS, SampleOptionsError, parseSampleOptions } from './sample/options';
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
  // One line per error, no help dump: scripts and people both read the first line.
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
  const started = Date.now();
  const { summary, alreadyLoaded } = await loadSample(state, options, {
    ...(flags.out ? { outDir: flags.out } : {}),
    onProgress: (done, total) => {
      if (!flags.json && process.stderr.isTTY) process.stderr.write(`\rsample: ${done}/${total} sessions`);
    },
  });
  if (!flags.json && process.stderr.isTTY && !alreadyLoaded) process.stderr.write('\n');
  if (flags.json) console.log(JSON.stringify({ ...summary, alreadyLoaded }));
  else if (alreadyLoaded)
    console.log(
      `sample: ${summary.sessions} sessions for seed ${JSON.stringify(options.seed)} already loaded (manifest ${summary.manifest})`,
    );
  else {
    console.log(
      `sample: ${summary.sessions} sessions (${Object.entries(summary.by_generation)
        .map(([g, n]) => `${g} ${n}`)
        .join(', ')}), ` +
        `${summary.events} events, ${summary.batch_files} v2 batch files, ${summary.v1_files} v1 files, ` +
        `${summary.metadata_rows} metadata rows, ${summary.legacy_rows} legacy rows, ` +
        `${(summary.bytes_written / 1e6).toFixed(1)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s; manifest ${summary.manifest}`,
    );
  }
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`sample: ${err instanceof SampleOptionsError ? message : message.split('\n')[0]}`);
  process.exitCode = err instanceof SampleOptionsError ? 2 : 1;
});
