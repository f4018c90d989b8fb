/** Fixtures that ship with the repository (see each folder's README for where they came from). */
import { join } from 'node:path';

export const REAL_POSTHOG_JS = join(__dirname, '..', 'fixtures', 'real-posthog-js');
