// Every listing's one renderer, in the openstack CLI's conventions:
// `-f table|json|value|csv` picks the form, `-c NAME` (repeatable) picks and
// orders the columns. table is for people (formatted cells, the command's own
// notes around it); value, csv and json are for scripts (raw cells, nothing
// else on stdout). A command whose JSON is a document (a summary, a plan with
// its token) keeps that document under `-f json` when no `-c` is given.
import { InvalidInputError } from '../../lib/errors.ts';
import { type Column, renderTable } from './table.ts';

export const FORMATS = ['table', 'json', 'value', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

/** What `-f` and `-c` asked for. */
export interface RenderOptions {
  format: Format;
  columns: readonly string[];
}

type Cell = string | number | boolean | null | undefined;

/** A column: `header` in tables, `name` (default: the header, lower-case, spaces as `-`) for `-c`, `raw` for scripts (default: `value`). */
export interface Field<Row> extends Column<Row> {
  name?: string;
  raw?: (row: Row) => Cell;
  /** Shown only when `-c` names it (a long cell, such as a URL, that would crowd the table). */
  onRequest?: boolean;
}

export interface Listing<Row> {
  rows: readonly Row[];
  fields: readonly Field<Row>[];
  /** The table form when there are no rows (e.g. "no backups of VM x"). */
  empty?: string;
  /** `-f json` without `-c` prints this instead of the rows (the command's established JSON). */
  document?: unknown;
  /** `-f table` without `-c` prints the command's whole report this way (several tables, notes) instead of the rows' table. */
  report?: () => void;
}

/** The rows and columns alone, for a command that wraps them in its own report. */
export type Rows<Row> = Pick<Listing<Row>, 'rows' | 'fields' | 'empty'>;

/** The name `-c` knows a column by. */
export const fieldName = <Row>(f: Field<Row>): string => f.name ?? f.header.toLowerCase().replace(/\s+/g, '-');

const normalize = (name: string) => name.toLowerCase().replace(/[\s_]+/g, '-');

/** The fields `-c` picked, in its order; an unknown name is refused with the valid ones listed (exit 2). */
export function pickFields<Row>(fields: readonly Field<Row>[], wanted: readonly string[]): Field<Row>[] {
  if (wanted.length === 0) return fields.filter((f) => !f.onRequest);
  return wanted.map((w) => {
    const found = fields.find((f) => normalize(fieldName(f)) === normalize(w) || normalize(f.header) === normalize(w));
    if (!found) {
      throw new InvalidInputError(
        `-c/--column '${w}': no such column (valid: ${fields.map((f) => fieldName(f)).join(', ')})`,
        'Pick columns by the names listed; several -c options pick several, in that order.',
      );
    }
    return found;
  });
}

/** The listing as `-f`/`-c` asked, without a trailing newline ('' for no output at all). */
export function renderListing<Row>(options: RenderOptions, listing: Listing<Row>): string {
  const fields = pickFields(listing.fields, options.columns);
  const raw = (f: Field<Row>, row: Row): Cell => (f.raw ?? f.value)(row);
  switch (options.format) {
    case 'table':
      return listing.rows.length === 0 && listing.empty !== undefined ? listing.empty : renderTable(listing.rows, fields);
    case 'json':
      if (listing.document !== undefined && options.columns.length === 0) return JSON.stringify(listing.document, null, 2);
      return JSON.stringify(
        listing.rows.map((row) => Object.fromEntries(fields.map((f) => [fieldName(f), raw(f, row) ?? null]))),
        null,
        2,
      );
    case 'value':
      return listing.rows.map((row) => fields.map((f) => plain(raw(f, row))).join(' ')).join('\n');
    case 'csv':
      return [fields.map((f) => quote(fieldName(f))), ...listing.rows.map((row) => fields.map((f) => csvCell(raw(f, row))))]
        .map((cells) => cells.join(','))
        .join('\n');
  }
}

/** Prints the listing on stdout (nothing at all when there is nothing to print). */
export function printListing<Row>(options: RenderOptions, listing: Listing<Row>): void {
  if (options.format === 'table' && options.columns.length === 0 && listing.report) return listing.report();
  const text = renderListing(options, listing);
  if (text !== '') console.log(text);
}

function plain(cell: Cell): string {
  return cell === undefined || cell === null ? '' : String(cell);
}

/** As cliff's csv formatter (QUOTE_NONNUMERIC): numbers bare, everything else quoted. */
function csvCell(cell: Cell): string {
  return typeof cell === 'number' ? String(cell) : quote(plain(cell));
}

const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;
