/**
 * The audit log: one JSON line per mutating request, allowed or refused, on disk before the
 * reply leaves (DESIGN.md idea 4). Reads filter and page over the file, newest first.
 */
import { Counter, type Registry } from 'prom-client';
import type { AppendLog, DataDir } from '../storage/data-dir.js';

export type AuditResult = 'ok' | 'refused' | 'failed';

export interface AuditRecord {
  time: string;
  /** The token's name or the Grafana login; null when no valid token was presented. */
  actor: string | null;
  tokenName: string | null;
  role: string | null;
  viaGrafana: boolean;
  host: string | null;
  action: string;
  target: string | null;
  args: unknown;
  otpUsed: boolean;
  result: AuditResult;
  status: number;
  error: string | null;
  remoteAddress: string | null;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  host?: string;
  result?: AuditResult;
  since?: Date;
  until?: Date;
  offset: number;
  limit: number;
}

export class AuditLog {
  private readonly log: AppendLog;
  private readonly actions: Counter<'action' | 'result'>;

  constructor(dir: DataDir, metrics: Registry) {
    this.log = dir.openLog('audit.jsonl');
    this.actions = new Counter({
      name: 'hyperion_actions_total',
      help: 'Mutating API requests by action and result (ok, refused, failed).',
      labelNames: ['action', 'result'],
      registers: [metrics],
    });
  }

  append(record: AuditRecord): void {
    this.log.append(record);
    this.actions.inc({ action: record.action, result: record.result });
  }

  query(q: AuditQuery): { total: number; items: AuditRecord[] } {
    const matches = (this.log.readAll() as AuditRecord[]).filter((r) => {
      if (q.actor !== undefined && r.actor !== q.actor) return false;
      if (q.action !== undefined && r.action !== q.action) return false;
      if (q.host !== undefined && r.host !== q.host) return false;
      if (q.result !== undefined && r.result !== q.result) return false;
      const time = Date.parse(r.time);
      if (q.since && time < q.since.getTime()) return false;
      if (q.until && time > q.until.getTime()) return false;
      return true;
    });
    matches.reverse();
    return { total: matches.length, items: matches.slice(q.offset, q.offset + q.limit) };
  }
}
