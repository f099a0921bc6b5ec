/**
 * The API client's contract: the route follows the Grafana role, errors carry the problem's
 * detail, and the second factor is asked for once and retried exactly once.
 */
import {
  HyperionClient,
  routeForOrgRole,
  type CodePrompt,
  type CodeRequest,
  type XhrFactory,
  apiPath,
} from '../../src/api/client';
import { waitFor } from '@testing-library/react';
import { ApiError } from '../../src/api/errors';
import { ENROLLED, fakeBackend, problem, elevatingBackend } from '../support/fakeBackend';

function client(
  prompt: CodePrompt = async () => '123456',
  route: 'viewer' | 'operator' | 'admin' | null = 'operator',
) {
  const backend = fakeBackend();
  backend.on('GET', '/auth/whoami', { body: ENROLLED });
  const prompts: string[] = [];
  const requests: CodeRequest[] = [];
  const api = new HyperionClient({
    fetch: backend.fetch,
    route,
    prompt: (request) => {
      prompts.push(request.action);
      requests.push(request);
      return prompt(request);
    },
  });
  return { api, backend, prompts, requests };
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

describe('route per Grafana role', () => {
  it('maps each organisation role to the plugin.json route whose reqRole it meets', () => {
    expect(routeForOrgRole('Viewer')).toBe('viewer');
    expect(routeForOrgRole('Editor')).toBe('operator');
    expect(routeForOrgRole('Admin')).toBe('admin');
    expect(routeForOrgRole('None')).toBeNull();
    expect(routeForOrgRole(undefined)).toBeNull();
  });

  it('sends requests through the user route of Grafana’s plugin proxy, without Grafana’s error toasts', async () => {
    const { api, backend } = client(undefined, 'admin');
    backend.on('GET', '/hosts', { body: { items: [] } });
    await api.get('/hosts', { limit: 5, empty: '' });
    const [call] = backend.callsTo('GET', '/hosts');
    expect(call?.url).toBe('api/plugin-proxy/hyperion-app/admin/hosts?limit=5');
    expect(call?.route).toBe('admin');
    expect(call?.options.showErrorAlert).toBe(false);
  });

  it('refuses before sending anything when the user has no Grafana role', async () => {
    const { api, backend } = client(undefined, null);
    const error = await failure(api.get('/hosts'));
    expect(error.kind).toBe('no-route');
    expect(backend.calls).toHaveLength(0);
  });
});

describe('errors', () => {
  it('shows the problem detail the exporter wrote', async () => {
    const { api, backend } = client();
    backend.on('GET', '/hosts/local/processes/99', problem('not-found', 404, 'no process 99 on host local'));
    const error = await failure(api.get('/hosts/local/processes/99'));
    expect(error.kind).toBe('not-found');
    expect(error.message).toBe('no process 99 on host local');
  });

  it('names a role refusal clearly and never asks for a code', async () => {
    const { api, backend, prompts } = client();
    backend.on(
      'POST',
      '/hosts/local/processes/5/renice',
      problem(
        'role',
        403,
        'raising a process above normal priority (nice < 0): needs the admin role; alice is operator',
      ),
    );
    const error = await failure(api.send('POST', '/hosts/local/processes/5/renice', { nice: -5 }, 'Renice'));
    expect(error.kind).toBe('role');
    expect(error.message).toContain('needs the admin role');
    expect(prompts).toHaveLength(0);
  });

  it('reports a lockout with the wait', async () => {
    const { api, backend } = client();
    backend.on(
      'POST',
      '/x',
      problem('rate-limited', 429, 'too many wrong codes; try again in 280 s', { retryAfterSeconds: 280 }),
    );
    const error = await failure(api.send('POST', '/x', {}, 'X'));
    expect(error.kind).toBe('rate-limited');
    expect(error.retryAfterSeconds).toBe(280);
    expect(error.message).toContain('280');
  });

  it('recognises Grafana’s own refusal of a route above the user’s role', async () => {
    const { api, backend } = client();
    backend.on('GET', '/tokens', { status: 403, body: { message: 'plugin proxy route access denied' } });
    const error = await failure(api.get('/tokens'));
    expect(error.kind).toBe('grafana-denied');
    expect(error.message).toContain('plugin proxy route access denied');
  });
});

describe('second factor', () => {
  it('asks for a code on otp-required and retries once with it in X-Hyperion-OTP', async () => {
    const { api, backend, prompts } = client(async () => '424242');
    backend.on('POST', '/hosts/local/processes/7/signal', (call) =>
      call.headers['X-Hyperion-OTP'] === '424242'
        ? { body: { pid: 7, signal: 'TERM' } }
        : problem('otp-required', 403, 'this action needs a one-time code in the X-Hyperion-OTP header'),
    );
    const result = await api.send(
      'POST',
      '/hosts/local/processes/7/signal',
      { signal: 'TERM' },
      'Send TERM to sleep (7)',
    );
    expect(result).toEqual({ pid: 7, signal: 'TERM' });
    expect(prompts).toEqual(['Send TERM to sleep (7)']);
    const sent = backend.callsTo('POST', '/hosts/local/processes/7/signal');
    expect(sent).toHaveLength(2);
    expect(sent[0]?.headers['X-Hyperion-OTP']).toBeUndefined();
    expect(sent[1]?.body).toEqual({ signal: 'TERM' });
  });

  it('asks again with the exporter’s reason after a wrong code, and gives up after three codes', async () => {
    const { api, backend, prompts, requests } = client(async () => '000000');
    backend.on('POST', '/x', (call) =>
      call.headers['X-Hyperion-OTP']
        ? problem('otp-invalid', 403, 'the one-time code is wrong or expired', { reason: 'wrong' })
        : problem('otp-required', 403, 'needs a code'),
    );
    const error = await failure(api.send('POST', '/x', {}, 'Do X'));
    expect(error.kind).toBe('otp-invalid');
    expect(error.message).toMatch(/wrong or expired/);
    // Three codes at most: each wrong one counts toward the lockout.
    expect(prompts).toHaveLength(3);
    expect(requests[0]!.hint).toBeUndefined();
    expect(requests[1]).toMatchObject({ retry: 'wrong', hint: expect.stringMatching(/wrong or expired/) });
    expect(backend.callsTo('POST', '/x')).toHaveLength(4);
  });

  it('a lockout is final: no further code is asked', async () => {
    const { api, backend, prompts } = client(async () => '000000');
    backend.on('POST', '/x', (call) =>
      call.headers['X-Hyperion-OTP']
        ? problem('rate-limited', 429, 'too many wrong codes: locked for 5 minutes')
        : problem('otp-required', 403, 'needs a code'),
    );
    const error = await failure(api.send('POST', '/x', {}, 'Do X'));
    expect(error.kind).toBe('rate-limited');
    expect(prompts).toHaveLength(1);
  });

  it('asks for the next code when the one entered was already spent, a few times at most', async () => {
    const hints: (string | undefined)[] = [];
    const codes = ['111111', '222222', '333333'];
    const backend = fakeBackend();
    backend.on('GET', '/auth/whoami', { body: ENROLLED });
    const api = new HyperionClient({
      fetch: backend.fetch,
      route: 'operator',
      prompt: async (request) => {
        hints.push(request.hint);
        return codes[hints.length - 1] ?? null;
      },
    });
    const spent = problem('otp-invalid', 403, 'this one-time code was already used', {
      reason: 'replayed',
      retryAfterSeconds: 12,
    });
    // The first code was spent, the second is right.
    backend.on('POST', '/x', (call) =>
      call.headers['X-Hyperion-OTP'] === '222222'
        ? { body: { done: true } }
        : call.headers['X-Hyperion-OTP']
          ? spent
          : problem('otp-required', 403, 'needs a code'),
    );
    expect(await api.send('POST', '/x', {}, 'Do X')).toEqual({ done: true });
    expect(hints).toHaveLength(2);
    expect(hints[0]).toBeUndefined();
    expect(hints[1]).toMatch(/already used for an earlier action.*about 12 s/);

    // Spent every time: the third refusal is final, and no fourth code is asked for.
    hints.length = 0;
    backend.on('POST', '/y', (call) =>
      call.headers['X-Hyperion-OTP'] ? spent : problem('otp-required', 403, 'needs a code'),
    );
    const error = await failure(api.send('POST', '/y', {}, 'Do Y'));
    expect(error.kind).toBe('otp-invalid');
    expect(error.codeAlreadySpent).toBe(true);
    expect(hints).toHaveLength(3);
    expect(backend.callsTo('POST', '/y')).toHaveLength(4);
  });

  it('sends nothing more when the prompt is cancelled', async () => {
    const { api, backend } = client(async () => null);
    backend.on('POST', '/x', problem('otp-required', 403, 'needs a code'));
    const error = await failure(api.send('POST', '/x', {}, 'Do X'));
    expect(error.kind).toBe('cancelled');
    expect(backend.callsTo('POST', '/x')).toHaveLength(1);
  });

  it('points to enrolment instead of prompting when the user has no second factor yet', async () => {
    const { api, backend, prompts } = client();
    backend.on('GET', '/auth/whoami', {
      body: { ...ENROLLED, otp: { policy: 'required', enrolled: false, confirmed: false } },
    });
    backend.on('POST', '/x', problem('otp-required', 403, 'alice must enrol a second factor'));
    const error = await failure(api.send('POST', '/x', {}, 'Do X'));
    expect(error.kind).toBe('otp-not-enrolled');
    expect(error.message).toContain('Second factor');
    expect(prompts).toHaveLength(0);
  });
});

describe('paths', () => {
  it('refuses "." and ".." segments before any request: the browser would resolve them to another route', async () => {
    const backend = fakeBackend();
    const api = new HyperionClient({ fetch: backend.fetch, route: 'viewer', prompt: async () => null });
    for (const name of ['..', '.', '../../auth/tokens']) {
      await expect(api.get(apiPath('hosts', 'local', 'files', 'data', name))).rejects.toMatchObject({
        kind: 'validation',
      });
    }
    expect(backend.calls).toHaveLength(0);
    // Dots inside a name are a name: "..." and ".hidden" go through.
    backend.on('GET', /^\/hosts\/local\/files\/data\//, { body: {} });
    await api.get(apiPath('hosts', 'local', 'files', 'data', '...'));
    await api.get(apiPath('hosts', 'local', 'files', 'data', '.hidden'));
    expect(backend.calls.map((c) => c.path)).toEqual([
      '/hosts/local/files/data/...',
      '/hosts/local/files/data/.hidden',
    ]);
  });
});

describe('elevation', () => {
  it('learns the elevation a code opened, tells subscribers, and forgets it when dropped', async () => {
    const backend = elevatingBackend(299);
    const requests: CodeRequest[] = [];
    const api = new HyperionClient({
      fetch: backend.fetch,
      route: 'operator',
      prompt: async (r) => (requests.push(r), '123456'),
    });
    let told = 0;
    api.subscribe(() => (told += 1));
    expect(api.elevation).toBeNull();
    await api.send('POST', '/x', {}, 'Do X');
    // The prompt said how long a code spares further codes.
    expect(requests[0]!.elevationSeconds).toBe(300);
    await waitFor(() => expect(api.elevation).not.toBeNull());
    const left = (api.elevation!.endsAt - Date.now()) / 1000;
    expect(left).toBeGreaterThan(290);
    expect(left).toBeLessThanOrEqual(299);
    expect(told).toBe(1);
    await api.dropElevation();
    expect(backend.callsTo('POST', '/auth/elevation/drop')).toHaveLength(1);
    expect(api.elevation).toBeNull();
    expect(told).toBe(2);
  });
});

describe('uploads', () => {
  interface FakeXhr {
    opened?: [string, string];
    headers: Record<string, string>;
    sent?: unknown;
  }

  function fakeXhr(status: number, body: unknown, seen: FakeXhr[]): XhrFactory {
    return () => {
      const state: FakeXhr = { headers: {} };
      seen.push(state);
      const xhr = {
        upload: {
          onprogress: null as
            ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null,
        },
        onload: null as (() => void) | null,
        onerror: null as (() => void) | null,
        status,
        statusText: '',
        responseText: JSON.stringify(body),
        open: (method: string, url: string) => (state.opened = [method, url]),
        setRequestHeader: (name: string, value: string) => (state.headers[name] = value),
        getAllResponseHeaders: () => 'etag: "abc"\r\ncontent-type: application/json',
        send(data: unknown) {
          state.sent = data;
          xhr.upload.onprogress?.({ loaded: 5, total: 10, lengthComputable: true });
          xhr.upload.onprogress?.({ loaded: 10, total: 10, lengthComputable: true });
          xhr.onload?.();
        },
      };
      return xhr as unknown as XMLHttpRequest;
    };
  }

  it('asks for the code before sending the body when the policy requires one, and reports progress', async () => {
    const backend = fakeBackend();
    backend.on('GET', '/auth/whoami', { body: ENROLLED });
    const seen: FakeXhr[] = [];
    const prompts: string[] = [];
    const api = new HyperionClient({
      fetch: backend.fetch,
      route: 'admin',
      prompt: async (r) => (prompts.push(r.action), '135790'),
      xhr: fakeXhr(201, { created: true }, seen),
    });
    const progress: number[] = [];
    const file = new Blob(['0123456789']);
    const result = await api.upload('/hosts/local/files/data/a.txt', file, {
      action: 'Upload a.txt',
      onProgress: (p) => progress.push(p.loaded),
    });
    expect(result.status).toBe(201);
    expect(result.headers.get('ETag')).toBe('"abc"');
    expect(prompts).toEqual(['Upload a.txt']);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.opened).toEqual([
      'PUT',
      'api/plugin-proxy/hyperion-app/admin/hosts/local/files/data/a.txt',
    ]);
    expect(seen[0]?.headers['X-Hyperion-OTP']).toBe('135790');
    expect(seen[0]?.sent).toBe(file);
    expect(progress).toEqual([5, 10]);
  });

  it('sends an upload without a code while elevated', async () => {
    const backend = fakeBackend();
    backend.on('GET', '/auth/whoami', {
      body: {
        ...ENROLLED,
        elevation: { expiresAt: '2099-01-01T00:00:00Z', secondsLeft: 240 },
        elevationSeconds: 300,
      },
    });
    const seen: FakeXhr[] = [];
    const prompts: string[] = [];
    const api = new HyperionClient({
      fetch: backend.fetch,
      route: 'admin',
      prompt: async (r) => (prompts.push(r.action), '135790'),
      xhr: fakeXhr(201, { created: true }, seen),
    });
    await api.upload('/hosts/local/files/data/a.txt', new Blob(['x']), { action: 'Upload a.txt' });
    expect(prompts).toEqual([]);
    expect(seen[0]?.headers['X-Hyperion-OTP']).toBeUndefined();
  });

  it('turns a refused upload into the problem detail', async () => {
    const backend = fakeBackend();
    backend.on('GET', '/auth/whoami', {
      body: { ...ENROLLED, otp: { policy: 'disabled', enrolled: false, confirmed: false } },
    });
    const seen: FakeXhr[] = [];
    const api = new HyperionClient({
      fetch: backend.fetch,
      route: 'admin',
      prompt: async () => '1',
      xhr: fakeXhr(
        409,
        {
          type: 'urn:hyperion:problem:conflict',
          title: 'Conflict',
          status: 409,
          detail: 'data:/a.txt exists',
        },
        seen,
      ),
    });
    const error = await failure(api.upload('/hosts/local/files/data/a.txt', new Blob(['x'])));
    expect(error.kind).toBe('conflict');
    expect(error.message).toBe('data:/a.txt exists');
    expect(seen[0]?.headers['X-Hyperion-OTP']).toBeUndefined();
  });
});
