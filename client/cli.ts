/**
 * `replaylake`: start, watch and verify exports on any Temporal, manage the nightly schedule, run a worker, and run
 * the whole thing on the local stack with `demo`. Configuration is parsed once here (see worker/config.ts).
 *
 * Exit codes: 0 done; 1 failed; 2 bad usage or configuration; 3 verify found problems; 4 completed with errors
 * (some sessions failed or some recorded data was unreadable: see `export_errors`).
 */
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { Client, QueryDefinition, WorkflowHandle } from '@temporalio/client';
import { Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import type { VerifyReport } from '../activities/verify';
import { StartupCheckError, checkConnections } from '../worker/checks';
import type { BackfillInput } from '../workflows/backfill';
import { backfill } from '../workflows/backfill';
import type { ExportTotals, ExportWindowInput } from '../workflows/export-window';
import { exportProgressQuery, exportWindow } from '../workflows/export-window';
import {
  backfillDayWorkflowId,
  backfillWorkflowId,
  exportWorkflowId,
  nightlyWorkflowId,
  scheduleId,
  verifyWorkflowId,
} from '../workflows/ids';
import { backfillProgressQuery } from '../workflows/backfill';
import type { NightlyInput } from '../workflows/nightly';
import { verifyWindow } from '../workflows/verify';
import type { Config } from '../worker/config';
import { ConfigError, exportOptions, loadConfig, redactConfig } from '../worker/config';
import { LOG_FORMATS, LOG_LEVELS, startLogging } from '../worker/log';
import type { Log, LogSettings } from '../worker/log';
import { createWorkerRuntime } from '../worker/runtime';
import { UsageError, parseRange, parseTeams } from './dates';
import type * as Demo from './demo';
import { registerPlayCommand } from './play';
import { connectClient, retrying, rootFailure, startOptions } from './temporal';
import packageJson from '../package.json';

export const EXIT = { ok: 0, failed: 1, usage: 2, verifyProblems: 3, completedWithErrors: 4 } as const;

interface Common {
  json?: boolean;
}

let jsonMode = false;

function out(json: boolean | undefined, value: unknown, human: () => string): void {
  console.log(json ? JSON.stringify(value) : human());
}

/** Progress goes to stderr: a bar on a terminal, a plain line every few seconds otherwise. Results go to stdout. */
function progressReporter(json: boolean | undefined) {
  const tty = process.stderr.isTTY === true && !json;
  const bar = tty
    ? new SingleBar({ format: '{bar} {value}/{total} {label}', hideCursor: true, stream: process.stderr })
    : undefined;
  let started = false;
  let lastLine = 0;
  let lastNote = '';
  return {
    update(done: number, total: number, label: string) {
      if (bar) {
        if (!started) bar.start(Math.max(total, 1), done, { label });
        started = true;
        bar.setTotal(Math.max(total, 1));
        bar.update(done, { label });
      } else if (!json && Date.now() - lastLine >= 5_000) {
        lastLine = Date.now();
        console.error(`progress: ${done}/${total} ${label}`);
      }
    },
    /** A retry in progress: said once per distinct message, so a long outage is one line, not hundreds. */
    note(line: string) {
      if (json || line === lastNote) return;
      lastNote = line;
      if (bar && started) bar.stop();
      started = false;
      console.error(line);
    },
    stop() {
      if (started) bar?.stop();
    },
  };
}

/**
 * After a start: with --no-wait prints the workflow id and returns undefined; otherwise polls the progress query and
 * the retrying activities until the result arrives.
 */
async function follow<H extends WorkflowHandle, P>(
  client: Client,
  handle: H,
  opts: { json?: boolean; wait: boolean },
  query: QueryDefinition<P>,
  view: (p: P) => { done: number; total: number; label: string; children?: string[] },
): Promise<Awaited<ReturnType<H['result']>> | undefined> {
  if (!opts.wait) {
    out(opts.json, { workflowId: handle.workflowId }, () => `started ${handle.workflowId}`);
    return undefined;
  }
  const reporter = progressReporter(opts.json);
  let ticks = 0;
  const timer = setInterval(() => {
    void (async () => {
      const p = await handle.query(query).catch(() => undefined);
      if (p === undefined) return;
      const v = view(p);
      reporter.update(v.done, v.total, v.label);
      if (ticks++ % 3 !== 0) return;
      const handles = [handle, ...(v.children ?? []).map((id) => client.workflow.getHandle(id))];
      for (const h of handles) {
        for (const r of await retrying(h).catch(() => []))
          reporter.note(`retrying ${r.activity} (attempt ${r.attempt}): ${r.message}`);
      }
    })();
  }, 1000);
  try {
    // The constraint's result() is typed any; H's own is the workflow's result type.
    return (await handle.result()) as Awaited<ReturnType<H['result']>>;
  } finally {
    clearInterval(timer);
    reporter.stop();
  }
}

async function withClient<T>(fn: (client: Client, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    return await fn(client, config);
  } finally {
    await client.connection.close();
  }
}

function describeTotals(t: ExportTotals): string {
  return `${t.sessions} sessions (${t.sessionsFailed} failed), ${t.events} events, ${t.errors} problems recorded in export_errors`;
}

/** Exit code of an export that finished: 4 when anything was recorded as unreadable or failed. */
function exitOf(t: ExportTotals): number {
  return t.sessionsFailed > 0 || t.errors > 0 ? EXIT.completedWithErrors : EXIT.ok;
}

const program = new Command('replaylake')
  .description('Export PostHog session replays from self-hosted storage into a Parquet lake you own')
  .version(packageJson.version, '-V, --version', 'print the version')
  // Program options are accepted after any verb (`replaylake export --version`); say so in each verb's help.
  .configureHelp({ showGlobalOptions: true })
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage));

const teamOption = () =>
  new Option('--team <id...>', 'PostHog team (project) id; repeat or comma-separate for several').makeOptionMandatory();

program
  .command('export')
  .description('export whole UTC days [--from, --to) for the given teams; attaches to a run already in progress')
  .addOption(teamOption())
  .requiredOption('--from <YYYY-MM-DD>', 'first day (inclusive)')
  .option('--to <YYYY-MM-DD>', 'day after the last (exclusive); default: --from plus one day')
  .option('--no-wait', 'start and print the workflow id without waiting')
  .option('--json', 'machine-readable output')
  .action(async (opts: Common & { team: string[]; from: string; to?: string; wait: boolean }) => {
    const teams = parseTeams(opts.team);
    const { startMs, endMs } = parseRange(opts.from, opts.to);
    await withClient(async (client, config) => {
      const input: ExportWindowInput = { ...exportOptions(config), teams, startMs, endMs };
      const handle = await client.workflow.start(exportWindow, {
        ...startOptions(config, exportWorkflowId(startMs, endMs, teams)),
        args: [input],
      });
      const result = await follow(client, handle, opts, exportProgressQuery, (p) => ({
        done: p.batchesDone,
        total: p.batchesStarted,
        label: `${p.phase}: ${p.sessions} sessions, ${p.events} events`,
      }));
      if (!result) return;
      out(
        opts.json,
        result,
        () =>
          `exported ${result.windowId}: ${describeTotals(result)}; ${result.partitions} partitions committed ` +
          `(${result.files} files; skipped ${result.deleted} deleted, ${result.unsettled} still live)`,
      );
      process.exitCode = exitOf(result);
    });
  });

program
  .command('backfill')
  .description('export every day of a range, one child workflow per day, a few at a time')
  .addOption(teamOption())
  .requiredOption('--from <YYYY-MM-DD>', 'first day (inclusive)')
  .requiredOption('--to <YYYY-MM-DD>', 'day after the last (exclusive)')
  .option('--concurrency <n>', 'days exported at once', '2')
  .option('--no-wait', 'start and print the workflow id without waiting')
  .option('--json', 'machine-readable output')
  .action(async (opts: Common & { team: string[]; from: string; to: string; concurrency: string; wait: boolean }) => {
    const teams = parseTeams(opts.team);
    const { startMs, endMs } = parseRange(opts.from, opts.to);
    const concurrency = Number(opts.concurrency);
    if (!/^\d+$/.test(opts.concurrency) || concurrency < 1 || concurrency > 100)
      throw new UsageError('--concurrency must be a whole number from 1 to 100');
    await withClient(async (client, config) => {
      const input: BackfillInput = { teams, startMs, endMs, concurrency, export: exportOptions(config) };
      const id = backfillWorkflowId(startMs, endMs, teams);
      const handle = await client.workflow.start(backfill, { ...startOptions(config, id), args: [input] });
      const result = await follow(client, handle, opts, backfillProgressQuery, (p) => ({
        done: p.daysDone,
        total: p.daysTotal,
        label: `days (${p.done.sessions} sessions; running ${p.running.join(', ') || '-'})`,
        children: p.running.map((day) => backfillDayWorkflowId(id, day)),
      }));
      if (!result) return;
      out(
        opts.json,
        result,
        () =>
          `backfilled ${result.done.days} of ${result.daysTotal} days: ${result.done.sessions} sessions ` +
          `(${result.done.sessionsFailed} failed), ${result.done.events} events, ${result.done.errors} problems recorded`,
      );
      process.exitCode = result.done.sessionsFailed > 0 || result.done.errors > 0 ? EXIT.completedWithErrors : EXIT.ok;
    });
  });

program
  .command('verify')
  .description('check committed partitions against their manifests and the source; exit 3 on any problem')
  .addOption(teamOption())
  .requiredOption('--from <YYYY-MM-DD>', 'first day (inclusive)')
  .option('--to <YYYY-MM-DD>', 'day after the last (exclusive); default: --from plus one day')
  .option('--json', 'machine-readable output')
  .action(async (opts: Common & { team: string[]; from: string; to?: string }) => {
    const teams = parseTeams(opts.team);
    const { startMs, endMs } = parseRange(opts.from, opts.to);
    const report = await withClient(async (client, config) =>
      client.workflow.execute(verifyWindow, {
        ...startOptions(config, verifyWorkflowId(startMs, endMs, teams)),
        args: [{ teams, startMs, endMs }],
      }),
    );
    out(opts.json, report, () => describeVerify(report));
    process.exitCode = report.ok ? EXIT.ok : EXIT.verifyProblems;
  });

export function describeVerify(report: VerifyReport): string {
  const lines = report.partitions.map((p) => {
    const recorded =
      p.recorded.failed_sessions + p.recorded.unreadable_blocks > 0
        ? `; recorded: ${p.recorded.failed_sessions} failed sessions, ${p.recorded.unreadable_blocks} unreadable blocks`
        : '';
    return (
      `${p.problems.length === 0 ? 'ok     ' : 'PROBLEM'} ${p.partition}: ${p.sessions.lake} sessions (source ${p.sessions.source ?? '?'}), ` +
      `${p.events.manifest} events, ${p.files.checked} files checked${recorded}${p.problems.map((x) => `\n        ${x}`).join('')}`
    );
  });
  return `${lines.join('\n')}\nverify: ${report.ok ? 'ok' : `${report.problems} problem(s)`}`;
}

program
  .command('status <workflowId>')
  .description("show a run's state, live progress, and why it is retrying")
  .option('--json', 'machine-readable output')
  .action(async (workflowId: string, opts: Common) => {
    await withClient(async (client) => {
      const handle = client.workflow.getHandle(workflowId);
      const d = await handle.describe();
      const running = d.status.name === 'RUNNING';
      const progress: unknown = running ? await handle.query<unknown>('progress').catch(() => null) : null;
      const retries = running ? await retrying(handle).catch(() => []) : [];
      let result: unknown = null;
      let failure: ReturnType<typeof rootFailure> | null = null;
      if (d.status.name === 'COMPLETED') result = await handle.result().catch(() => null);
      if (d.status.name === 'FAILED') failure = await handle.result().then(() => null, rootFailure);
      const view = {
        workflowId,
        type: d.type,
        status: d.status.name,
        startTime: d.startTime,
        closeTime: d.closeTime ?? null,
        progress,
        retrying: retries,
        failure,
        result,
      };
      out(opts.json, view, () =>
        [
          `${workflowId} (${d.type}): ${d.status.name}`,
          ...(progress ? [`progress: ${JSON.stringify(progress)}`] : []),
          ...retries.map((r) => `retrying ${r.activity} (attempt ${r.attempt}): ${r.message}`),
          ...(failure ? [`failed: ${failure.type}: ${failure.message}`] : []),
          ...(result ? [`result: ${JSON.stringify(result)}`] : []),
        ].join('\n'),
      );
      if (failure || d.status.name === 'TERMINATED' || d.status.name === 'TIMED_OUT') process.exitCode = EXIT.failed;
    });
  });

const schedule = program.command('schedule').description('the nightly export schedule (a Temporal Schedule)');
const idOption = () => new Option('--id <scheduleId>', 'schedule id (default: derived from --team)');
function resolveScheduleId(opts: { id?: string; team?: string[] }): string {
  if (opts.id) return opts.id;
  if (opts.team) return scheduleId(parseTeams(opts.team));
  throw new UsageError('give --id <scheduleId> or --team <id>');
}

schedule
  .command('create')
  .description('export the previous settled UTC day every night')
  .addOption(teamOption())
  .option('--at <HH:MM>', 'UTC time of day to run', '01:00')
  .option('--json', 'machine-readable output')
  .action(async (opts: Common & { team: string[]; at: string }) => {
    const teams = parseTeams(opts.team);
    const m = /^(\d{2}):(\d{2})$/.exec(opts.at);
    if (!m || Number(m[1]) > 23 || Number(m[2]) > 59)
      throw new UsageError(`--at must be a UTC time as HH:MM, got ${JSON.stringify(opts.at)}`);
    await withClient(async (client, config) => {
      const input: NightlyInput = { teams, export: exportOptions(config) };
      const id = scheduleId(teams);
      await client.schedule.create({
        scheduleId: id,
        spec: { calendars: [{ hour: Number(m[1]), minute: Number(m[2]), comment: 'nightly replaylake export (UTC)' }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'nightlyExport',
          taskQueue: config.temporal.taskQueue,
          workflowId: nightlyWorkflowId(teams),
          args: [input],
        },
        policies: {
          // A run that overlaps the next (a huge day, a slow lake) must not cost a day: queue one, never run two at once.
          overlap: ScheduleOverlapPolicy.BUFFER_ONE,
          // After an outage, catch up on missed nights for three days; older gaps are a backfill's job.
          catchupWindow: '3 days',
        },
      });
      out(opts.json, { scheduleId: id }, () => `created schedule ${id}: nightly at ${opts.at} UTC`);
    });
  });

for (const [verb, description] of [
  ['describe', 'show the schedule, its next runs and recent actions'],
  ['pause', 'stop starting runs until unpaused'],
  ['unpause', 'resume starting runs'],
  ['trigger', 'start a run now (its window comes from now)'],
  ['delete', 'remove the schedule (running exports continue)'],
] as const) {
  schedule
    .command(verb)
    .description(description)
    .addOption(idOption())
    .option('--team <id...>', 'derive the schedule id from these teams')
    .option('--json', 'machine-readable output')
    .action(async (opts: Common & { id?: string; team?: string[] }) => {
      const id = resolveScheduleId(opts);
      await withClient(async (client) => {
        const handle = client.schedule.getHandle(id);
        if (verb === 'describe') {
          const d = await handle.describe();
          const view = {
            scheduleId: id,
            paused: d.state.paused,
            nextActionTimes: d.info.nextActionTimes,
            recentActions: d.info.recentActions.map((a) => ({
              scheduledAt: a.scheduledAt,
              workflowId: a.action.workflow.workflowId,
            })),
            runningActions: d.info.runningActions.map((a) => a.workflow.workflowId),
          };
          return out(opts.json, view, () => JSON.stringify(view, null, 2));
        }
        if (verb === 'pause') await handle.pause('paused with replaylake schedule pause');
        if (verb === 'unpause') await handle.unpause('unpaused with replaylake schedule unpause');
        if (verb === 'trigger') await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
        if (verb === 'delete') await handle.delete();
        out(opts.json, { scheduleId: id, [verb]: true }, () => `${verb}: ${id}`);
      });
    });
}

/**
 * The options of verbs that run a worker. By default they print only their own lines; the worker's logs (the
 * Temporal SDK's, telemetry events) go where these say (worker/log.ts).
 */
function addLogOptions(command: Command): Command {
  return command
    .addOption(new Option('--log-file <path>', 'append worker and SDK logs to this file').env('REPLAYLAKE_LOG_FILE'))
    .addOption(
      new Option('--log-format <format>', 'log line format')
        .choices(LOG_FORMATS)
        .default('text')
        .env('REPLAYLAKE_LOG_FORMAT'),
    )
    .addOption(
      new Option('--log-level <level>', 'least severe level logged')
        .choices(LOG_LEVELS)
        .default('info')
        .env('REPLAYLAKE_LOG_LEVEL'),
    )
    .option('--verbose', 'write worker and SDK logs to stderr too (otherwise only their warnings and errors)');
}

type LogOptions = Pick<LogSettings, 'verbose'> & {
  logFile?: string;
  logFormat: NonNullable<LogSettings['format']>;
  logLevel: NonNullable<LogSettings['level']>;
};

function openLog(opts: LogOptions): Log {
  return startLogging({ file: opts.logFile, verbose: opts.verbose, format: opts.logFormat, level: opts.logLevel });
}

addLogOptions(
  program
    .command('worker')
    .description(
      'run a worker: checks that it reaches ClickHouse, the blob store and the lake, then polls the task queue; ' +
        'SIGTERM/SIGINT stop it after running activities finish',
    ),
).action(async (opts: LogOptions) => {
  const config = loadConfig();
  const log = openLog(opts);
  /** A line for whoever runs the worker, and the same as an event in the log (not twice on a JSON stderr). */
  const note = (event: string, fields: Record<string, unknown>, line: string) => {
    if (!log.stderrIsJson) console.error(`worker: ${line}`);
    log.event(event, fields);
  };
  try {
    const startedAt = Date.now();
    const redacted = redactConfig(config);
    note('worker_config', { version: packageJson.version, config: redacted }, `config ${JSON.stringify(redacted)}`);
    const runtime = await createWorkerRuntime(config, {
      check: async (connections) => {
        const checks = await checkConnections(connections, {
          clickhouseUrl: config.clickhouse.url,
          database: config.clickhouse.database,
          lakeUri: config.lake.uri,
          sourceEndpoint: config.source.s3.endpoint ?? 'AWS S3',
        });
        note(
          'worker_checks',
          { clickhouse: checks.clickhouse, source: checks.source, lake: checks.lake },
          `ClickHouse ${checks.clickhouse}; blob store ${checks.source}; lake ${checks.lake}`,
        );
      },
    });
    const stop = () => {
      note('worker_stopping', {}, 'shutting down, letting running activities finish');
      runtime.worker.shutdown();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    const { address, namespace, taskQueue } = config.temporal;
    note(
      'worker_polling',
      { address, namespace, task_queue: taskQueue, workflows: runtime.workflows, startup_ms: Date.now() - startedAt },
      `polling ${address} namespace ${namespace} queue ${taskQueue}`,
    );
    await runtime.worker.run();
    await runtime.close();
    note('worker_stopped', {}, 'stopped');
  } finally {
    await log.close();
  }
});

/**
 * The demo runs the local stack (infra/), which needs the repository's dev dependencies (chDB, DuckDB): a clone has
 * them, an installed package does not, and says so in one line.
 */
function loadDemo(): typeof Demo.runDemo {
  try {
    // require, not import(): bin/ registers tsx for CommonJS only, and this file is CommonJS.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./demo') as typeof Demo).runDemo;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new UsageError(
      'demo runs on the local development stack, which this installation does not include; ' +
        'run it from a clone of the repository: npm ci && npm run demo',
    );
  }
}

addLogOptions(
  program
    .command('demo')
    .description('on the local stack: load sample recordings, run the nightly export for the sample day, verify, query')
    .option('--sessions <n>', 'sample sessions to load', '200')
    .option('--json', 'print one JSON object: {"tables": {...}, "verify": {...}, "cookbook": {...}}'),
).action(async (opts: Common & LogOptions & { sessions: string }) => {
  const runDemo = loadDemo();
  const log = openLog(opts);
  try {
    const report = await runDemo({ sessions: Number(opts.sessions), json: opts.json === true });
    if (opts.json) console.log(JSON.stringify(report));
    process.exitCode = report.verify.ok ? EXIT.ok : EXIT.verifyProblems;
  } finally {
    await log.close();
  }
});

registerPlayCommand(program);

program.hook('preAction', (_root, action) => {
  jsonMode = action.opts<Common>().json === true;
});

/** One line for the terminal, or one JSON object under --json, and the exit code the error deserves. */
function report(err: unknown): number {
  let code: number = EXIT.failed;
  let type = err instanceof Error ? err.name : 'Error';
  let message = err instanceof Error ? err.message : String(err);
  if (err instanceof UsageError || err instanceof ConfigError) code = EXIT.usage;
  else if (err instanceof StartupCheckError) code = err.unavailable ? EXIT.failed : EXIT.usage;
  else if (err instanceof Error && err.name === 'WorkflowFailedError') {
    const root = rootFailure(err);
    type = root.type;
    message = `the run failed: ${root.message}`;
    code = root.fatal ? EXIT.usage : EXIT.failed;
  }
  if (jsonMode) console.log(JSON.stringify({ error: { type, message } }));
  else console.error(`replaylake: ${message}`);
  return code;
}

program.parseAsync().catch((err: unknown) => {
  process.exitCode = report(err);
});
