/**
 * The viewer page: the stock rrweb-player from npm (its UMD build and stylesheet, unchanged) plus viewer/main.ts,
 * bundled once per process with esbuild. The server links the assets; an exported file inlines them together with the
 * session, gzip-compressed, so it opens from disk with no network at all.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { ReplayPayload } from '../../viewer/payload';

export interface Assets {
  playerJs: string;
  playerCss: string;
  viewerJs: string;
  viewerCss: string;
}

const VIEWER_DIR = join(__dirname, '..', '..', 'viewer');

/** Source-map comments would make browsers fetch maps that neither the server nor an exported file has. */
function withoutSourceMap(text: string): string {
  return text
    .replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '\n')
    .replace(/\n?\/\*# sourceMappingURL=\S+ \*\/\s*$/, '\n');
}

let assets: Promise<Assets> | undefined;

export function loadAssets(): Promise<Assets> {
  assets ??= (async () => {
    // rrweb-player's package exports hide dist/ except the CJS entry, so its UMD build is found beside that entry.
    const dist = dirname(require.resolve('rrweb-player'));
    const bundle = await build({
      entryPoints: [join(VIEWER_DIR, 'main.ts')],
      tsconfig: join(VIEWER_DIR, 'tsconfig.json'),
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    return {
      playerJs: withoutSourceMap(readFileSync(join(dist, 'rrweb-player.umd.min.cjs'), 'utf8')),
      playerCss: withoutSourceMap(readFileSync(join(dist, 'style.min.css'), 'utf8')),
      viewerJs: bundle.outputFiles[0]?.text ?? '',
      viewerCss: readFileSync(join(VIEWER_DIR, 'viewer.css'), 'utf8'),
    };
  })();
  return assets;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Inline scripts end at the first `</script`; `<\/` means the same inside JavaScript strings and regexes. */
function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

function inlineStyle(css: string): string {
  return css.replace(/<\/(style)/gi, '<\\/$1');
}

function shell(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
${head}
</head>
<body>
<div id="app" class="loading">Loading session…</div>
${body}
</body>
</html>
`;
}

/** The served page: assets by URL, the session fetched from `dataUrl` so a reload reads the lake again. */
export function servedPage(sessionId: string, dataUrl: string): string {
  return shell(
    `replaylake · ${sessionId}`,
    '<link rel="stylesheet" href="/assets/rrweb-player.css">\n<link rel="stylesheet" href="/assets/viewer.css">',
    `<script id="replaylake-source" type="application/json">${inlineScript(JSON.stringify({ url: dataUrl }))}</script>
<script src="/assets/rrweb-player.js"></script>
<script src="/assets/viewer.js"></script>`,
  );
}

/** One self-contained file: player, styles and the session (gzip, base64) inline. */
export async function exportedPage(payload: ReplayPayload): Promise<string> {
  const a = await loadAssets();
  const data = gzipSync(Buffer.from(JSON.stringify(payload)), { level: 9 }).toString('base64');
  return shell(
    `replaylake · ${payload.session.sessionId}`,
    `<style>${inlineStyle(a.playerCss)}</style>\n<style>${inlineStyle(a.viewerCss)}</style>`,
    `<script id="replaylake-data" type="application/octet-stream" data-encoding="gzip+base64">${data}</script>
<script>${inlineScript(a.playerJs)}</script>
<script>${inlineScript(a.viewerJs)}</script>`,
  );
}
