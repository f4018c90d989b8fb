/** verifyWindow: the committed lake against the source, run on a worker because only workers reach ClickHouse. */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { VerifyInput, VerifyReport } from '../activities/verify';

const { verifyLake } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

export async function verifyWindow(input: VerifyInput): Promise<VerifyReport> {
  return verifyLake(input);
}
