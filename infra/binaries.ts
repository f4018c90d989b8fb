/**
 * Finds or builds the two server binaries the local stack runs. A binary already on PATH wins; otherwise it is built
 * once with `go install` into a per-user cache that outlives clones, so CI and later runs start in seconds.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface BinarySpec {
  /** Executable name on PATH and in the cache. */
  readonly name: string;
  /** Go package and pinned version for `go install`. */
  readonly goPackage: string;
  readonly version: string;
  /** Rough cold build time on 2 cores, shown while building. */
  readonly coldBuild: string;
}

export const TEMPORAL_CLI: BinarySpec = {
  name: 'temporal',
  goPackage: 'github.com/temporalio/cli/cmd/temporal',
  // Later tags carry a replace directive in go.mod, which `go install pkg@version` refuses.
  version: 'v1.5.1',
  coldBuild: '~3 min',
};

export const MINIO: BinarySpec = {
  name: 'minio',
  goPackage: 'github.com/minio/minio',
  // The last commit published to the Go module proxy (2026-02-12); MinIO tags are not semver, so pin the pseudo-version.
  version: 'v0.0.0-20260212201848-7aac2a2c5b7c',
  coldBuild: '~2.5 min',
};

export function binaryCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['REPLAYLAKE_BIN_CACHE'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'replaylake', 'bin');
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Where the binary would come from without building anything, or undefined if it must be built. */
export function locateBinary(spec: BinarySpec, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const cached = join(binaryCacheDir(env), spec.name);
  if (existsSync(cached)) return cached;
  return onPath(spec.name, env);
}

export class MissingToolError extends Error {
  override readonly name = 'MissingToolError';
}

/** Returns a runnable path for the binary, building it with the Go toolchain if needed. */
export async function ensureBinary(
  spec: BinarySpec,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const found = locateBinary(spec, env);
  if (found) return found;
  const go = onPath('go', env);
  if (!go) {
    throw new MissingToolError(
      `cannot build ${spec.name}: no Go toolchain on PATH. Install Go >= 1.24 (e.g. apt-get install golang) ` +
        `or put a ${spec.name} binary on PATH or in ${binaryCacheDir(env)}`,
    );
  }
  const dir = binaryCacheDir(env);
  mkdirSync(dir, { recursive: true });
  const target = `${spec.goPackage}@${spec.version}`;
  log(`building ${spec.name} with go install ${target} (first run only, ${spec.coldBuild} cold)`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', target], {
      env: { ...env, GOBIN: dir, GOFLAGS: `${env['GOFLAGS'] ?? ''} -buildvcs=false`.trim() },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else {
        const last = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(
          new MissingToolError(
            `go install ${target} failed (exit ${code}): ${last}. If this machine cannot reach the Go module proxy, ` +
              `put a ${spec.name} binary on PATH or in ${dir}`,
          ),
        );
      }
    });
  });
  log(`built ${spec.name} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return join(dir, spec.name);
}

/** The version line a binary reports, for stack:status. */
export function binaryVersion(path: string): string {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).split('\n')[0]?.trim() ?? '';
  } catch {
    return 'unknown';
  }
}
