/**
 * Test certificates, made with the real openssl at test time (no key is ever committed): a CA,
 * server certificates for 127.0.0.1 / ::1 / localhost signed by it, client certificates signed
 * by it, and — to be refused — a client certificate from another CA and a self-signed one.
 *
 *   const pki = makePki();            // files under pki.dir
 *   pki.server('exporter')            // { cert, key } paths
 *   pki.client('prometheus')          // signed by pki.ca
 *   pki.remove();
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';

export interface CertFiles {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  /** The CA certificate (PEM file) that signs server and client certificates. */
  ca: string;
  server(name: string): CertFiles;
  client(name: string): CertFiles;
  /** A client certificate signed by a CA the exporter does not know. */
  foreignClient(name: string): CertFiles;
  /** A self-signed client certificate. */
  selfSignedClient(name: string): CertFiles;
  /** SHA-256 fingerprint of a certificate file, as node:tls reports fingerprint256. */
  fingerprint(certFile: string): string;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(
      `openssl ${args.join(' ')} failed (install openssl: scripts/install-test-deps.sh): ${stderr}`,
    );
  }
}

/** A P-256 key and a certificate for it, signed by `issuer` or by itself. */
function issue(
  dir: string,
  name: string,
  subject: string,
  options: { issuer?: CertFiles; extensions: string; ca?: boolean },
): CertFiles {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(ext, `[ext]\n${options.extensions}\n`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], dir);
  if (options.issuer === undefined) {
    openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        key,
        '-subj',
        subject,
        '-days',
        '2',
        '-out',
        cert,
        '-extensions',
        'ext',
        '-config',
        ext,
      ],
      dir,
    );
  } else {
    const csr = path.join(dir, `${name}.csr`);
    openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr, '-config', ext], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        options.issuer.cert,
        '-CAkey',
        options.issuer.key,
        '-CAcreateserial',
        '-days',
        '2',
        '-out',
        cert,
        '-extfile',
        ext,
        '-extensions',
        'ext',
      ],
      dir,
    );
  }
  return { cert, key };
}

const CA_EXT = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign';
const SERVER_EXT =
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' +
  'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost';
const CLIENT_EXT =
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth';

export function makePki(): Pki {
  const dir = mkdtempSync(path.join(os.tmpdir(), `hyperion-pki-${process.pid}-`));
  // openssl req needs a [req] section with a distinguished_name when given -config.
  const withReq = (ext: string) => `${ext}\n[req]\ndistinguished_name=dn\n[dn]`;
  const ca = issue(dir, 'ca', '/CN=Hyperion test CA', { extensions: withReq(CA_EXT), ca: true });
  const otherCa = issue(dir, 'other-ca', '/CN=Another CA', { extensions: withReq(CA_EXT), ca: true });
  return {
    dir,
    ca: ca.cert,
    server: (name) => issue(dir, name, `/CN=${name}`, { issuer: ca, extensions: withReq(SERVER_EXT) }),
    client: (name) => issue(dir, name, `/CN=${name}`, { issuer: ca, extensions: withReq(CLIENT_EXT) }),
    foreignClient: (name) =>
      issue(dir, name, `/CN=${name}`, { issuer: otherCa, extensions: withReq(CLIENT_EXT) }),
    selfSignedClient: (name) => issue(dir, name, `/CN=${name}`, { extensions: withReq(CLIENT_EXT) }),
    fingerprint: (certFile) => new X509Certificate(readFileSync(certFile)).fingerprint256,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
