/** The CLI's side of Temporal: a client for any deployment, deterministic workflow ids, attach-or-start. */
import { Client, Connection, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import type { Config } from '../worker/config';
import { temporalConnectionOptions } from '../worker/runtime';

export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  return new Client({ connection, namespace: config.temporal.namespace });
}

/**
 * Starting a workflow whose id is running attaches to it instead of doubling the work; a finished one may be run
 * again (the lake is replaced exactly).
 */
export const START_POLICIES = {
  workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
} as const;
