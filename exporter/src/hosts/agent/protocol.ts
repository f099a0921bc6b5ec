/**
 * The agent's wire format (agent/hyperion-agent.pl has the whole description): frames of a
 * 4-byte big-endian length and that many bytes, each frame NUL-separated fields, the first
 * the request's id. Pure functions, so framing is tested apart from any process.
 */

/** A frame the exporter never needs to send or accept: requests are small, answers bounded. */
export const MAX_ANSWER_FRAME = 256 * 1024 * 1024;

export function encodeFrame(fields: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  fields.forEach((f, i) => {
    if (i > 0) parts.push(NUL);
    const bytes = typeof f === 'string' ? Buffer.from(f, 'utf8') : f;
    if (typeof f === 'string' && bytes.includes(0)) throw new TypeError('a field cannot contain a NUL byte');
    parts.push(bytes);
  });
  const payload = Buffer.concat(parts);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  return Buffer.concat([head, payload]);
}

const NUL = Buffer.from([0]);

/** An answer: the request id, the status and the rest of the payload, still split where needed. */
export interface AnswerFrame {
  id: number;
  status: string;
  /** The payload after "ID\0STATUS\0" (for data frames: the raw bytes). */
  rest: Buffer;
}

/** Splits a payload (after its status) into its NUL-separated text fields. */
export function textFields(rest: Buffer): string[] {
  if (rest.length === 0) return [];
  return rest.toString('utf8').split('\0');
}

/** Collects frames from a byte stream; a large frame is joined once, when it is complete. */
export class FrameReader {
  private buffered: Buffer[] = [];
  private length = 0;
  /** The payload size of the frame being collected, once its header arrived. */
  private size: number | undefined;

  /** Feeds bytes; returns the frames they complete. Throws on a frame larger than allowed. */
  push(chunk: Buffer): AnswerFrame[] {
    this.buffered.push(chunk);
    this.length += chunk.length;
    const out: AnswerFrame[] = [];
    while (this.length >= 4) {
      if (this.size === undefined) {
        const head = Buffer.concat(this.buffered, this.length).subarray(0, 4);
        this.size = head.readUInt32BE(0);
        if (this.size > MAX_ANSWER_FRAME)
          throw new Error(`an agent frame of ${this.size} bytes is larger than allowed`);
      }
      if (this.length < 4 + this.size) break;
      const all = Buffer.concat(this.buffered, this.length);
      out.push(parseAnswer(all.subarray(4, 4 + this.size)));
      const left = all.subarray(4 + this.size);
      this.buffered = left.length > 0 ? [left] : [];
      this.length = left.length;
      this.size = undefined;
    }
    return out;
  }
}

export function parseAnswer(payload: Buffer): AnswerFrame {
  const first = payload.indexOf(0);
  if (first < 0) throw new Error('an agent frame without a status');
  const second = payload.indexOf(0, first + 1);
  const id = Number(payload.toString('latin1', 0, first));
  if (!Number.isSafeInteger(id)) throw new Error('an agent frame without a request id');
  const status = payload.toString('latin1', first + 1, second < 0 ? payload.length : second);
  return { id, status, rest: second < 0 ? Buffer.alloc(0) : payload.subarray(second + 1) };
}
