/**
 * The local viewer server, on 127.0.0.1 only. `/session/<id>` is the page for any session of the lake; its data
 * (`/session/<id>/data.json`) is read from the lake on every request, so a reload shows a re-exported session and a
 * failure shows on the page as well as in the terminal.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { LakeStore } from '../../activities/lake-store';
import type { PayloadError } from '../../viewer/payload';
import { PlayError, loadSession } from './load';
import { loadAssets, servedPage } from './page';

export interface PlayServer {
  url: string;
  close(): Promise<void>;
}

export function sessionPath(sessionId: string): string {
  return `/session/${encodeURIComponent(sessionId)}`;
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  let bytes = Buffer.from(body);
  const headers: Record<string, string> = {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  };
  if (bytes.byteLength > 1024 && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
    bytes = gzipSync(bytes);
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = String(bytes.byteLength);
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

const PLAY_ERROR_STATUS = { 'unknown-session': 404, 'missing-blob': 502, corrupt: 502 } as const;

export async function startPlayServer(opts: {
  store: LakeStore;
  sessionId: string;
  port?: number;
  /** Where failures to load a session are reported besides the page. */
  log: (line: string) => void;
}): Promise<PlayServer> {
  const assets = await loadAssets();
  const files: Record<string, [string, string]> = {
    '/assets/rrweb-player.js': ['text/javascript; charset=utf-8', assets.playerJs],
    '/assets/rrweb-player.css': ['text/css; charset=utf-8', assets.playerCss],
    '/assets/viewer.js': ['text/javascript; charset=utf-8', assets.viewerJs],
    '/assets/viewer.css': ['text/css; charset=utf-8', assets.viewerCss],
  };
  let origin = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A page on another site could make the browser resolve its own host name to 127.0.0.1 (DNS rebinding) and read
    // recordings; only requests addressed to this server by its own host and port are answered.
    const host = req.headers.host ?? '';
    if (host !== new URL(origin).host && host !== `localhost:${new URL(origin).port}`)
      return send(req, res, 421, 'text/plain; charset=utf-8', 'misdirected request\n');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(req, res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
    const path = new URL(req.url ?? '/', origin).pathname;
    if (path === '/') {
      res.writeHead(302, { location: sessionPath(opts.sessionId) });
      res.end();
      return;
    }
    const file = files[path];
    if (file) return send(req, res, 200, file[0], file[1]);
    const m = /^\/session\/([^/]+)(\/data\.json)?$/.exec(path);
    const id = m ? decodeURIComponent(m[1] ?? '') : '';
    if (!m || id === '') return send(req, res, 404, 'text/plain; charset=utf-8', 'not found\n');
    if (!m[2]) return send(req, res, 200, 'text/html; charset=utf-8', servedPage(id, `${sessionPath(id)}/data.json`));
    try {
      const payload = await loadSession(opts.store, id);
      return send(req, res, 200, 'application/json', JSON.stringify(payload));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      opts.log(message);
      const body: PayloadError = { error: message };
      const status = err instanceof PlayError ? PLAY_ERROR_STATUS[err.kind] : 500;
      return send(req, res, status, 'application/json', JSON.stringify(body));
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.log(err instanceof Error ? err.message : String(err));
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}${sessionPath(opts.sessionId)}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
