// A command's stdout cut into fixed-size pieces as it streams (an `rbd export`
// of a GiB-sized disk is never held in memory whole). execa with an argv
// array, killed when `cancelSignal` aborts, like every command of this project.
import { execa } from 'execa';
import { CommandError } from '../../lib/errors.ts';

export async function streamBlocks(file: string, args: readonly string[], blockSize: number, onBlock: (index: number, data: Buffer) => void, cancelSignal?: AbortSignal): Promise<void> {
  const child = execa(file, args, { cancelSignal, forceKillAfterDelay: 5000, reject: false, buffer: { stdout: false, stderr: true }, stdin: 'ignore', encoding: 'buffer' });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let index = 0;
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    let rest = chunk;
    while (pendingBytes + rest.length >= blockSize) {
      const take = blockSize - pendingBytes;
      onBlock(index++, Buffer.concat([...pending, rest.subarray(0, take)]));
      rest = rest.subarray(take);
      pending = [];
      pendingBytes = 0;
    }
    if (rest.length) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes) onBlock(index, Buffer.concat(pending));
  const result = await child;
  if (result.failed) {
    if (result.isCanceled && cancelSignal?.reason instanceof Error) throw cancelSignal.reason;
    const argv = [file, ...args];
    const stderr = Buffer.isBuffer(result.stderr) ? result.stderr.toString('utf8') : String(result.stderr ?? '');
    throw new CommandError(`\`${argv.join(' ')}\` failed (exit ${result.exitCode ?? result.signal}): ${stderr.trim().split('\n').at(-1) ?? ''}`, argv, result.exitCode, stderr);
  }
}
