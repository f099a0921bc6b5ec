/**
 * What jsdom lacks and Grafana's packages expect, set before any of them loads: Grafana's boot
 * data (read by @grafana/runtime at import), matchMedia, TextEncoder, canvas contexts.
 */
import { TextDecoder, TextEncoder } from 'node:util';

Object.assign(globalThis, { TextEncoder, TextDecoder });

// Node-environment tests (the build test) have no window and need none of this.
if (typeof window !== 'undefined') setUpBrowser();

function setUpBrowser(): void {
  (window as unknown as { grafanaBootData: unknown }).grafanaBootData = {
    settings: { appSubUrl: '', buildInfo: { version: '13.1.1', edition: 'Open Source' }, featureToggles: {} },
    user: {
      login: 'tester',
      orgRole: 'Editor',
      theme: 'dark',
      timezone: 'browser',
      locale: 'en-US',
      language: 'en-US',
    },
    navTree: [],
  };

  Object.defineProperty(window, 'matchMedia', {
    writable: true,
    value: (query: string) => ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => undefined,
      removeListener: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      dispatchEvent: () => false,
    }),
  });

  /** A 2D context that measures text by length (Combobox sizes its menu with it) and draws nothing. */
  const context2d = new Proxy(
    { measureText: (text: string) => ({ width: text.length * 7 }) } as Record<string, unknown>,
    { get: (target, key: string) => (key in target ? target[key] : () => undefined) },
  );
  HTMLCanvasElement.prototype.getContext = (() =>
    context2d) as unknown as typeof HTMLCanvasElement.prototype.getContext;

  /** jsdom has no layout: an observer that never reports is the truthful stand-in. */
  class NoLayoutObserver {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  }
  Object.assign(globalThis, { ResizeObserver: NoLayoutObserver, IntersectionObserver: NoLayoutObserver });
}
