/** `npm run stack:up|down|status`: manage the local stack. */
import { Command } from 'commander';
import { MissingToolError } from './binaries';
import { describeStatus, stackDown, stackRunning, stackStatus, stackUp } from './stack';

const log = (line: string) => console.log(line);

const program = new Command('stack')
  .description('Start, stop and inspect the local Temporal + MinIO + ClickHouse (chDB over HTTP) stack on 127.0.0.1')
  .showHelpAfterError();

program
  .command('up')
  .description('start the stack (idempotent: a running stack is left alone)')
  .action(async () => {
    await stackUp(log);
  });

program
  .command('down')
  .description('stop every stack process')
  .option('--purge', 'also delete the data directories (recordings, workflow history)')
  .action(async (opts: { purge?: boolean }) => {
    await stackDown(log, { purge: opts.purge === true });
  });

program
  .command('status')
  .description('show what is running; exit code 0 when everything runs, 3 otherwise')
  .option('--json', 'machine-readable output (credentials redacted)')
  .action((opts: { json?: boolean }) => {
    const status = stackStatus();
    if (opts.json) {
      const redacted = status.state
        ? {
            ...status.state,
            minio: { ...status.state.minio, secretKey: '***' },
            clickhouse: { ...status.state.clickhouse, password: '***' },
          }
        : null;
      const { temporal, minio, clickhouse } = status;
      console.log(JSON.stringify({ temporal, minio, clickhouse, state: redacted }, null, 2));
    } else {
      for (const line of describeStatus(status)) console.log(line);
    }
    process.exitCode = stackRunning(status) ? 0 : 3;
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof MissingToolError) console.error(`stack: ${err.message}`);
  else console.error(`stack: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
