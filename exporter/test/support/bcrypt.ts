/**
 * bcrypt hashes for basic_auth_users, made by another implementation than the one the exporter
 * verifies with: Debian's python3-bcrypt (the libxcrypt-derived C code), so a test proves the
 * exporter accepts hashes an operator makes with the usual tools. Debian's own interpreter is
 * used: a python3 earlier on PATH (pyenv, a virtualenv) does not see Debian's modules.
 */
import { execFileSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';

export function bcryptHash(password: string, cost = 4): string {
  try {
    return execFileSync(
      PYTHON,
      [
        '-c',
        'import bcrypt, sys; print(bcrypt.hashpw(sys.stdin.buffer.read(), bcrypt.gensalt(int(sys.argv[1]))).decode())',
        String(cost),
      ],
      { input: password, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] },
    ).trim();
  } catch (error) {
    throw new Error(
      `${PYTHON} cannot make a bcrypt hash (install python3-bcrypt: scripts/install-test-deps.sh): ${(error as Error).message}`,
    );
  }
}
