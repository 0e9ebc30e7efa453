// A listing with notes for people (a page's "N more", a leak): under the plain
// table they follow it on stdout, as every command's report does; in any other
// form (value, csv, json, or columns picked) they go to stderr, so stdout stays
// rows only and a script still learns that a page was cut.
import type { CliContext } from './context.ts';
import { type Listing, printListing } from './output/render.ts';

export function listWithNotes<Row>(ctx: CliContext, listing: Omit<Listing<Row>, 'report'>, notes: readonly string[]): void {
  const asReport = ctx.format === 'table' && ctx.columns.length === 0;
  ctx.list({
    ...listing,
    report: () => {
      printListing({ format: 'table', columns: [] }, { rows: listing.rows, fields: listing.fields, empty: listing.empty });
      if (notes.length) console.log(`\n${notes.join('\n')}`);
    },
  });
  if (!asReport) for (const note of notes) console.error(note);
}
