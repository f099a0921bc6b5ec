import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filefdCollector } from '../../../src/collectors/filefd.js';
import { collect, family, tempDir, tree, value } from '../helpers.js';

describe('filefd collector', () => {
  it('exports allocated handles and the limit from the captured file-nr', async () => {
    const { families } = await collect(filefdCollector, tree('captured'));
    assert.equal(value(families, 'hyperion_filefd_allocated'), 851);
    assert.equal(value(families, 'hyperion_filefd_maximum'), 2 ** 63); // LONG_MAX, as a double
    assert.equal(family(families, 'hyperion_filefd_allocated')?.type, 'gauge');
  });

  it('fails when the file is missing (every Linux has it: its absence is a broken procfs)', async () => {
    const empty = tempDir();
    try {
      await assert.rejects(collect(filefdCollector, { procfs: empty.dir }), /ENOENT/);
    } finally {
      empty.cleanup();
    }
  });
});
