// One progress line on stderr: redrawn in place on a terminal, printed only
// when it changes otherwise (so logs of a piped run stay readable).

export class ProgressLine {
  private last = '';
  private readonly tty = Boolean(process.stderr.isTTY);

  update(text: string): void {
    if (text === this.last) return;
    if (this.tty) process.stderr.write(`\r\x1b[2K${text}`);
    else if (stripVolatile(text) !== stripVolatile(this.last)) process.stderr.write(`${text}\n`);
    this.last = text;
  }

  done(): void {
    if (this.tty && this.last) process.stderr.write('\n');
    this.last = '';
  }
}

/** Off a terminal, print a line per step and per 10 % rather than per tick. */
function stripVolatile(text: string): string {
  return text.replace(/(\d+)(\.\d+)?%/, (_m, p: string) => `${Math.floor(Number(p) / 10) * 10}%`).replace(/\d+(\.\d+)? [KMGT]?i?B(\/s)?/g, '');
}
