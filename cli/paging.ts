// --limit/--offset of the listings that page (ls --host, show-excess): checked once, here.
import { InvalidInputError } from '../lib/errors.ts';
import { MAX_PAGE } from '../lib/listings/page.ts';

export function parsePaging(options: { limit: string; offset: string }): { limit: number; offset: number } {
  const limit = Number(options.limit);
  const offset = Number(options.offset);
  if (!/^\d+$/.test(options.limit) || limit < 1 || limit > MAX_PAGE) throw new InvalidInputError(`--limit must be a whole number from 1 to ${MAX_PAGE}, got '${options.limit}'`);
  if (!/^\d+$/.test(options.offset)) throw new InvalidInputError(`--offset must be a whole number, got '${options.offset}'`);
  return { limit, offset };
}
