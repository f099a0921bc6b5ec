/**
 * The desired firewall state of one host, in the data directory (`firewall-<host>.json`,
 * replaced atomically). A host without the file has never had a block: reconciliation leaves
 * its firewall alone entirely, so an exporter that nobody asked to block anything never runs
 * a single nft command that changes the ruleset.
 */
import type { DataDir } from '../../storage/data-dir.js';
import { HyperionError, errorMessage } from '../../util/errors.js';
import { stateSchema, type Block } from './model.js';

export class FirewallStore {
  readonly file: string;

  constructor(
    private readonly dir: DataDir,
    hostName: string,
  ) {
    // Host names are [A-Za-z0-9._-] (api/schemas.ts), so this stays one file in the directory.
    this.file = `firewall-${hostName}.json`;
  }

  exists(): boolean {
    return this.dir.mtimeMs(this.file) > 0;
  }

  load(): Block[] {
    try {
      return this.dir.readJson(this.file, stateSchema, { version: 1, blocks: [] }).blocks;
    } catch (error) {
      // Never "repair" by starting empty: that would lift every block. Refuse until a person looks.
      throw new HyperionError(
        'unavailable',
        `the firewall state ${this.dir.path(this.file)} cannot be read (${errorMessage(error)}); fix or remove it`,
      );
    }
  }

  save(blocks: readonly Block[]): void {
    this.dir.writeJson(this.file, { version: 1, blocks });
  }
}
