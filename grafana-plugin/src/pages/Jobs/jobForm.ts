/** The job editor's form state and its translation to the API's job definition. */
import type { JobSpec, JobView } from '../../api/types';

export interface JobForm {
  name: string;
  description: string;
  host: string;
  schedule: string;
  timezone: string;
  kind: 'argv' | 'shell';
  /** One argument per line: no quoting rules to get wrong. */
  argv: string;
  shell: string;
  cwd: string;
  /** KEY=value, one per line. */
  env: string;
  timeoutSeconds: string;
  overlap: JobSpec['overlap'];
  enabled: boolean;
}

export function emptyForm(host: string): JobForm {
  return {
    name: '',
    description: '',
    host,
    schedule: '*/5 * * * *',
    timezone: '',
    kind: 'argv',
    argv: '',
    shell: '',
    cwd: '',
    env: '',
    timeoutSeconds: '3600',
    overlap: 'skip',
    enabled: true,
  };
}

export function formOf(job: JobView): JobForm {
  return {
    name: job.name,
    description: job.description ?? '',
    host: job.host,
    schedule: job.schedule,
    timezone: job.timezone ?? '',
    kind: job.command.shell !== undefined ? 'shell' : 'argv',
    argv: (job.command.argv ?? []).join('\n'),
    shell: job.command.shell ?? '',
    cwd: job.command.cwd ?? '',
    env: Object.entries(job.command.env ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    timeoutSeconds: String(job.timeoutSeconds),
    overlap: job.overlap,
    enabled: job.enabled,
  };
}

export function parseEnv(text: string): Record<string, string> | string {
  const env: Record<string, string> = {};
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const at = line.indexOf('=');
    if (at <= 0) return `line ${i + 1}: write KEY=value`;
    env[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return env;
}

/** The first thing wrong with the form, in words, or undefined. The exporter checks it all again. */
export function formProblem(f: JobForm): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(f.name))
    return 'A name is 1–63 letters, digits, ".", "_" or "-"';
  if (f.schedule.trim() === '') return 'A schedule is needed';
  if (f.kind === 'argv' && f.argv.split('\n').every((l) => l.trim() === '')) return 'Name the program to run';
  if (f.kind === 'shell' && f.shell.trim() === '') return 'The script is empty';
  if (f.cwd !== '' && !f.cwd.startsWith('/')) return 'The working directory is an absolute path';
  if (!/^\d+$/.test(f.timeoutSeconds) || Number(f.timeoutSeconds) < 1)
    return 'The timeout is a number of seconds';
  const env = parseEnv(f.env);
  if (typeof env === 'string') return `Environment ${env}`;
  return undefined;
}

export function specOf(f: JobForm): JobSpec {
  const env = parseEnv(f.env);
  const argv = f.argv.split('\n').filter((l) => l !== '');
  return {
    name: f.name,
    ...(f.description.trim() ? { description: f.description.trim() } : {}),
    host: f.host,
    schedule: f.schedule.trim(),
    ...(f.timezone.trim() ? { timezone: f.timezone.trim() } : {}),
    command: {
      ...(f.kind === 'argv' ? { argv } : { shell: f.shell }),
      ...(f.cwd ? { cwd: f.cwd } : {}),
      ...(typeof env === 'object' && Object.keys(env).length > 0 ? { env } : {}),
    },
    timeoutSeconds: Number(f.timeoutSeconds),
    overlap: f.overlap,
    enabled: f.enabled,
  };
}

export function commandText(job: Pick<JobView, 'command'>): string {
  return job.command.shell !== undefined ? `sh -c ${job.command.shell}` : (job.command.argv ?? []).join(' ');
}
