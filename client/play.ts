/**
 * `replaylake play <session_id>`: replay one exported session from the lake in a browser with the stock rrweb-player,
 * either served on 127.0.0.1 until Ctrl-C or written as one self-contained HTML file (`--export`).
 *
 * A session that cannot be played (unknown id, missing or corrupt blob) fails before anything is served or written:
 * exit 1 and one line naming the object.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { openLakeStore } from '../activities/lake-store';
import type { LakeStore } from '../activities/lake-store';
import { loadConfig } from '../worker/config';
import { s3ClientConfig } from '../activities/connections';
import { UsageError } from './dates';
import { loadSession } from './play/load';
import { exportedPage } from './play/page';
import { startPlayServer } from './play/server';

interface PlayOptions {
  lake?: string;
  export?: string;
  port?: string;
}

/** A local lake needs no configuration at all; an S3 lake takes its endpoint and credentials from the config. */
function openLake(lake: string | undefined): LakeStore {
  if (lake !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(lake)) {
    if (!existsSync(lake)) throw new UsageError(`--lake ${lake}: no such directory (or give a file:// or s3:// URI)`);
    return openLakeStore(pathToFileURL(resolve(lake)).href, undefined);
  }
  if (lake?.startsWith('file://')) return openLakeStore(lake, undefined);
  if (lake !== undefined && !lake.startsWith('s3://'))
    throw new UsageError(`--lake must be a directory, file:// or s3:// URI, got ${JSON.stringify(lake)}`);
  // Playing reads the lake only: stand-ins satisfy the ClickHouse and source settings so that a machine configured
  // for nothing but the lake can play; the rest of the returned config is never used.
  const config = loadConfig(process.env, {
    clickhouse: { url: 'http://unused-by-play.invalid' },
    source: { s3: {} },
    ...(lake ? { lake: { uri: lake } } : {}),
  });
  return openLakeStore(config.lake.uri, config.lake.s3 ? s3ClientConfig(config.lake.s3) : undefined);
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--port must be a whole number from 1 to 65535, got ${JSON.stringify(value)}`);
  return port;
}

function waitForStopSignal(): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function registerPlayCommand(program: Command): void {
  program
    .command('play <session_id>')
    .description('replay a session from the lake in the browser (served on 127.0.0.1), or --export it as one HTML file')
    .option(
      '--lake <uri>',
      'lake to read: file:///dir, s3://bucket/prefix or a directory (default: the configured lake)',
    )
    .option('--export <file>', 'write one self-contained HTML file that plays offline instead of serving')
    .option('--port <n>', 'port to serve on (default: a free one)')
    .action(async (sessionId: string, opts: PlayOptions) => {
      const port = parsePort(opts.port);
      if (sessionId.trim() === '') throw new UsageError('give a session id');
      const store = openLake(opts.lake);
      try {
        const payload = await loadSession(store, sessionId);
        if (opts.export !== undefined) {
          const html = await exportedPage(payload);
          await writeFile(opts.export, html);
          const kib = Math.ceil(Buffer.byteLength(html) / 1024);
          console.log(`wrote ${opts.export} (${kib} KiB): session ${sessionId}, opens offline in any browser`);
          return;
        }
        const server = await startPlayServer({
          store,
          sessionId,
          ...(port !== undefined ? { port } : {}),
          log: (line) => console.error(`replaylake: ${line}`),
        });
        console.log(`playing session ${sessionId} at ${server.url} (Ctrl-C to stop)`);
        await waitForStopSignal();
        await server.close();
      } finally {
        store.close();
      }
    });
}
