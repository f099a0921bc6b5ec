/**
 * The last `max` bytes of a stream, for RunOptions.maxOutputBytes: a program may print far more
 * than we keep (a job's chatty log), and the end is what explains how it finished. Any Host
 * implementation can feed it the chunks it reads (a child's pipe, an SSH channel).
 */
export class OutputTail {
  private chunks: Buffer[] = [];
  private length = 0;
  /** Whether bytes were dropped from the front. */
  truncated = false;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    // Compacting only past twice the limit keeps the copying amortised over many chunks.
    if (this.length > this.max * 2) this.compact();
  }

  text(): string {
    this.compact();
    let bytes = Buffer.concat(this.chunks, this.length);
    if (this.truncated) {
      // The cut may fall inside a UTF-8 sequence: drop its continuation bytes rather than show
      // a replacement character at the start.
      let start = 0;
      while (start < 3 && start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start += 1;
      bytes = bytes.subarray(start);
    }
    return bytes.toString('utf8');
  }

  private compact(): void {
    if (this.length <= this.max) return;
    const all = Buffer.concat(this.chunks, this.length);
    const kept = Buffer.from(all.subarray(all.length - this.max));
    this.chunks = [kept];
    this.length = kept.length;
    this.truncated = true;
  }
}
