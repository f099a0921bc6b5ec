/**
 * What a host already schedules, read-only: its cron tables and, where systemd runs, its
 * timers. Read through the Host interface (files in one batch, systemctl as an argument vector),
 * so it answers the same for a remote host.
 */
import type { Host } from '../../hosts/host.js';
import { parseCrontab, type CronEntry, type CrontabProblem } from '../../parsers/crontab.js';
import { parseListTimers, type SystemdTimer } from '../../parsers/systemd-timers.js';
import { errorMessage, isNotFound } from '../../util/errors.js';
import { under } from '../../util/paths.js';

export type CrontabKind = 'system' | 'cron.d' | 'user';

export interface CrontabFile {
  /** The path on the host. */
  path: string;
  kind: CrontabKind;
  /** For user tables: whose (the file's name). */
  owner: string | null;
  /** Why cron itself skips this file, when it does. */
  ignoredByCron: string | null;
  /** Why it could not be read (permission denied…); null when it was. */
  error: string | null;
  env: Record<string, string>;
  entries: CronEntry[];
  problems: CrontabProblem[];
}

export type SystemdTimers =
  { available: true; timers: SystemdTimer[] } | { available: false; reason: string; timers: [] };

export interface HostSchedules {
  host: string;
  crontabs: CrontabFile[];
  systemdTimers: SystemdTimers;
}

/** Debian's cron reads only files of /etc/cron.d named like run-parts' LSB names (no dots). */
const CRON_D_NAME = /^[A-Za-z0-9_-]+$/;
const SYSTEMCTL_TIMEOUT_MS = 10_000;

interface Candidate {
  path: string;
  kind: CrontabKind;
  owner: string | null;
  ignoredByCron: string | null;
}

/** Files of a directory (symlinks included, as cron follows them); none when it does not exist. */
async function filesIn(host: Host, dir: string): Promise<{ names: string[]; error: string | null }> {
  try {
    const entries = await host.listDir(under(host.paths.rootfs, dir));
    const names = entries.filter((e) => e.type === 'file' || e.type === 'symlink').map((e) => e.name);
    return { names: names.sort(), error: null };
  } catch (error) {
    return isNotFound(error) ? { names: [], error: null } : { names: [], error: errorMessage(error) };
  }
}

async function candidates(host: Host): Promise<{ files: Candidate[]; unreadable: CrontabFile[] }> {
  const files: Candidate[] = [{ path: '/etc/crontab', kind: 'system', owner: null, ignoredByCron: null }];
  const unreadable: CrontabFile[] = [];
  const unreadableDir = (path: string, kind: CrontabKind, error: string) =>
    unreadable.push({
      path,
      kind,
      owner: null,
      ignoredByCron: null,
      error,
      env: {},
      entries: [],
      problems: [],
    });

  const cronD = await filesIn(host, '/etc/cron.d');
  if (cronD.error) unreadableDir('/etc/cron.d', 'cron.d', cronD.error);
  for (const name of cronD.names) {
    files.push({
      path: `/etc/cron.d/${name}`,
      kind: 'cron.d',
      owner: null,
      ignoredByCron: CRON_D_NAME.test(name)
        ? null
        : 'cron skips files in /etc/cron.d whose names have characters other than letters, digits, "_" and "-"',
    });
  }
  // Debian keeps user tables in crontabs/, Red Hat directly in /var/spool/cron.
  let spool = await filesIn(host, '/var/spool/cron/crontabs');
  let spoolDir = '/var/spool/cron/crontabs';
  if (spool.names.length === 0 && !spool.error) {
    spool = await filesIn(host, '/var/spool/cron');
    spoolDir = '/var/spool/cron';
  }
  if (spool.error) unreadableDir(spoolDir, 'user', spool.error);
  for (const name of spool.names) {
    if (name.startsWith('.') || name.startsWith('tmp.')) continue; // crontab(1)'s temporary files
    files.push({ path: `${spoolDir}/${name}`, kind: 'user', owner: name, ignoredByCron: null });
  }
  return { files, unreadable };
}

async function readCrontabs(host: Host): Promise<CrontabFile[]> {
  const { files, unreadable } = await candidates(host);
  const texts = await host.readFiles(files.map((f) => under(host.paths.rootfs, f.path)));
  const out: CrontabFile[] = [];
  for (const file of files) {
    const read = texts.get(under(host.paths.rootfs, file.path));
    if (!read) continue;
    if (!read.ok) {
      if (isNotFound(read.error)) continue; // no /etc/crontab on this host: nothing to show
      out.push({ ...file, error: errorMessage(read.error), env: {}, entries: [], problems: [] });
      continue;
    }
    const parsed = parseCrontab(read.text, { system: file.kind !== 'user' });
    const entries =
      file.kind === 'user' ? parsed.entries.map((e) => ({ ...e, user: file.owner })) : parsed.entries;
    out.push({ ...file, error: null, env: parsed.env, entries, problems: parsed.problems });
  }
  return [...out, ...unreadable];
}

async function readTimers(host: Host): Promise<SystemdTimers> {
  const unavailable = (reason: string): SystemdTimers => ({ available: false, reason, timers: [] });
  // sd_booted(3): systemd is the service manager exactly when this directory exists.
  const booted = under(host.paths.rootfs, '/run/systemd/system');
  if (!(await host.statMany([booted])).get(booted)?.ok) {
    return unavailable(`systemd is not the service manager on host ${host.name} (no /run/systemd/system)`);
  }
  try {
    const args = ['list-timers', '--all', '--output=json', '--no-pager'];
    // Through the root agent: an unprivileged systemctl needs D-Bus.
    const r = await host.privileged.systemctlQuery(args, SYSTEMCTL_TIMEOUT_MS);
    if (r.code !== 0) {
      return unavailable(
        `systemctl list-timers failed: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`,
      );
    }
    return { available: true, timers: parseListTimers(r.stdout) };
  } catch (error) {
    return unavailable(`systemctl list-timers failed: ${errorMessage(error)}`);
  }
}

export async function readHostSchedules(host: Host): Promise<HostSchedules> {
  const [crontabs, systemdTimers] = await Promise.all([readCrontabs(host), readTimers(host)]);
  return { host: host.name, crontabs, systemdTimers };
}
