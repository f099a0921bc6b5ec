/**
 * /proc/<pid>/cmdline: the arguments, each ended by a NUL. Kernel threads and zombies have an
 * empty one, and ps shows those as "[comm]"; so do we. A process that rewrites its argv
 * (setproctitle) may leave one string padded with NULs, or no final NUL at all.
 */

/** The argument vector, exactly: "a\0\0" is ["a", ""], a trailing empty argument included. */
export function parsePidCmdline(text: string): string[] {
  if (text === '') return [];
  const body = text.endsWith('\0') ? text.slice(0, -1) : text;
  return body.split('\0');
}

/**
 * The command line as one display string, as ps shows it: NULs become spaces and trailing
 * NULs (empty arguments, setproctitle padding) are dropped; "[comm]" when there is none.
 */
export function commandLine(cmdline: string, comm: string): string {
  let end = cmdline.length;
  while (end > 0 && cmdline.charCodeAt(end - 1) === 0) end -= 1;
  return end === 0 ? `[${comm}]` : cmdline.slice(0, end).replaceAll('\0', ' ');
}
