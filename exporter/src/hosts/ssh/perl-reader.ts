/**
 * The fast read path: one long-lived perl process per connection that reads files and lists
 * directories on request, with no process started per request. On a busy host, starting `cat`
 * costs more than reading a scrape's hundred files; perl is on almost every Linux host (it is
 * Essential on Debian and Ubuntu, as perl-base). Where it is missing, batches go through the
 * shell workers (batch.ts), which answer the same questions.
 *
 * The protocol is length-framed, so no content can be mistaken for framing:
 *   request   COUNT \0 (KIND \0 MAX \0 PATH \0){COUNT}     KIND r (whole file), h (one read of
 *                                                         at most MAX bytes), l (directory),
 *                                                         t (adjtimex(2), no path: its answer line)
 *   response  (STATUS \0 LENGTH \0 BYTES){COUNT} end \0    STATUS "ok" or an errno name
 * A listing's bytes are one entry per NUL-terminated item: a type letter (f d l o) and the name.
 */
import type { ClientChannel } from 'ssh2';
import { HyperionError } from '../../util/errors.js';
import { PERL_ADJTIMEX_SUB } from '../adjtimex-program.js';
import { shellQuote } from './quote.js';

/** Only core perl (perl-base): no module outside it, nothing written to disk. */
export const PERL_READER_PROGRAM = `
use strict; use Errno ();
binmode(STDIN); binmode(STDOUT); $| = 1; $/ = "\\0";
sub failed { my $name = 'EIO'; for my $k (keys %!) { if ($!{$k}) { $name = $k; last } } return "$name\\0" . "0\\0" }
sub field { my $v = <STDIN>; exit 0 unless defined $v; chomp $v; return $v }
sub listing {
  my ($dir) = @_;
  my @st = stat($dir);
  return failed() unless @st;
  unless (-d _) { $! = Errno::ENOTDIR(); return failed() }
  opendir(my $dh, $dir) or return failed();
  my $body = '';
  for my $e (readdir($dh)) {
    next if $e eq '.' || $e eq '..';
    my @l = lstat("$dir/$e");
    next unless @l;
    $body .= (-l _ ? 'l' : -d _ ? 'd' : -f _ ? 'f' : 'o') . $e . "\\0";
  }
  closedir($dh);
  return "ok\\0" . length($body) . "\\0" . $body;
}
${PERL_ADJTIMEX_SUB}
while (1) {
  my $count = field();
  my $out = '';
  for (1 .. $count) {
    my ($kind, $max, $path) = (field(), field(), field());
    if ($kind eq 'l') { $out .= listing($path); next }
    if ($kind eq 't') { my $t = adjtimex_answer(); $out .= "ok\\0" . length($t) . "\\0" . $t; next }
    my $fh;
    unless (open($fh, '<:raw', $path)) { $out .= failed(); next }
    my $buf = ''; my $ok = 0;
    if ($kind eq 'h') { $ok = defined sysread($fh, $buf, $max) }
    else {
      while (1) {
        my $n = sysread($fh, $buf, 65536, length $buf);
        last unless defined $n;
        if ($n == 0) { $ok = 1; last }
      }
    }
    $out .= $ok ? "ok\\0" . length($buf) . "\\0" . $buf : failed();
    close($fh);
  }
  print $out, "end\\0";
}
`;

/** The command that starts the reader on the host (through the login shell, once). */
export const PERL_READER_COMMAND = `exec perl -e ${shellQuote(PERL_READER_PROGRAM)}`;

export type FastKind = 'r' | 'h' | 'l' | 't';

const END = Buffer.from('end\0');

export interface FastOp {
  kind: FastKind;
  maxBytes: number;
  path: string;
}

export type FastAnswer = { ok: true; data: Buffer } | { ok: false; code: string };

interface Pending {
  count: number;
  resolve(answers: FastAnswer[]): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Parses a complete response, or says it is not complete yet (undefined). */
export function parseFastResponse(buf: Buffer, count: number): FastAnswer[] | undefined {
  const answers: FastAnswer[] = [];
  let at = 0;
  const field = (): string | undefined => {
    const end = buf.indexOf(0, at);
    if (end < 0) return undefined;
    const text = buf.toString('latin1', at, end);
    at = end + 1;
    return text;
  };
  for (let i = 0; i < count; i++) {
    const status = field();
    const length = field();
    if (status === undefined || length === undefined) return undefined;
    const n = Number(length);
    if (!Number.isInteger(n) || n < 0) throw new Error(`malformed answer length "${length.slice(0, 20)}"`);
    if (at + n > buf.length) return undefined;
    answers.push(
      status === 'ok' ? { ok: true, data: buf.subarray(at, at + n) } : { ok: false, code: status },
    );
    at += n;
  }
  const end = field();
  if (end === undefined) return undefined;
  if (end !== 'end' || at !== buf.length) throw new Error('malformed answer: trailing bytes');
  return answers;
}

export class PerlReader {
  private chunks: Buffer[] = [];
  private pending: Pending | undefined;
  private readonly queue: (() => void)[] = [];
  private closed = false;
  private readonly closeListeners = new Set<() => void>();

  private constructor(
    private readonly channel: ClientChannel,
    private readonly hostName: string,
  ) {
    channel.on('data', (chunk: Buffer) => this.onData(chunk));
    channel.stderr.on('data', () => undefined); // perl's complaints, if any, are not answers
    channel.on('close', () => this.destroy());
    channel.on('error', () => this.destroy());
  }

  /** Starts the reader; undefined when the host has no perl (its first answer never comes). */
  static async start(
    channel: ClientChannel,
    hostName: string,
    timeoutMs: number,
  ): Promise<PerlReader | undefined> {
    const reader = new PerlReader(channel, hostName);
    try {
      const [answer] = await reader.request([{ kind: 'r', maxBytes: 0, path: '/dev/null' }], timeoutMs);
      if (answer?.ok) return reader;
    } catch {
      // no perl (the shell said "not found" and closed the channel), or it did not answer
    }
    reader.destroy();
    return undefined;
  }

  get alive(): boolean {
    return !this.closed;
  }

  onClose(listener: () => void): void {
    this.closeListeners.add(listener);
  }

  /** Runs one request; requests wait for the one before them. */
  request(ops: readonly FastOp[], timeoutMs: number): Promise<FastAnswer[]> {
    for (const op of ops) {
      if (op.path.includes('\0'))
        return Promise.reject(new TypeError('a path cannot contain a NUL character'));
    }
    return new Promise((resolve, reject) => {
      const go = () => {
        if (this.closed) {
          reject(this.lost());
          return;
        }
        const timer = setTimeout(() => {
          this.fail(
            new HyperionError('timeout', `host ${this.hostName} did not answer within ${timeoutMs} ms`),
          );
          this.destroy();
        }, timeoutMs);
        this.pending = { count: ops.length, resolve, reject, timer };
        this.chunks = [];
        const text = ops
          .map((op) => `${op.kind}\0${Math.max(0, Math.floor(op.maxBytes))}\0${op.path}\0`)
          .join('');
        this.channel.write(Buffer.from(`${ops.length}\0${text}`, 'utf8'));
      };
      if (this.pending) this.queue.push(go);
      else go();
    });
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel.close();
    this.fail(this.lost());
    for (const go of this.queue.splice(0)) go();
    for (const listener of this.closeListeners) listener();
  }

  private onData(chunk: Buffer): void {
    const pending = this.pending;
    if (!pending) {
      this.destroy(); // bytes outside a request: the stream cannot be trusted any more
      return;
    }
    this.chunks.push(chunk);
    // Every answer ends with "end\0": parsing is tried only then, not on each of a big file's chunks.
    if (!chunk.subarray(-4).equals(END) && !Buffer.concat(this.chunks.slice(-2)).subarray(-4).equals(END))
      return;
    let answers: FastAnswer[] | undefined;
    try {
      answers = parseFastResponse(Buffer.concat(this.chunks), pending.count);
    } catch (error) {
      this.fail(new HyperionError('unavailable', `host ${this.hostName}: ${(error as Error).message}`));
      this.destroy();
      return;
    }
    if (!answers) return;
    clearTimeout(pending.timer);
    this.pending = undefined;
    this.chunks = [];
    pending.resolve(answers);
    this.queue.shift()?.();
  }

  private fail(error: Error): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.reject(error);
  }

  private lost(): HyperionError {
    return new HyperionError(
      'unavailable',
      `host ${this.hostName}: the connection was lost before the answer arrived`,
    );
  }
}
