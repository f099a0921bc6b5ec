/**
 * The benchmark parts, in the order `npm run bench` runs them. A later part (process list
 * against ps, /probe over SSH) is one module and one line here.
 */
import { hotpathPart } from './hotpath.js';
import { metricsPart } from './metrics.js';
import type { BenchPart } from './part.js';
import { processesPart } from './processes.js';
import { probePart } from './probe.js';
import { steadyPart } from './steady.js';

export const PARTS: readonly BenchPart[] = [metricsPart, steadyPart, hotpathPart, processesPart, probePart];
