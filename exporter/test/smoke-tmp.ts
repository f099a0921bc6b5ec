import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import pino from 'pino';
import { generateKey, startSshd } from './support/sshd.js';
import { SshHost } from '../src/hosts/ssh-host.js';
import { SshMetrics } from '../src/hosts/ssh/metrics.js';
import { fetchHostKey } from '../src/hosts/ssh/host-key.js';
import { DEFAULT_SSH_CONFIG } from '../src/hosts/ssh/config.js';
const key = generateKey();
const sshd = await startSshd({ authorizedKeys: [key.publicKey] });
try {
const hk = await fetchHostKey({ address: '127.0.0.1', port: sshd.port, timeoutMs: 5000 });
console.log('hostkey', hk.type, hk.fingerprint, sshd.fingerprint);
const log = pino({ level: 'debug' });
const host = new SshHost({ name: 'h1', address: '127.0.0.1', port: sshd.port, user: 'root', credentials: () => ({ type: 'key', privateKey: readFileSync(key.privateKeyFile) }), hostKey: hk },
  { connectTimeoutMs: 10000, keepaliveIntervalMs: 15000, keepaliveCountMax: 3, backoffInitialMs: 500, backoffMaxMs: 8000, idleCloseMs: 600000, maxChannels: 8, commandTimeoutMs: 30000, privilege: 'root', sudoCommands: DEFAULT_SSH_CONFIG.sudoCommands }, new SshMetrics(new Registry()), log);
let t = performance.now();
console.log((await host.readFile('/proc/loadavg')).trim(), (performance.now()-t).toFixed(1));
t = performance.now();
const [files, list, st, clock] = await Promise.all([host.readFiles(['/proc/stat', '/proc/nope', '/etc/hostname', '/proc/1/mem']), host.listDir('/proc'), host.statMany(['/proc/1', '/nope']), host.now()]);
console.log('batch ms', (performance.now()-t).toFixed(1), [...files].map(([p, r]) => [p, r.ok ? r.text.length : (r.error as NodeJS.ErrnoException).code]), list.length, [...st].map(([p, r]) => [p, r.ok ? r.stat : (r.error as NodeJS.ErrnoException).code]), clock, Date.now()/1000);
console.log(await host.statfs('/'), await host.lstat('/proc/self'), (await host.listDirDetailed('/etc')).slice(0, 2), await host.realpath('/proc/self/..'), await host.readLink('/proc/self'));
console.log(await host.run(['sh', '-c', 'echo out; echo err >&2; exit 3']));
console.log(await host.run(['cat'], { input: "it's input" }));
console.log(await host.run(['nonexistent-prog']).catch(e => e.message));
console.log(await host.run(['pwd'], { cwd: '/tmp' }), await host.run(['pwd'], { cwd: '/nonexist' }).catch(e => e.message));
t = performance.now();
console.log(await host.run(['sleep', '5'], { timeoutMs: 500, onTimeout: 'resolve' }), (performance.now()-t).toFixed(0));
console.log(await host.run(['sh', '-c', 'echo $FOO'], { env: { FOO: "a b'c" } }));
for (let i = 0; i < 5; i++) { t = performance.now(); await Promise.all([host.readFile('/proc/stat'), host.listDir('/proc')]); console.log('warm', (performance.now()-t).toFixed(1)); }
host.close();
} finally { await sshd.stop(); key.remove(); }
