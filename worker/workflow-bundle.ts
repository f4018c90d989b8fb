/**
 * The workflow code a worker runs. Temporal runs workflows from one webpack bundle of workflows/; building it when a
 * worker starts costs about a second and 100 MB of memory (deploy/README.md, "Start-up"). A package built with
 * `npm pack` carries the bundle prebuilt: `prepack` writes dist/ and `postpack` removes it again, so a clone keeps
 * bundling its current sources at start-up and never runs a bundle left over from an earlier pack. A prebuilt bundle
 * is used only when it was built from exactly these workflow sources and these Temporal SDK versions; anything else
 * falls back to bundling, which is always correct.
 *
 * `tsx worker/workflow-bundle.ts write|clean` is what the pack scripts run.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkerOptions } from '@temporalio/worker';

const ROOT = join(__dirname, '..');
export const WORKFLOWS_PATH = join(ROOT, 'workflows', 'index.ts');
export const BUNDLE_DIR = join(ROOT, 'dist');
const BUNDLE_FILE = 'workflow-bundle.js';
const META_FILE = 'workflow-bundle.json';

/** What the bundle is built from here: workflows import only common/ and activity types (lint enforces it). */
const SOURCE_DIRS = ['workflows', 'common'];
/** The SDK's part of the bundle must match the worker that loads it. */
const SDK_PACKAGES = ['@temporalio/workflow', '@temporalio/common', '@temporalio/worker'];

export type WorkflowCode =
  | { source: 'prebuilt'; options: Required<Pick<WorkerOptions, 'workflowBundle'>> }
  | { source: 'webpack'; options: Required<Pick<WorkerOptions, 'workflowsPath'>> };

/** SHA-256 over the workflow sources and the SDK versions installed beside them. */
export function workflowSourceDigest(root = ROOT): string {
  const hash = createHash('sha256');
  for (const dir of SOURCE_DIRS) {
    for (const name of readdirSync(join(root, dir))
      .filter((n) => n.endsWith('.ts'))
      .sort()) {
      hash
        .update(`${dir}/${name}\0`)
        .update(readFileSync(join(root, dir, name)))
        .update('\0');
    }
  }
  for (const pkg of SDK_PACKAGES) {
    const { version } = JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string };
    hash.update(`${pkg}@${version}\0`);
  }
  return hash.digest('hex');
}

/** The prebuilt bundle when it matches the sources, else the workflows path for the worker to bundle. */
export function workflowCode(dir = BUNDLE_DIR): WorkflowCode {
  const meta = join(dir, META_FILE);
  const code = join(dir, BUNDLE_FILE);
  if (existsSync(meta) && existsSync(code)) {
    const { digest } = JSON.parse(readFileSync(meta, 'utf8')) as { digest?: string };
    if (digest === workflowSourceDigest())
      return { source: 'prebuilt', options: { workflowBundle: { codePath: code } } };
  }
  return { source: 'webpack', options: { workflowsPath: WORKFLOWS_PATH } };
}

/** Bundles workflows/ the way Worker.create would and records what it was built from. */
export async function writeWorkflowBundle(dir = BUNDLE_DIR): Promise<{ path: string; bytes: number }> {
  // Webpack's statistics are noise in `npm pack` output; its warnings and errors still show.
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  mkdirSync(dir, { recursive: true });
  const path = join(dir, BUNDLE_FILE);
  writeFileSync(path, code);
  writeFileSync(join(dir, META_FILE), `${JSON.stringify({ digest: workflowSourceDigest() })}\n`);
  return { path, bytes: Buffer.byteLength(code) };
}

export function removeWorkflowBundle(dir = BUNDLE_DIR): void {
  rmSync(join(dir, BUNDLE_FILE), { force: true });
  rmSync(join(dir, META_FILE), { force: true });
  if (existsSync(dir) && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

if (require.main === module) {
  const verb = process.argv[2];
  if (verb === 'write') {
    writeWorkflowBundle().then(
      ({ path, bytes }) => console.error(`workflow bundle: ${path} (${(bytes / 1024 / 1024).toFixed(2)} MB)`),
      (err: unknown) => {
        console.error(err);
        process.exitCode = 1;
      },
    );
  } else if (verb === 'clean') removeWorkflowBundle();
  else {
    console.error('usage: tsx worker/workflow-bundle.ts write|clean');
    process.exitCode = 2;
  }
}
