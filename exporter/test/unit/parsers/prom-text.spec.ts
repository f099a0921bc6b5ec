import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePromText, parseFloatToken, PromTextError } from '../../../src/parsers/prom-text.js';
import { readFixture } from '../helpers.js';

describe('parsePromText', () => {
  it('reads what Prometheus itself exposes: a summary, a histogram, counters and gauges with labels', () => {
    const families = parsePromText(readFixture('textfile/good/prometheus.prom'));
    const byName = new Map(families.map((f) => [f.name, f]));
    assert.deepEqual(
      families.map((f) => `${f.name}:${f.type}`),
      [
        'go_gc_duration_seconds:summary',
        'go_info:gauge',
        'prometheus_build_info:gauge',
        'prometheus_config_last_reload_successful:gauge',
        'prometheus_http_request_duration_seconds:histogram',
        'prometheus_http_requests_total:counter',
      ],
    );
    const gc = byName.get('go_gc_duration_seconds')!;
    assert.deepEqual(
      gc.samples.map((s) => `${s.suffix}${JSON.stringify(s.labels)}=${s.value}`),
      [
        '{"quantile":"0"}=0.000053583',
        '{"quantile":"0.25"}=0.000247051',
        '{"quantile":"0.5"}=0.000426272',
        '{"quantile":"0.75"}=0.007194497',
        '{"quantile":"1"}=0.007194497',
        '_sum{}=0.007921403',
        '_count{}=4',
      ],
    );
    const http = byName.get('prometheus_http_request_duration_seconds')!;
    assert.equal(http.samples.filter((s) => s.suffix === '_bucket').length, 10);
    assert.deepEqual(http.samples.at(-3)!, {
      suffix: '_bucket',
      labels: { handler: '/metrics', le: '+Inf' },
      value: 1,
    });
    assert.equal(byName.get('prometheus_build_info')!.samples[0]!.labels.revision, '2.42.0+ds-5+deb12u1');
    assert.equal(gc.help, 'A summary of the pause duration of garbage collection cycles.');
  });

  it('unescapes HELP and label values, accepts blanks, tabs and a trailing comma, and reads every float form', () => {
    const families = new Map(parsePromText(readFixture('textfile/good/backup.prom')).map((f) => [f.name, f]));
    const last = families.get('backup_last_success_timestamp_seconds')!;
    assert.equal(last.help, 'When the backup last succeeded.\nSet by backup.sh.');
    assert.deepEqual(last.samples[0]!.labels, { job: 'db', path: '/srv/db "main"' });
    assert.deepEqual(last.samples[1]!.labels, {
      job: 'files',
      path: 'C:\\temp\\x',
      note: 'line one\nline two',
    });
    assert.equal(last.samples[1]!.value, 1796600000);
    const bytes = families.get('backup_bytes_total')!;
    assert.equal(bytes.type, 'counter', 'a TYPE line indented by a tab');
    assert.deepEqual(
      bytes.samples.map((s) => s.value),
      [12345678, 1048576],
    );
    assert.equal(families.get('backup_running')!.type, 'untyped');
    assert.equal(families.get('backup_running')!.help, undefined);
    assert.equal(families.get('backup_ratio')!.samples[0]!.value, Infinity);
    assert.ok(Number.isNaN(families.get('backup_unknown')!.samples[0]!.value));
  });

  it('reports a timestamp rather than dropping it, so the caller can refuse the file', () => {
    const [f] = parsePromText('x 1 1796000000000\n');
    assert.equal(f!.samples[0]!.timestampMs, 1796000000000);
  });

  // Each is refused by node_exporter 1.5's textfile collector too (tried: its log names the same
  // reason), except the quantile-less summary sample, the le-less or suffix-less histogram sample
  // and the repeated series, which it turns into empty or dropped series instead.
  const refused: [string, RegExp][] = [
    ['x{job="a} 1', /not closed/],
    ['x{job="a\\q"} 1', /invalid escape sequence/],
    ['x{job=a} 1', /expected a quoted value/],
    ['x{job="a" env="b"} 1', /expected "," or "}"/],
    ['x{1job="a"} 1', /invalid label name/],
    ['x{__name__="y"} 1', /reserved/],
    ['x{__foo="y"} 1', /reserved/], // node_exporter 1.5 panics on this one
    ['x{a="1",a="2"} 1', /duplicate label name/],
    ['0x 1', /invalid metric name/],
    ['x', /no value/],
    ['x one', /is not a number/],
    ['x 0x10', /is not a number/],
    ['x 0x1p-2', /is not a number/], // expfmt refuses a p (hexadecimal floats) and _
    ['x 1_000', /is not a number/],
    ['x +nan', /is not a number/],
    ['x 1 1.5', /is not a timestamp/],
    ['x 1 2 3', /after the timestamp/],
    ['x 1\r', /is not a number/],
    ['# TYPE x gauge\n# TYPE x counter', /second TYPE/],
    ['# HELP x a\n# HELP x b', /second HELP/],
    ['x 1\n# TYPE x gauge', /after its samples/],
    ['# TYPE x meter', /unknown metric type/],
    ['# TYPE x gauge extra', /unexpected text after the type/],
    ['# HELP x bad \\t escape', /invalid escape sequence/],
    ['# TYPE s summary\ns 1', /needs a quantile label/],
    ['# TYPE s summary\ns{quantile="high"} 1', /quantile "high" is not a number/],
    ['# TYPE h histogram\nh_bucket 1', /needs an le label/],
    ['# TYPE h histogram\nh 1', /a histogram's samples are/],
    ['x{a="1"} 1\nx{a="1"} 2', /same series/],
    ['x{a=""} 1\nx 2', /same series/], // an empty label is no label
  ];
  for (const [text, reason] of refused) {
    it(`refuses ${JSON.stringify(text)} with the line it is on`, () => {
      assert.throws(
        () => parsePromText(text),
        (e: unknown) =>
          e instanceof PromTextError && reason.test(e.message) && e.line === text.split('\n').length,
      );
    });
  }

  it('reads floats as Go’s ParseFloat does', () => {
    assert.equal(parseFloatToken('1e3'), 1000);
    assert.equal(parseFloatToken('-.5'), -0.5);
    assert.equal(parseFloatToken('5.'), 5);
    assert.equal(parseFloatToken('-Inf'), -Infinity);
    assert.equal(parseFloatToken('+infinity'), Infinity);
    assert.equal(parseFloatToken('1.048576e+06'), 1048576);
    assert.ok(Number.isNaN(parseFloatToken('NaN')!));
    for (const bad of ['', '1_000', '0x1p3', '0x10', '1e', 'e5', ' 1', '١'])
      assert.equal(parseFloatToken(bad), undefined, bad);
  });
});
