/**
 * `replaylake`: start, watch and verify exports on any Temporal, manage the nightly schedule, run a worker, and run
 * the whole thing on the local stack with `demo`. Configuration is parsed once here (see worker/config.ts).
 *
 * Exit codes: 0 done, 1 failed, 2 bad usage or configuration, 3 verify found problems.
 */
import { ScheduleOverlapPolicy, WorkflowFailedError } from '@temporalio/client';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Command, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import type { VerifyReport } from '../activities/verify';
import type { BackfillInput, BackfillProgress } from '../workflows/backfill';
import { exportWorkflowId } from '../workflows/backfill';
import type { ExportProgress, ExportWindowInput, ExportWindowResult } from '../workflows/export-window';
import type { NightlyInput } from '../workflows/nightly';
import { exportWindowId } from '../workflows/window';
import type { Config } from '../worker/config';
import { ConfigError, loadConfig, redactConfig } from '../worker/config';
import { createWorkerRuntime } from '../worker/runtime';
import { UsageError, parseRange, parseTeams } from './dates';
import { runDemo } from './demo';
import { registerPlayCommand } from './play';
import { START_POLICIES, connectClient } from './temporal';

const EXIT = { ok: 0, failed: 1, usage: 2, verifyProblems: 3 } as const;

interface Common {
  json?: boolean;
}

function out(json: boolean | undefined, value: unknown, human: () => string): void {
  console.log(json ? JSON.stringify(value) : human());
}

/** Polls a workflow's `progress` query into a progress bar (on a terminal) until the result arrives. */
async function follow<R, P>(
  handle: WorkflowHandle,
  json: boolean | undefined,
  view: (p: P) => { done: number; total: number; label: string },
): Promise<R> {
  const bar =
    !json && process.stderr.isTTY
      ? new SingleBar({ format: '{bar} {value}/{total} {label}', hideCursor: true, stream: process.stderr })
      : undefined;
  let started = false;
  const timer = setInterval(() => {
    handle
      .query<P>('progress')
      .then((p) => {
        const v = view(p);
        if (!bar) return;
        if (!started) bar.start(Math.max(v.total, 1), v.done, { label: v.label });
        started = true;
        bar.setTotal(Math.max(v.total, 1));
        bar.update(v.done, { label: v.label });
      })
      .catch(() => undefined);
  }, 1000);
  try {
    return (await handle.result()) as R;
  } finally {
    clearInterval(timer);
    if (started) bar?.stop();
  }
}

function exportInput(config: Config, teams: number[], startMs: number, endMs: number): ExportWindowInput {
  return {
    teams,
    startMs,
    endMs,
    settleHours: config.export.settleHours,
    batchSize: config.export.batchSize,
    parallelism: config.export.parallelism,
  };
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

const program = new Command('replaylake')
  .description('Export PostHog session replays from self-hosted storage into a Parquet lake you own')
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
      const windowId = exportWindowId(startMs, endMs, teams);
      const handle = await client.workflow.start('exportWindow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: exportWorkflowId(windowId),
        args: [exportInput(config, teams, startMs, endMs)],
        ...START_POLICIES,
      });
      if (!opts.wait) return out(opts.json, { workflowId: handle.workflowId }, () => `started ${handle.workflowId}`);
      const result = await follow<ExportWindowResult, ExportProgress>(handle, opts.json, (p) => ({
        done: p.batchesDone,
        total: p.batchesStarted,
        label: `${p.phase}: ${p.sessions} sessions, ${p.events} events`,
      }));
      out(
        opts.json,
        result,
        () =>
          `exported ${result.windowId}: ${result.sessions} sessions, ${result.events} events, ${result.errors} errors recorded, ` +
          `${result.partitions} partitions committed (${result.files} files; skipped ${result.deleted} deleted, ${result.unsettled} still live)`,
      );
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
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100)
      throw new UsageError('--concurrency must be a whole number from 1 to 100');
    await withClient(async (client, config) => {
      const { settleHours, batchSize, parallelism } = exportInput(config, teams, startMs, endMs);
      const input: BackfillInput = { teams, startMs, endMs, settleHours, batchSize, parallelism, concurrency };
      const handle = await client.workflow.start('backfill', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `replaylake/backfill/${exportWindowId(startMs, endMs, teams)}`,
        args: [input],
        ...START_POLICIES,
      });
      if (!opts.wait) return out(opts.json, { workflowId: handle.workflowId }, () => `started ${handle.workflowId}`);
      const result = await follow<BackfillProgress, BackfillProgress>(handle, opts.json, (p) => ({
        done: p.daysDone,
        total: p.daysTotal,
        label: `days (${p.done.sessions} sessions; running ${p.running.join(', ') || '-'})`,
      }));
      out(
        opts.json,
        result,
        () =>
          `backfilled ${result.done.days} of ${result.daysTotal} days: ${result.done.sessions} sessions, ${result.done.events} events`,
      );
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
    const report = await withClient(
      async (client, config) =>
        client.workflow.execute('verifyWindow', {
          taskQueue: config.temporal.taskQueue,
          workflowId: `replaylake/verify/${exportWindowId(startMs, endMs, teams)}`,
          args: [{ teams, startMs, endMs }],
          ...START_POLICIES,
        }) as Promise<VerifyReport>,
    );
    out(opts.json, report, () => describeVerify(report));
    process.exitCode = report.ok ? EXIT.ok : EXIT.verifyProblems;
  });

export function describeVerify(report: VerifyReport): string {
  const lines = report.partitions.map(
    (p) =>
      `${p.problems.length === 0 ? 'ok     ' : 'PROBLEM'} ${p.partition}: ${p.sessions.lake} sessions (source ${p.sessions.source ?? '?'}), ` +
      `${p.events.manifest} events, ${p.files.checked} files checked${p.problems.map((x) => `\n        ${x}`).join('')}`,
  );
  return `${lines.join('\n')}\nverify: ${report.ok ? 'ok' : `${report.problems} problem(s)`}`;
}

program
  .command('status <workflowId>')
  .description("show a run's state and live progress")
  .option('--json', 'machine-readable output')
  .action(async (workflowId: string, opts: Common) => {
    await withClient(async (client) => {
      const handle = client.workflow.getHandle(workflowId);
      const d = await handle.describe();
      const progress: unknown =
        d.status.name === 'RUNNING' ? await handle.query<unknown>('progress').catch(() => null) : null;
      const result: unknown = d.status.name === 'COMPLETED' ? await handle.result().catch(() => null) : null;
      const view = {
        workflowId,
        type: d.type,
        status: d.status.name,
        startTime: d.startTime,
        closeTime: d.closeTime ?? null,
        progress,
        result,
      };
      out(
        opts.json,
        view,
        () =>
          `${workflowId} (${d.type}): ${d.status.name}${progress ? `\nprogress: ${JSON.stringify(progress)}` : ''}${result ? `\nresult: ${JSON.stringify(result)}` : ''}`,
      );
      if (d.status.name === 'FAILED' || d.status.name === 'TERMINATED' || d.status.name === 'TIMED_OUT')
        process.exitCode = EXIT.failed;
    });
  });

const schedule = program.command('schedule').description('the nightly export schedule (a Temporal Schedule)');
const scheduleId = (teams: number[]) => `replaylake-nightly-teams-${teams.join('-')}`;
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
      const input: NightlyInput = {
        teams,
        settleHours: config.export.settleHours,
        batchSize: config.export.batchSize,
        parallelism: config.export.parallelism,
      };
      const id = scheduleId(teams);
      await client.schedule.create({
        scheduleId: id,
        spec: { calendars: [{ hour: Number(m[1]), minute: Number(m[2]), comment: 'nightly replaylake export (UTC)' }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'nightlyExport',
          taskQueue: config.temporal.taskQueue,
          workflowId: `replaylake/nightly/teams-${teams.join('-')}`,
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

program
  .command('worker')
  .description('run a worker: polls the task queue, runs exports; stops gracefully on SIGTERM/SIGINT')
  .action(async () => {
    const config = loadConfig();
    console.error(`worker: config ${JSON.stringify(redactConfig(config))}`);
    const runtime = await createWorkerRuntime(config);
    const stop = () => {
      console.error('worker: shutting down, letting running activities finish');
      runtime.worker.shutdown();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    console.error(
      `worker: polling ${config.temporal.address} namespace ${config.temporal.namespace} queue ${config.temporal.taskQueue}`,
    );
    await runtime.worker.run();
    await runtime.close();
    console.error('worker: stopped');
  });

program
  .command('demo')
  .description('on the local stack: load sample recordings, run the nightly export for the sample day, verify, query')
  .option('--sessions <n>', 'sample sessions to load', '200')
  .option('--json', 'print one JSON object: {"tables": {...}, "verify": {...}, "cookbook": {...}}')
  .action(async (opts: Common & { sessions: string }) => {
    const report = await runDemo({ sessions: Number(opts.sessions), json: opts.json === true });
    if (opts.json) console.log(JSON.stringify(report));
    process.exitCode = report.verify.ok ? EXIT.ok : EXIT.verifyProblems;
  });

registerPlayCommand(program);

program.parseAsync().catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof ConfigError) {
    console.error(`replaylake: ${err.message}`);
    process.exitCode = EXIT.usage;
  } else if (err instanceof WorkflowFailedError) {
    const cause = err.cause instanceof Error ? err.cause.message : String(err.cause);
    console.error(`replaylake: workflow failed: ${cause}`);
    process.exitCode = EXIT.failed;
  } else {
    console.error(`replaylake: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = EXIT.failed;
  }
});
