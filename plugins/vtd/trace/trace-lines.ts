/**
 * Reading a QEMU `log` trace backend file line by line, plain or gzip
 * (detected by its magic bytes), streamed: memory does not grow with the
 * file. Lines are decoded as latin1: QEMU's trace text is ASCII, and latin1
 * maps every byte to one character, so no line is split inside a character.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { ViommuError } from '../../../core/errors/viommu-error.js';

/** An unreadable or malformed trace: exit 4 (cli/scenario/errors.ts maps VIOMMU_ERR_INPUT). */
export class TraceInputError extends ViommuError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VIOMMU_ERR_INPUT', message, options);
    this.name = 'TraceInputError';
  }
}

async function isGzip(path: string): Promise<boolean> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(path, 'r');
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } catch (e) {
    throw new TraceInputError(`${path}: cannot read (${(e as Error).message})`, { cause: e });
  } finally {
    await fh?.close();
  }
}

/**
 * Calls `onLine(text, lineNumber)` for every line of `path` (1-based numbers; a final line
 * without a newline counts; a trailing '\r' is dropped). Resolves with the number of lines.
 */
export async function forEachLine(path: string, onLine: (line: string, no: number) => void): Promise<number> {
  const gz = await isGzip(path);
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = gz ? file.pipe(createGunzip({ chunkSize: 1 << 20 })) : file;
  if (gz) file.on('error', (e) => stream.destroy(e));
  let rest = '';
  let no = 0;
  try {
    for await (const chunk of stream) {
      const text = rest + (chunk as Buffer).toString('latin1');
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        onLine(text.slice(start, end), ++no);
        start = nl + 1;
      }
      rest = text.slice(start);
    }
  } catch (e) {
    if (e instanceof ViommuError) throw e;
    throw new TraceInputError(`${path}: cannot read (${(e as Error).message})`, { cause: e });
  }
  if (rest.length > 0) onLine(rest, ++no);
  return no;
}
