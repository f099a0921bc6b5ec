/**
 * `hyperion-exporter otp code|reset|list`: the second factor from the exporter's host, for
 * whoever holds its data directory (root, the exporter's user): issue an enrolment code for an
 * actor, reset an actor's second factor, list the actors. Each change is written to the audit
 * log like the API's, and a running exporter picks it up on its next request.
 */
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/load.js';
import { ACTOR_KEY } from '../security/actor.js';
import { AuditLog } from '../security/audit.js';
import { SecondFactor } from '../security/second-factor.js';
import { DataDir } from '../storage/data-dir.js';
import { errorMessage } from '../util/errors.js';
import { defaultStoragePath } from './flags.js';

interface Opened {
  factor: SecondFactor;
  audit: AuditLog;
}

function open(options: {
  'storage.path'?: string;
  storagePath?: string;
  'config.file'?: string;
  configFile?: string;
}): Opened {
  const storage = options['storage.path'] ?? options.storagePath ?? defaultStoragePath();
  const dir = new DataDir(storage);
  // The exporter's own rule: --config.file when given (the package's /etc/hyperion), else the
  // data directory's hyperion.yml if there is one.
  const given = options['config.file'] ?? options.configFile;
  const config = loadConfig(given ?? path.join(storage, 'hyperion.yml'), given !== undefined);
  const metrics = new Registry();
  return {
    factor: new SecondFactor(
      dir,
      {
        policy: config.security.otp,
        issuer: config.security.otpIssuer,
        elevationSeconds: 0,
        enrolmentCodeTtlSeconds: config.security.enrolmentCodeTtlSeconds,
      },
      metrics,
    ),
    audit: new AuditLog(dir, config.audit, metrics),
  };
}

/** Who ran the command, as the audit log names them. */
function operator(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return `cli:uid-${process.getuid?.() ?? '?'}`;
  }
}

function record(audit: AuditLog, action: string, target: string, args: unknown): void {
  const who = operator();
  audit.append({
    time: new Date().toISOString(),
    actor: who,
    actorKey: who,
    tokenName: null,
    role: 'admin',
    viaGrafana: false,
    host: null,
    action,
    target,
    args,
    otpUsed: false,
    secondFactor: null,
    result: 'ok',
    status: 200,
    error: null,
    remoteAddress: null,
  });
}

function fail(error: unknown): never {
  process.stderr.write(`error: ${errorMessage(error)}\n`);
  process.exit(1);
}

function actorKey(value: string): string {
  if (!ACTOR_KEY.test(value))
    throw new Error(`"${value}" is not an actor key: token:<name> or grafana:<org id>:<user id>`);
  return value;
}

export function otpCommand(): Command {
  const otp = new Command('otp').description('the second factor: enrolment codes, resets, the actors');
  const storage = () => new Option('--storage.path <path>', 'data directory').default(defaultStoragePath());
  const configFile = () =>
    new Option(
      '--config.file <path>',
      "the exporter's configuration file (default: hyperion.yml in the data directory)",
    );

  otp
    .command('code')
    .description('issue a single-use enrolment code for one actor (printed once)')
    .requiredOption('--actor <key>', 'token:<name> or grafana:<org id>:<user id> (see "otp list")')
    .requiredOption('--name <name>', 'who it is for, in words')
    .addOption(storage())
    .addOption(configFile())
    .action((opts: { actor: string; name: string }, cmd: Command) => {
      try {
        const { factor, audit } = open(cmd.opts());
        const issued = factor.issueEnrolmentCode(actorKey(opts.actor), opts.name, operator());
        record(audit, 'otp.enrolment-code.issue', issued.actor, { actor: issued.actor, name: issued.name });
        process.stderr.write(
          `enrolment code for ${issued.name} (${issued.actor}), valid until ${issued.expiresAt}:\n`,
        );
        process.stdout.write(`${issued.code}\n`);
      } catch (error) {
        fail(error);
      }
    });

  otp
    .command('reset')
    .description("remove an actor's second factor and lockout, so they can enrol again")
    .requiredOption('--actor <key>', 'the actor key')
    .addOption(storage())
    .addOption(configFile())
    .action((opts: { actor: string }, cmd: Command) => {
      try {
        const { factor, audit } = open(cmd.opts());
        const key = actorKey(opts.actor);
        if (!factor.reset(key)) throw new Error(`${key} has no second factor`);
        record(audit, 'otp.reset', key, { actor: key });
        process.stderr.write(`reset the second factor of ${key}\n`);
      } catch (error) {
        fail(error);
      }
    });

  otp
    .command('list')
    .description('actors with a second factor, pending, or waiting for an enrolment code')
    .addOption(storage())
    .addOption(configFile())
    .action((_opts: unknown, cmd: Command) => {
      try {
        for (const a of open(cmd.opts()).factor.actors()) {
          const locked = a.lockedUntil ? `locked until ${a.lockedUntil}` : '-';
          process.stdout.write(
            `${a.key}\t${a.name}\t${a.state}\t${a.recoveryCodesLeft} recovery codes\t${locked}\n`,
          );
        }
      } catch (error) {
        fail(error);
      }
    });
  return otp;
}
