/**
 * The recipes in deploy/ cannot run here (no Docker engine, no systemd), so this checks what can be checked: the
 * hobby settings are a configuration replaylake accepts and mean what deploy/README.md says, and the image copies
 * exactly what the npm package ships (the package itself is installed and run by test/package.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../worker/config';
import packageJson from '../package.json';

const DEPLOY = join(__dirname, '..', 'deploy');
const read = (name: string) => readFileSync(join(DEPLOY, name), 'utf8');

/** KEY=VALUE lines, as docker compose's env_file and systemd's EnvironmentFile read them. */
function envFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

describe('deploy/', () => {
  it('hobby.env and config.hobby.json reach PostHog hobby services by name', () => {
    const env = {
      ...envFile(read('hobby.env')),
      REPLAYLAKE_CONFIG: join(DEPLOY, 'config.hobby.json'),
      // No local stack: the container has none.
      REPLAYLAKE_STACK_DIR: join(DEPLOY, 'no-stack'),
    };
    const config = loadConfig(env);
    expect(config.temporal).toMatchObject({ address: 'temporal:7233', namespace: 'default', taskQueue: 'replaylake' });
    expect(config.clickhouse).toMatchObject({
      url: 'http://clickhouse:8123',
      database: 'posthog',
      username: 'default',
    });
    expect(config.source.s3).toMatchObject({ endpoint: 'http://seaweedfs:8333', forcePathStyle: true });
    expect(config.source.v1).toMatchObject({
      s3: { endpoint: 'http://objectstorage:19000', accessKeyId: 'object_storage_root_user' },
      bucket: 'posthog',
      prefix: 'session_recordings',
    });
    expect(config.lake.uri).toBe('file:///lake');
    expect(JSON.stringify(redactConfig(config))).not.toContain('object_storage_root_password');
  });

  it('the compose file joins the hobby network and mounts the files beside it', () => {
    const compose = read('docker-compose.posthog-hobby.yml');
    expect(compose).toMatch(/name: \$\{POSTHOG_NETWORK:-posthog_default\}/);
    expect(compose).toMatch(/external: true/);
    expect(compose).toMatch(/env_file: hobby\.env/);
    expect(compose).toMatch(/\.\/config\.hobby\.json:\/etc\/replaylake\/config\.json:ro/);
  });

  it('the image copies what the package ships, production dependencies only, and runs as a non-root worker', () => {
    const dockerfile = read('Dockerfile');
    const copied = [...dockerfile.matchAll(/^COPY (\S+) \.\/\S+$/gm)].map((m) => `${m[1]}/`);
    // dist/ and the shrinkwrap are written at pack time; the image bundles the workflows itself.
    const shipped = packageJson.files.filter((f) => f !== 'dist/' && f !== 'npm-shrinkwrap.json');
    expect(copied.sort()).toEqual([...shipped].sort());
    expect(dockerfile).toMatch(/^FROM node:20\S*$/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev /m);
    expect(dockerfile).toMatch(/^RUN node_modules\/\.bin\/tsx worker\/workflow-bundle\.ts write$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/bin\/replaylake"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["worker"/m);
  });

  it('the systemd unit runs the installed worker and does not restart on bad configuration', () => {
    const unit = read('replaylake-worker.service');
    expect(unit).toMatch(/^ExecStart=\/opt\/replaylake\/node_modules\/\.bin\/replaylake worker /m);
    expect(unit).toMatch(/^RestartPreventExitStatus=2$/m);
    expect(unit).toMatch(/^User=replaylake$/m);
  });
});
