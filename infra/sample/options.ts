/** What a sample run is asked for, validated once at the edge (CLI or test) so the generator can trust it. */
import { z } from 'zod';

export const GENERATIONS = ['v2', 'v1', 'legacy'] as const;
export type Generation = (typeof GENERATIONS)[number];

const IsoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
  .refine(
    (s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    {
      message: 'not a calendar date',
    },
  );

export const SampleOptionsSchema = z.object({
  sessions: z.number().int('sessions must be a whole number').positive('sessions must be at least 1').max(10_000_000),
  seed: z.string().min(1, 'seed must not be empty'),
  /** First UTC day that sessions start on. The default is a month end so that the midnight-crossing session also crosses a month. */
  start: IsoDay.default('2026-10-31'),
  days: z.number().int('days must be a whole number').positive('days must be at least 1').max(3660).default(1),
  generations: z
    .array(
      z.enum(GENERATIONS, {
        error: (issue) =>
          `unknown generation ${JSON.stringify(issue.input)} (expected one of ${GENERATIONS.join(', ')})`,
      }),
    )
    .min(1)
    .default([...GENERATIONS]),
  /** Wall-clock "now" in epoch ms; only the still-live session and deletion times depend on it. */
  now: z.number().int().positive().optional(),
});
export type SampleOptionsInput = z.input<typeof SampleOptionsSchema>;
export type SampleOptions = z.output<typeof SampleOptionsSchema>;

/** One line per problem, naming the option, e.g. `--sessions: sessions must be at least 1`. */
export function parseSampleOptions(input: SampleOptionsInput): SampleOptions {
  const parsed = SampleOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `--${String(i.path[0] ?? 'options')}: ${i.message}`);
  throw new SampleOptionsError(issues.join('; '));
}

export class SampleOptionsError extends Error {
  override readonly name = 'SampleOptionsError';
}
