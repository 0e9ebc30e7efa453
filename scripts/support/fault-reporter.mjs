// A node:test reporter for the faults case of `npm run bench`: one line per
// fault tried (a leaf test: a test with no subtests of its own), then a last
// line `FAULTS {"tried":N,"passed":M,"failed":[…]}` that the bench parses.
// Plain JavaScript: node loads reporters before any TypeScript loader applies.
export default async function* faultReporter(source) {
  const hasChild = [];
  const failed = [];
  let tried = 0;
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:start') {
      if (data.nesting > 0) hasChild[data.nesting - 1] = true;
      hasChild[data.nesting] = false;
    } else if (type === 'test:pass' || type === 'test:fail') {
      if (hasChild[data.nesting] || data.details?.type === 'suite') continue;
      tried++;
      const seconds = ((data.details?.duration_ms ?? 0) / 1000).toFixed(1);
      if (type === 'test:fail') {
        failed.push(data.name);
        yield `not ok  ${data.name} (${seconds} s): ${String(data.details?.error?.cause ?? data.details?.error?.message ?? '').split('\n')[0]}\n`;
      } else yield `ok      ${data.name} (${seconds} s)\n`;
    } else if (type === 'test:stderr' || type === 'test:stdout') {
      if (data.message?.startsWith('#')) yield data.message;
    }
  }
  yield `FAULTS ${JSON.stringify({ tried, passed: tried - failed.length, failed })}\n`;
}
