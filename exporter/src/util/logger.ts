/**
 * Structured logging through pino. JSON is the default (what log shippers want); logfmt is
 * offered for people who read logs in a terminal, as node_exporter does.
 */
import pino, { type Logger } from 'pino';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const LOG_FORMATS = ['json', 'logfmt'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];

function logfmtValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/** Turns each JSON line pino writes into one logfmt line. */
function logfmtStream(out: NodeJS.WritableStream): { write(line: string): void } {
  return {
    write(line: string) {
      const {
        time,
        level,
        msg,
        pid: _pid,
        hostname: _hostname,
        ...rest
      } = JSON.parse(line) as Record<string, unknown>;
      const head = [
        `ts=${new Date(time as number).toISOString()}`,
        `level=${pino.levels.labels[level as number]}`,
      ];
      if (msg !== undefined) head.push(`msg=${logfmtValue(msg)}`);
      const tail = Object.entries(rest).map(([k, v]) => `${k}=${logfmtValue(v)}`);
      out.write(`${[...head, ...tail].join(' ')}\n`);
    },
  };
}

export function createLogger(level: LogLevel = 'info', format: LogFormat = 'json'): Logger {
  const options = { level, base: undefined, timestamp: pino.stdTimeFunctions.epochTime };
  return format === 'logfmt'
    ? pino(options, logfmtStream(process.stderr))
    : pino(options, pino.destination(2));
}

export type { Logger };
