/**
 * `hyperion-exporter token create|list|revoke`: manage API tokens in the data directory. A
 * running exporter picks the changes up on its next request.
 */
import { Command, Option } from 'commander';
import { ROLES, type Role } from '../security/roles.js';
import { TokenStore } from '../security/tokens.js';
import { DataDir } from '../storage/data-dir.js';
import { errorMessage } from '../util/errors.js';
import { defaultStoragePath } from './flags.js';

function store(options: { 'storage.path'?: string; storagePath?: string }): TokenStore {
  return new TokenStore(new DataDir(options['storage.path'] ?? options.storagePath ?? defaultStoragePath()));
}

function fail(error: unknown): never {
  process.stderr.write(`error: ${errorMessage(error)}\n`);
  process.exit(1);
}

export function tokenCommand(): Command {
  const token = new Command('token').description('manage API tokens');
  const storage = () => new Option('--storage.path <path>', 'data directory').default(defaultStoragePath());

  token
    .command('create')
    .description('create a token and print its secret (shown only once)')
    .requiredOption('--name <name>', 'a name for the token, e.g. grafana-operator')
    .addOption(new Option('--role <role>', 'what the token may do').choices(ROLES).makeOptionMandatory())
    .option('--grafana', 'the token is used by Grafana’s plugin proxy: trust X-Grafana-Context', false)
    .addOption(storage())
    .action((opts: { name: string; role: Role; grafana: boolean }, cmd: Command) => {
      try {
        const { token: info, secret } = store(cmd.opts()).create(opts.name, opts.role, opts.grafana);
        process.stderr.write(
          `created ${info.role} token "${info.name}"; this is the only time it is shown:\n`,
        );
        process.stdout.write(`${secret}\n`);
      } catch (error) {
        fail(error);
      }
    });

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .addOption(storage())
    .action((_opts: unknown, cmd: Command) => {
      for (const t of store(cmd.opts()).list()) {
        process.stdout.write(`${t.name}\t${t.role}\t${t.grafana ? 'grafana' : '-'}\t${t.createdAt}\n`);
      }
    });

  token
    .command('revoke')
    .description('revoke a token by name')
    .argument('<name>')
    .addOption(storage())
    .action((name: string, _opts: unknown, cmd: Command) => {
      try {
        store(cmd.opts()).revoke(name);
        process.stderr.write(`revoked "${name}"\n`);
      } catch (error) {
        fail(error);
      }
    });
  return token;
}
