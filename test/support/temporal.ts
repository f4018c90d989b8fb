/** A Temporal dev server of the test file's own, on a known port, so separate worker and CLI processes can reach it. */
import { createServer } from 'node:net';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalBinary } from './stack';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startTemporal(): Promise<{ env: TestWorkflowEnvironment; address: string }> {
  const port = await freePort();
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalBinary() }, ip: '127.0.0.1', port },
  });
  return { env, address: `127.0.0.1:${port}` };
}
