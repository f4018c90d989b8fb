import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporalBinary } from './support/stack';

describe('Temporal dev server (CLI v1.5.1 built by the stack)', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: temporalBinary() }, ip: '127.0.0.1' },
    });
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('executes a workflow and its activity through a worker', async () => {
    const calls: string[] = [];
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'ping',
      workflowsPath: join(__dirname, 'support', 'workflows', 'ping.ts'),
      activities: {
        echo: (message: string) => {
          calls.push(message);
          return Promise.resolve(message.toUpperCase());
        },
      },
    });
    const result = await worker.runUntil<string>(
      env.client.workflow.execute('pingWorkflow', { taskQueue: 'ping', workflowId: 'ping-1', args: ['hello'] }),
    );
    expect(result).toBe('workflow saw HELLO');
    expect(calls).toEqual(['hello']);
    const history = await env.client.workflow.getHandle('ping-1').fetchHistory();
    expect(history.events?.some((e) => e.activityTaskCompletedEventAttributes)).toBe(true);
  });
});
