// The one parser for every date and span option of the CLI (`--at`, `--as-of`,
// `--since`, …): the same forms everywhere, UTC unless the text gives an
// offset, and an impossible date (2026-02-30) refused rather than rolled over
// into March as `new Date()` would.
import { InvalidInputError } from './errors.ts';

/** The forms, as every option's --help and error message list them. */
export const TIME_SPEC_FORMS = '2026-11-20, 2026-11-20T10:00, 2026-11-20T10:00:00Z (or +01:00), now, today, yesterday, or a span ago: 90m, 12h, 3d, 2w';

export interface TimeSpecOptions {
  /** The option, for the message: `--at`. */
  option: string;
  now: Date;
  /** What a bare day means: its first instant (`--since`, `--as-of`) or its last (`--at`: made on or before that day). */
  day: 'start' | 'end';
}

const SPAN_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DAY_MS = SPAN_MS.d!;

// A day, optionally a time (T or a space, as the tables print it), optionally a zone.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** The instant `text` names; throws InvalidInputError naming the option and the accepted forms. */
export function parseTimeSpec(text: string, options: TimeSpecOptions): Date {
  const t = text.trim();
  const refuse = (why: string): never => {
    throw new InvalidInputError(`${options.option} '${text}': ${why}; accepted: ${TIME_SPEC_FORMS}`);
  };
  const lower = t.toLowerCase();
  if (lower === 'now') return new Date(options.now);
  if (lower === 'today' || lower === 'yesterday') {
    const midnight = Math.floor(options.now.getTime() / DAY_MS) * DAY_MS - (lower === 'yesterday' ? DAY_MS : 0);
    return new Date(options.day === 'start' ? midnight : midnight + DAY_MS - 1);
  }
  const span = /^(\d+)([smhdw])$/.exec(lower);
  if (span) return new Date(options.now.getTime() - Number(span[1]) * SPAN_MS[span[2]!]!);
  const m = DATE_TIME.exec(t);
  if (!m) return refuse('not a date, time or span');
  const [year, month, dayOfMonth, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, dayOfMonth));
  if (month < 1 || month > 12 || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== dayOfMonth) return refuse('no such day');
  if (hour > 23 || minute > 59 || second > 59) return refuse('no such time of day');
  if (m[4] === undefined) return new Date(calendar.getTime() + (options.day === 'end' ? DAY_MS - 1 : 0));
  const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  const zone = m[8];
  const offsetMinutes = zone === undefined || zone.toUpperCase() === 'Z' ? 0 : zoneMinutes(zone);
  if (Number.isNaN(offsetMinutes)) return refuse('no such UTC offset');
  return new Date(Date.UTC(year, month - 1, dayOfMonth, hour, minute, second, ms) - offsetMinutes * 60_000);
}

/** `+01:00` / `-0530` → minutes east of UTC; NaN past ±14:00. */
function zoneMinutes(zone: string): number {
  const [, sign, hh, mm] = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  const minutes = Number(hh) * 60 + Number(mm);
  return Number(mm) > 59 || minutes > 14 * 60 ? NaN : (sign === '-' ? -1 : 1) * minutes;
}
