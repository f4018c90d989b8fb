/**
 * Error types no retry can fix. Activities raise them as non-retryable ApplicationFailures and workflows name them
 * in their retry policies; one list keeps the two in step (pure, so workflows may import it).
 */
export const NON_RETRYABLE_ERROR_TYPES: readonly string[] = ['ConfigError', 'BadWindowError', 'MissingStagingError'];
