// Workflow inputs are checked against their zod schema before anything runs; a
// bad input fails the workflow for good (a retry could not fix it).
import { ApplicationFailure } from '@temporalio/workflow';
import { type z, prettifyError } from 'zod';

export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw ApplicationFailure.create({
      type: 'InvalidInputError',
      nonRetryable: true,
      message: `invalid workflow input: ${prettifyError(parsed.error)}`,
    });
  }
  return parsed.data;
}
