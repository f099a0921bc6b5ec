/**
 * /proc/mdstat, as drivers/md/md.c (md_seq_show, status_resync) and each personality's status
 * function write it. One section per array:
 *
 *   md0 : active raid1 sdb1[1](F) sda1[0]                        name, state, level, members
 *         1046528 blocks super 1.2 [2/1] [U_]                    size in 1 KiB blocks, [needed/working]
 *         [=====>...............]  recovery = 28.6% (299776/1046528) finish=0.0min speed=149888K/sec
 *         bitmap: 1/1 pages [4KB], 65536KB chunk
 *
 * A member is followed by (F) when faulty, (S) when spare, (W) write-mostly, (R) replacement.
 * The sync line names the operation running (resync, recovery, check, reshape) and its progress
 * in the operation's own blocks — per member device for raid4/5/6, not the array's size — or says
 * `resync=DELAYED` (waiting for another array on the same disks) or `resync=PENDING` (waiting
 * for the array to be written to). An inactive array has no level and only the blocks line.
 * raid0 and linear have no [needed/working]: every member is needed.
 */
import { ignoreSkipped, type SkipReporter } from './skip.js';

export type SyncAction = 'resync' | 'recovery' | 'check' | 'reshape';

export interface MdSync {
  action: SyncAction;
  /** Blocks done and to do in this operation; undefined while it waits (DELAYED, PENDING). */
  done?: number;
  total?: number;
  /** Set when the operation has not started: another array shares the disks, or none wrote yet. */
  waiting?: 'DELAYED' | 'PENDING';
}

export interface MdArray {
  name: string;
  active: boolean;
  /** (read-only) or (auto-read-only): assembled, not yet written to. */
  readOnly: boolean;
  /** raid1, raid5, raid10, linear…; undefined for an inactive array. */
  level: string | undefined;
  /** Member devices listed, whatever their state. */
  members: number;
  failed: number;
  spare: number;
  /** Devices the array needs, from [needed/working]; undefined where md prints none. */
  needed: number | undefined;
  /** Devices in sync, from [needed/working]. */
  working: number | undefined;
  /** Size in 1 KiB blocks (md's unit); undefined when no member is attached. */
  blocks: number | undefined;
  sync: MdSync | undefined;
}

const HEADER = /^(\S+) : (active|inactive)\b(.*)$/;
const MEMBER = /^(.+)\[(\d+)\]((?:\([A-Z]\))*)$/;
const BLOCKS = /^\s*(\d+) blocks\b/;
const NEEDED_WORKING = /\[(\d+)\/(\d+)\] \[[U_]+\]/;
const PROGRESS = /\b(resync|recovery|check|reshape) = *(\d+(?:\.\d+)?)% \((\d+)\/(\d+)\)/;
const WAITING = /\bresync=(DELAYED|PENDING)\b/;
/** Lines that are not arrays and say nothing about one (2.4 kernels printed read_ahead). */
const PREAMBLE = /^(Personalities :|unused devices:|read_ahead )/;

function parseHeader(match: RegExpExecArray): MdArray {
  const array: MdArray = {
    name: match[1]!,
    active: match[2] === 'active',
    readOnly: false,
    level: undefined,
    members: 0,
    failed: 0,
    spare: 0,
    needed: undefined,
    working: undefined,
    blocks: undefined,
    sync: undefined,
  };
  for (const token of match[3]!.trim().split(/\s+/)) {
    if (token === '') continue;
    if (token === '(read-only)' || token === '(auto-read-only)') {
      array.readOnly = true;
      continue;
    }
    const member = MEMBER.exec(token);
    if (!member) {
      // The level comes before the members, and only an active array has one.
      if (array.active && array.level === undefined && array.members === 0) array.level = token;
      continue;
    }
    array.members += 1;
    if (member[3]!.includes('(F)')) array.failed += 1;
    if (member[3]!.includes('(S)')) array.spare += 1;
  }
  return array;
}

function parseDetail(array: MdArray, line: string): void {
  const blocks = BLOCKS.exec(line);
  if (blocks && array.blocks === undefined) {
    array.blocks = Number(blocks[1]);
    const nw = NEEDED_WORKING.exec(line);
    if (nw) {
      array.needed = Number(nw[1]);
      array.working = Number(nw[2]);
    }
    return;
  }
  const progress = PROGRESS.exec(line);
  if (progress) {
    array.sync = {
      action: progress[1] as SyncAction,
      done: Number(progress[3]),
      total: Number(progress[4]),
    };
    return;
  }
  const waiting = WAITING.exec(line);
  if (waiting) array.sync = { action: 'resync', waiting: waiting[1] as 'DELAYED' | 'PENDING' };
  // bitmap lines and the blank-looking separators carry nothing exported
}

export function parseMdstat(text: string, skipped: SkipReporter = ignoreSkipped): MdArray[] {
  const arrays: MdArray[] = [];
  let current: MdArray | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (/^\s/.test(line)) {
      if (current) parseDetail(current, line);
      else skipped(line, 'detail line outside an array');
      continue;
    }
    current = undefined;
    const header = HEADER.exec(line);
    if (header) {
      current = parseHeader(header);
      arrays.push(current);
    } else if (!PREAMBLE.test(line)) {
      skipped(line, 'neither an array nor a known header line');
    }
  }
  return arrays;
}
