/** The harness bundle: the app from its sources, in the harness shell (shell.tsx). */
import type { AppPlugin, KeyValue } from '@grafana/data';
import { plugin } from '../src/module';
import { renderHarness } from './shell';

renderHarness(plugin as unknown as AppPlugin<KeyValue>);
