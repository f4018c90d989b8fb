/** A minimal workflow that proves a worker on the dev server runs workflow code and activities end to end. */
import { proxyActivities } from '@temporalio/workflow';

export interface PingActivities {
  echo(message: string): Promise<string>;
}

const { echo } = proxyActivities<PingActivities>({ startToCloseTimeout: '10 seconds' });

export async function pingWorkflow(message: string): Promise<string> {
  return `workflow saw ${await echo(message)}`;
}
