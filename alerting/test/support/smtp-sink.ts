/**
 * A real SMTP server on 127.0.0.1 (the `smtp-server` package) that accepts mail only from the
 * account it is given, and keeps every message: Alertmanager's e-mail goes through a real SMTP
 * dialogue, authentication included, instead of a mocked sender.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { findPart, parseMime, type MimePart } from './mime.js';
import { waitUntil } from './wait.js';

export interface ReceivedMail {
  /** Envelope sender and recipients (MAIL FROM, RCPT TO). */
  from: string;
  to: string[];
  /** The account the client authenticated as. */
  user: string;
  raw: string;
  message: MimePart;
  subject: string;
  text: string;
  html: string;
  receivedAt: number;
}

export interface SmtpSink {
  host: string;
  port: number;
  mails: ReceivedMail[];
  /** Failed logins (user and password tried), for a clear failure message. */
  rejectedLogins: { username: string; password: string }[];
  waitFor(what: string, match: (m: ReceivedMail) => boolean, timeoutMs: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

const MAX_MESSAGE = 1 << 20;

export async function startSmtpSink(account: { username: string; password: string }): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const rejectedLogins: { username: string; password: string }[] = [];
  const server = new SMTPServer({
    // Plain SMTP on loopback: Go's SMTP client (Alertmanager) sends PLAIN credentials without TLS
    // only to 127.0.0.1/localhost, which is exactly where this server is.
    secure: false,
    disabledCommands: ['STARTTLS'],
    authMethods: ['PLAIN', 'LOGIN'],
    size: MAX_MESSAGE,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === account.username && auth.password === account.password) {
        callback(null, { user: auth.username });
      } else {
        rejectedLogins.push({ username: auth.username ?? '', password: auth.password ?? '' });
        callback(new Error('Invalid username or password'));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const message = parseMime(raw);
        const mailFrom = session.envelope.mailFrom;
        mails.push({
          from: mailFrom === false ? '' : mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : '',
          raw,
          message,
          subject: message.headers.get('subject') ?? '',
          text: findPart(message, 'text/plain')?.body ?? '',
          html: findPart(message, 'text/html')?.body ?? '',
          receivedAt: Date.now(),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    mails,
    rejectedLogins,
    waitFor: (what, match, timeoutMs) => waitUntil(what, () => mails.find(match), timeoutMs),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
