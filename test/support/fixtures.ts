/** The shared reference material sits beside the repository (`../shared`), in a session and in CI alike. */
import { join } from 'node:path';

export const REAL_POSTHOG_JS = join(__dirname, '..', '..', '..', 'shared', 'fixtures', 'real-posthog-js');
