/** The pure parts of /probe and of the HTTP service discovery answer. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { probeTimeoutSeconds } from '../../../src/server/probe.js';
import { httpSdTargets } from '../../../src/server/targets.js';

describe('probe timeout', () => {
  it("is Prometheus' timeout less half a second, or less a tenth of a short one", () => {
    assert.equal(probeTimeoutSeconds('10', 7), 9.5);
    assert.equal(probeTimeoutSeconds('1', 7), 0.9);
    assert.equal(probeTimeoutSeconds('0.1', 7), 0.2, 'never below 0.2 s');
    assert.equal(probeTimeoutSeconds('9999', 7), 300, 'never above 300 s');
  });

  it('falls back to the configured default without a usable header', () => {
    for (const header of [undefined, '', 'abc', '-3', '0', 'Infinity']) {
      assert.equal(probeTimeoutSeconds(header, 7), 7, String(header));
    }
  });
});

describe('HTTP service discovery', () => {
  it('gives one group per host: its name as the target, its labels and __meta_ labels', () => {
    assert.deepEqual(
      httpSdTargets([
        { name: 'web-1', address: '10.0.0.5', port: 2222, user: 'mon', labels: { env: 'prod' } },
      ]),
      [
        {
          targets: ['web-1'],
          labels: {
            env: 'prod',
            __meta_hyperion_host: 'web-1',
            __meta_hyperion_address: '10.0.0.5',
            __meta_hyperion_port: '2222',
            __meta_hyperion_user: 'mon',
          },
        },
      ],
    );
    assert.deepEqual(httpSdTargets([]), []);
  });
});
