/**
 * npm run dev:harness — the app outside Grafana, for working on the UI:
 *
 *   npm run dev:harness -w grafana-plugin                 a fresh real exporter, port 3300
 *   npm run dev:harness -w grafana-plugin -- --exporter-url http://127.0.0.1:8470 \
 *       --viewer-token hyp_… --operator-token hyp_… --admin-token hyp_… [--prometheus-url URL] [--port N]
 *
 * Rebuilds on every source change; reload the page. Sign in as another role with the selector
 * in the bar (a cookie, as Grafana's session would be). Ctrl-C stops everything it started.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_BUNDLE_DIR, watchHarness } from './build';
import { startRealExporter, type RunningExporter } from './exporter';
import { startHarness } from './server';

const { values } = parseArgs({
  options: {
    'exporter-url': { type: 'string' },
    'viewer-token': { type: 'string' },
    'operator-token': { type: 'string' },
    'admin-token': { type: 'string' },
    'prometheus-url': { type: 'string' },
    'prometheus-uid': { type: 'string', default: 'prometheus' },
    port: { type: 'string', default: '3300' },
  },
});

let exporter: RunningExporter | undefined;
let tokens: { viewerToken: string; operatorToken: string; adminToken: string };
let exporterUrl = values['exporter-url'];
if (exporterUrl) {
  tokens = {
    viewerToken: values['viewer-token'] ?? '',
    operatorToken: values['operator-token'] ?? '',
    adminToken: values['admin-token'] ?? '',
  };
} else {
  console.log('starting a real exporter with a fresh data directory…');
  exporter = await startRealExporter({ config: 'security:\n  otp: required\n' });
  exporterUrl = exporter.url;
  tokens = exporter.tokens;
  console.log(`exporter: ${exporter.url} (data: ${exporter.storagePath})`);
}

const harness = await startHarness({
  bundleDir: DEFAULT_BUNDLE_DIR,
  port: Number(values.port),
  settings: {
    jsonData: {
      exporterUrl,
      ...(values['prometheus-url'] ? { prometheusUid: values['prometheus-uid'] } : {}),
    },
    secureJsonData: tokens,
  },
  ...(values['prometheus-url'] ? { prometheusUrl: values['prometheus-url'] } : {}),
  log: (line) => console.log(line),
});
console.log(`building the harness bundle into ${DEFAULT_BUNDLE_DIR}…`);
const watcher = watchHarness(DEFAULT_BUNDLE_DIR, (error) => {
  if (error) console.error(error);
  else console.log(`built — open ${harness.url}/a/hyperion-app/overview`);
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await watcher.close();
  await harness.close();
  await exporter?.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
