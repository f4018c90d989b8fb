/** Every workflow the worker registers. */
export { exportWindow, exportProgressQuery } from './export-window';
export { backfill, backfillProgressQuery } from './backfill';
export { nightlyExport } from './nightly';
export { verifyWindow } from './verify';
