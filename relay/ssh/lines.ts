/**
 * Splits a stream of output chunks (one of stdout or stderr) into complete lines,
 * which become the relay's log frames.
 *
 * - UTF-8 safe: chunks arrive cut at arbitrary byte offsets (SSH packets are at most
 *   32 KiB), so a multi-byte character may be split across two chunks. StringDecoder
 *   keeps the incomplete tail until the next chunk. Bytes that are not UTF-8 at all
 *   (a file name in Latin-1, binary output) become U+FFFD, as the log is text.
 * - "\n" ends a line; a "\r" just before it is dropped ("\r\n"). A lone "\r" (how
 *   progress bars redraw a line on a terminal) stays inside the line: borg without a
 *   TTY and with --log-json does not use it, and splitting on it would turn one
 *   redrawn line into many.
 * - end() flushes a last line that had no newline.
 * - A line longer than `maxLineLength` characters (binary garbage, a runaway
 *   program) is emitted in pieces of that size, so memory and frame sizes stay bounded.
 *   A piece never splits a surrogate pair.
 */
import { StringDecoder } from 'node:string_decoder';

export interface LineSplitterOptions {
  /** In UTF-16 code units (JS string length). Default 16384. */
  maxLineLength?: number;
}

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private readonly max: number;
  private partial = '';
  private ended = false;

  constructor(
    private readonly onLine: (line: string) => void,
    options: LineSplitterOptions = {},
  ) {
    this.max = options.maxLineLength ?? 16384;
    if (!(this.max >= 2)) throw new RangeError('maxLineLength must be at least 2');
  }

  push(chunk: Buffer | string): void {
    if (this.ended) throw new Error('LineSplitter: push() after end()');
    this.take(typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
  }

  /** Flushes an incomplete character (as U+FFFD) and a last line without newline. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.take(this.decoder.end());
    if (this.partial !== '') {
      // A "\r" at the very end may have been the first half of a "\r\n" that never came.
      this.emit(this.partial.endsWith('\r') ? this.partial.slice(0, -1) : this.partial);
      this.partial = '';
    }
  }

  private take(text: string): void {
    if (text === '') return;
    let buffer = this.partial + text;
    let start = 0;
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n', start)) {
      const end = nl > start && buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.emit(buffer.slice(start, end));
      start = nl + 1;
    }
    buffer = buffer.slice(start);
    // Cut overlong partial lines, keeping a possible trailing "\r" for the "\r\n" check.
    while (buffer.length > this.max) {
      let cut = this.max;
      const code = buffer.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--; // do not split a surrogate pair
      this.emit(buffer.slice(0, cut));
      buffer = buffer.slice(cut);
    }
    this.partial = buffer;
  }

  private emit(line: string): void {
    // A complete line can also be overlong.
    while (line.length > this.max) {
      let cut = this.max;
      const code = line.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut--;
      this.onLine(line.slice(0, cut));
      line = line.slice(cut);
    }
    this.onLine(line);
  }
}

/** Convenience for tests and small outputs: all lines of a complete text. */
export function splitLines(chunks: Iterable<Buffer | string>, options?: LineSplitterOptions): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), options);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}
