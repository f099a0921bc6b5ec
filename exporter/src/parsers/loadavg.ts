/** /proc/loadavg: "0.52 0.58 0.59 2/437 12345". */
import { fields, toNumber } from './skip.js';

export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
  /** Currently runnable kernel scheduling entities (threads). */
  runnable: number;
  /** All kernel scheduling entities (threads) on the system. */
  entities: number;
}

export function parseLoadavg(text: string): LoadAvg {
  const [l1, l5, l15, tasks] = fields(text);
  const [runnable, entities] = (tasks ?? '').split('/');
  const out = {
    load1: toNumber(l1),
    load5: toNumber(l5),
    load15: toNumber(l15),
    runnable: toNumber(runnable),
    entities: toNumber(entities),
  };
  if ([out.load1, out.load5, out.load15].some(Number.isNaN)) {
    throw new Error(`malformed /proc/loadavg: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return out;
}
