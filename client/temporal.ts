/** The CLI's side of Temporal: a client for any deployment, attach-or-start, and what a failure or a retry says. */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  Client,
  Connection,
  WorkflowFailedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { FAILURE_TYPES } from '../common/failures';
import type { Config } from '../worker/config';
import { temporalConnectionOptions, temporalUnreachable } from '../worker/runtime';

export async function connectClient(config: Config): Promise<Client> {
  try {
    const connection = await Connection.connect({
      ...temporalConnectionOptions(config.temporal),
      connectTimeout: 10_000,
    });
    return new Client({ connection, namespace: config.temporal.namespace });
  } catch (err) {
    throw temporalUnreachable(config.temporal, err);
  }
}

/**
 * Starting a workflow whose id is running attaches to it instead of doubling the work; a finished one may be run
 * again (each commit replaces its partitions whole).
 */
export const START_POLICIES = {
  workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
} as const;

/** Where and under which id a workflow starts, with the attach-or-start policies every start uses. */
export function startOptions(config: Config, workflowId: string) {
  return { taskQueue: config.temporal.taskQueue, workflowId, ...START_POLICIES };
}

/** The failure that actually happened, under the workflow, child and activity wrappers. */
export function rootFailure(err: unknown): { type: string; message: string; fatal: boolean } {
  let e: unknown = err;
  while (
    (e instanceof WorkflowFailedError || e instanceof ChildWorkflowFailure || e instanceof ActivityFailure) &&
    e.cause !== undefined
  )
    e = e.cause;
  if (e instanceof ApplicationFailure) {
    const type = e.type ?? 'ApplicationFailure';
    const known = (FAILURE_TYPES as Record<string, 'fatal' | 'retry' | undefined>)[type];
    return { type, message: e.message, fatal: e.nonRetryable === true || known === 'fatal' };
  }
  return {
    type: e instanceof Error ? e.name : 'Error',
    message: e instanceof Error ? e.message : String(e),
    fatal: false,
  };
}

export interface Retrying {
  activity: string;
  attempt: number;
  message: string;
}

/** Activities of a running workflow that failed at least once and are waiting to be retried: why, and how often. */
export async function retrying(handle: WorkflowHandle): Promise<Retrying[]> {
  const d = await handle.describe();
  return (d.raw.pendingActivities ?? [])
    .filter((a) => (a.attempt ?? 1) > 1 && a.lastFailure?.message)
    .map((a) => ({
      activity: a.activityType?.name ?? 'activity',
      attempt: a.attempt ?? 0,
      message: a.lastFailure?.cause?.message || a.lastFailure?.message || '',
    }));
}
