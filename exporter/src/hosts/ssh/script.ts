/**
 * The one place that builds the shell text sent to a remote host. Every value a caller gives
 * goes through shellQuote (quote.ts); everything else here is fixed text.
 *
 * The exporter keeps a few long-lived `/bin/sh` processes per host ("workers", worker.ts) and
 * writes requests to their standard input, so a request costs a fork of `cat` or `find` on the
 * host instead of a new SSH channel, a new login shell and its start-up files. Each request
 * ends by printing a terminator on stdout and on stderr; a batch of file reads separates the
 * files with a separator read from a private file. Both marks hold random secrets the host's
 * other users never see (they travel on the channel, not in any command line), so nothing a
 * process writes into its /proc files can forge them. Output is read with LC_ALL=C so tool
 * messages end in the C library's strerror text (errno.ts).
 */
import { ENV_NAME, shellQuote, shellWords } from './quote.js';

/** The secrets of one worker: the terminator prefix and the separator between files. */
export interface Marks {
  /** Starts every line the worker itself prints ("<mark> <seq> …"). */
  mark: string;
  /** Written between the files of a batch read (the content of "$d/s" on the host). */
  separator: string;
}

/** "\n<mark> <seq> end\n": the last bytes of a request's stdout and of its stderr. */
export function terminator(marks: Marks, seq: number): string {
  return `\n${marks.mark} ${seq} end\n`;
}

function printMark(marks: Marks, seq: number, word: string, toStderr = false): string {
  return `printf '\\n%s\\n' ${shellQuote(`${marks.mark} ${seq} ${word}`)}${toStderr ? ' >&2' : ''}`;
}

function end(marks: Marks, seq: number): string {
  return `${printMark(marks, seq, 'end')}; ${printMark(marks, seq, 'end', true)}\n`;
}

/**
 * The worker's first request (seq 0): a private directory ($d, 0700) holding the separator
 * file, removed when the shell exits (or by the next worker, if the shell was killed); and `$S`, setsid when the host has it, so
 * a command leads its own process group and a timeout kills everything it started.
 */
export function workerInit(marks: Marks): string {
  return [
    // Directories of workers that died without cleaning up (a killed shell cannot) go first:
    // their name carries the pid of their shell, and only those whose shell is gone are removed.
    // A pid means something only in its own PID namespace (a container, or a service with its
    // own, may share this /tmp), so the name carries the namespace too, and only this
    // namespace's directories are judged: one of another namespace is never taken for dead.
    'n=$(readlink /proc/self/ns/pid 2>/dev/null); n=${n#"pid:["}; n=${n%"]"}; case $n in "" | *[!0-9]*) n=0 ;; esac',
    'for o in "${TMPDIR:-/tmp}"/hyperion-worker."$n".*; do [ -e "$o" ] || continue; q=${o##*/hyperion-worker."$n".}; q=${q%%.*}; [ -d "/proc/$q" ] || rm -rf -- "$o" 2>/dev/null; done',
    'u=$(umask); umask 077',
    'd=$(mktemp -d "${TMPDIR:-/tmp}/hyperion-worker.$n.$$.XXXXXX") || exit 1',
    'umask "$u"',
    `trap 'rm -rf "$d"' EXIT`,
    "trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 141' PIPE",
    `printf '%s' ${shellQuote(marks.separator)} >"$d/s"`,
    'S=; command -v setsid >/dev/null 2>&1 && S=setsid',
    end(marks, 0),
  ].join('\n');
}

/** find(1) listings and stats, one record of NUL-terminated fields per path. */
export type FindKind = 'names' | 'details' | 'stat' | 'lstat';

/** Fields of each kind's records; the first field is the kind's tag. */
export const FIND_FIELDS: Record<FindKind, { tag: string; fields: number }> = {
  names: { tag: 'N', fields: 5 },
  details: { tag: 'D', fields: 11 },
  stat: { tag: 'S', fields: 8 },
  lstat: { tag: 'L', fields: 10 },
};

/**
 * Names and types of the entries of directories, by the shell alone: a glob and test(1) per
 * entry cost no process, where find(1) costs a fork and an exec — most of a scrape's time on a
 * busy host. Same records as find would print: the directory itself at depth 0 (followed if it
 * is a symlink, as readdir follows it), then each entry at depth 1 (symlinks not followed).
 */
function listCommand(paths: readonly string[]): string {
  const record = `printf 'N\\0%s\\0%s\\0%s\\0%s\\0'`;
  return [
    `for D in ${shellWords(paths)}; do`,
    `  if [ -d "$D" ] && [ -r "$D" ] && [ -x "$D" ]; then ${record} "$D" 0 d "$D"`,
    '    for f in "$D"/* "$D"/.[!.]* "$D"/..?*; do',
    // An unmatched pattern stays as written: only what exists (or is a link) is an entry.
    '      [ -e "$f" ] || [ -L "$f" ] || continue',
    '      if [ -L "$f" ]; then t=l; elif [ -d "$f" ]; then t=d; elif [ -f "$f" ]; then t=f; else t=o; fi',
    `      ${record} "$D" 1 "$t" "\${f##*/}"`,
    '    done',
    `  elif [ -d "$D" ]; then printf "list: '%s': Permission denied\\n" "$D" >&2`,
    `  elif [ -e "$D" ]; then ${record} "$D" 0 f "$D"`,
    `  else printf "list: '%s': No such file or directory\\n" "$D" >&2`,
    '  fi',
    'done',
  ].join('\n');
}

function findCommand(kind: FindKind, paths: readonly string[]): string {
  const quoted = shellWords(paths);
  switch (kind) {
    case 'names':
      return listCommand(paths);
    // -H follows a listed directory that is itself a symlink, as readdir does; depth 0 tells a
    // missing or non-directory path apart from an empty one.
    case 'details':
      return `find -H ${quoted} -mindepth 0 -maxdepth 1 -printf 'D\\0%H\\0%d\\0%y\\0%s\\0%m\\0%U\\0%G\\0%T@\\0%l\\0%f\\0'`;
    case 'stat':
      return `find -L ${quoted} -maxdepth 0 -printf 'S\\0%p\\0%y\\0%s\\0%m\\0%U\\0%G\\0%T@\\0'`;
    case 'lstat':
      return `find -P ${quoted} -maxdepth 0 -printf 'L\\0%p\\0%y\\0%s\\0%m\\0%U\\0%G\\0%T@\\0%l\\0%D\\0'`;
  }
}

/** One round trip of reads; the parts are answered in this order (batch.ts parses them). */
export interface BatchPlan {
  /** The host's clock (date +%s.%N) as the first part. */
  clock: boolean;
  /** Whole files (cat). */
  reads: readonly string[];
  /** At most `maxBytes` of each file (head -c), one group per size. */
  heads: readonly { maxBytes: number; paths: readonly string[] }[];
  finds: readonly { kind: FindKind; paths: readonly string[] }[];
  /** Canonical paths (realpath -e), after the find records and one more separator. */
  realpaths: readonly string[];
}

/** Stderr section names, in the order the tools run: errors belong to the section they follow. */
export function batchSections(plan: BatchPlan): string[] {
  const sections: string[] = [];
  if (plan.clock) sections.push('clock');
  if (plan.clock || plan.reads.length > 0) sections.push('reads');
  plan.heads.forEach((_, i) => sections.push(`heads${i}`));
  plan.finds.forEach((_, i) => sections.push(`find${i}`));
  if (plan.realpaths.length > 0) sections.push('realpaths');
  return sections;
}

/**
 * stdout: [clock SEP] (file SEP)* (head SEP)* find-records [SEP realpath-records], then the
 * terminator. Every file is followed by the separator file, so one cat reads them all.
 */
export function batchRequest(marks: Marks, seq: number, plan: BatchPlan): string {
  const lines: string[] = [];
  const section = (name: string) => lines.push(printMark(marks, seq, name, true));
  if (plan.clock) {
    section('clock');
    lines.push('date +%s.%N </dev/null');
  }
  if (plan.clock || plan.reads.length > 0) {
    section('reads');
    const args = plan.clock ? ['"$d/s"'] : [];
    for (const path of plan.reads) args.push(shellQuote(path), '"$d/s"');
    lines.push(`LC_ALL=C cat -- ${args.join(' ')} </dev/null`);
  }
  plan.heads.forEach((group, i) => {
    section(`heads${i}`);
    const args = group.paths.map((p) => `${shellQuote(p)} "$d/s"`).join(' ');
    lines.push(`LC_ALL=C head -q -c ${Math.floor(group.maxBytes)} -- ${args} </dev/null`);
  });
  plan.finds.forEach((find, i) => {
    section(`find${i}`);
    lines.push(
      find.kind === 'names'
        ? findCommand('names', find.paths)
        : `LC_ALL=C ${findCommand(find.kind, find.paths)} </dev/null`,
    );
  });
  if (plan.realpaths.length > 0) {
    section('realpaths');
    lines.push(`cat -- "$d/s"; LC_ALL=C realpath -z -e -- ${shellWords(plan.realpaths)} </dev/null`);
  }
  lines.push(end(marks, seq));
  return lines.join('\n');
}

/** statfs of mount points, alone in its request: a dead network mount hangs it (see pool.ts). */
export function statfsRequest(marks: Marks, seq: number, paths: readonly string[]): string {
  return [
    printMark(marks, seq, 'statfs', true),
    `LC_ALL=C stat -f --printf 'F\\0%n\\0%S\\0%b\\0%f\\0%a\\0%c\\0%d\\0' -- ${shellWords(paths)} </dev/null`,
    end(marks, seq),
  ].join('\n');
}

export interface RunPlan {
  argv: readonly string[];
  /** Wrap the program in `sudo -n --` (privilege mode sudo, a command that needs it). */
  sudo: boolean;
  cwd?: string;
  env?: Readonly<Record<string, string>>;
  input?: string;
  timeoutMs?: number;
  maxOutputBytes: number;
}

/**
 * Runs one program in the background, in a process group of its own (setsid), with stdout and
 * stderr in private files — so a process it leaves behind can never write into the worker's
 * stream — and a watchdog that SIGKILLs the group at the timeout. stdout of the request:
 *   "<mark> <seq> p <pid>" when started ("<mark> <seq> nocwd" if the directory is missing),
 *   "<mark> <seq> x <status> <timedOut>" when it ended, then the last maxOutputBytes+1 bytes of
 *   its stdout, the separator, the same of its stderr, and the terminator.
 */
export function runRequest(marks: Marks, seq: number, plan: RunPlan): string {
  const [program] = plan.argv;
  if (program === undefined) throw new TypeError('empty argument vector');
  const inner: string[] = [];
  const env = Object.entries(plan.env ?? {});
  for (const [name] of env) {
    if (!ENV_NAME.test(name)) throw new TypeError(`not an environment variable name: ${name}`);
  }
  if (env.length > 0 && !plan.sudo) {
    inner.push(`export ${env.map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ')}`);
  }
  if (plan.cwd !== undefined) inner.push(`cd -- ${shellQuote(plan.cwd)} || exit 126`);
  // sudo resets the environment, so there the variables go through env(1), after sudo.
  const sudo = plan.sudo ? 'sudo -n -- ' : '';
  const envArgs =
    plan.sudo && env.length > 0 ? `env ${env.map(([k, v]) => shellQuote(`${k}=${v}`)).join(' ')} ` : '';
  inner.push(`exec $S ${sudo}${envArgs}${shellWords(plan.argv)}`);
  const job = `( ${inner.join('; ')} )`;
  const stdin = plan.input === undefined ? '</dev/null' : '';
  const feed = plan.input === undefined ? '' : `printf '%s' ${shellQuote(plan.input)} | `;
  // One byte more than kept tells whether anything was cut; never less than the separator,
  // which the same tail(1) prints between the two outputs.
  const keep = Math.max(Math.floor(plan.maxOutputBytes), marks.separator.length) + 1;
  const lines = [
    `${feed}${job} ${stdin} >"$d/o" 2>"$d/e" &`,
    'p=$!',
    `printf '\\n%s %s\\n' ${shellQuote(`${marks.mark} ${seq} p`)} "$p"`,
  ];
  if (plan.timeoutMs !== undefined && plan.timeoutMs > 0) {
    const seconds = Math.max(0.001, plan.timeoutMs / 1000).toFixed(3);
    // kill(1) from procps/util-linux for the negative pid (dash's builtin refuses it): through
    // env, or through sudo for a program that sudo started (the sudoers rule names kill, not
    // env); the pid alone when there is no process group (no setsid on the host).
    const killer = plan.sudo ? 'sudo -n -- kill' : 'env kill';
    const kill = `${killer} -s KILL -- "-$3" 2>/dev/null || ${killer} -s KILL "$3"`;
    lines.push(
      `$S sh -c 'sleep "$1"; : >"$2"; ${kill.replace(/'/g, `'\\''`)}' sh ${seconds} "$d/t" "$p" </dev/null >/dev/null 2>&1 &`,
      'w=$!',
    );
  }
  lines.push('wait "$p"; s=$?');
  if (plan.timeoutMs !== undefined && plan.timeoutMs > 0) {
    lines.push(`[ -n "$S" ] && env kill -s TERM -- "-$w" 2>/dev/null || kill "$w" 2>/dev/null`);
  }
  lines.push(
    't=0; if [ -e "$d/t" ]; then t=1; rm -f "$d/t"; fi',
    `printf '\\n%s %s %s\\n' ${shellQuote(`${marks.mark} ${seq} x`)} "$s" "$t"`,
    `tail -q -c ${keep} "$d/o" "$d/s" "$d/e"`,
    'rm -f "$d/o" "$d/e"',
  );
  const body = lines.join('\n');
  const script =
    plan.cwd === undefined
      ? body
      : `if [ -d ${shellQuote(plan.cwd)} ]; then\n${body}\nelse ${printMark(marks, seq, 'nocwd')}; fi`;
  return `${script}\n${end(marks, seq)}`;
}
