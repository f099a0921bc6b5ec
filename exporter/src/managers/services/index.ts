/**
 * The services manager of one host: lists, inspects and acts on services through whichever
 * backend the host runs (detect.ts), and answers an action with the state read back from the
 * service manager afterwards — never the state the action was supposed to produce.
 */
import type { Host } from '../../hosts/host.js';
import { HyperionError } from '../../util/errors.js';
import { detectBackend } from './detect.js';
import { assertServiceName, sameService } from './names.js';
import { serviceNeedsAdmin, type UnitPolicy } from './policy.js';
import type { ServiceBackend, ServiceDetail, ServiceInfo, ServiceLogs, ServiceVerb } from './types.js';

export {
  SERVICE_STATES,
  SERVICE_VERBS,
  type ServiceVerb,
  type ServiceInfo,
  type ServiceLogs,
} from './types.js';
export { SERVICE_NAME_PATTERN, SERVICE_NAME_RULE } from './names.js';

export interface ServiceManagerOptions {
  /**
   * The exporter's own pid on this host (process.pid locally, null for a remote host): the unit
   * it runs in is protected whatever its name. Required, so that wiring a host is a decision.
   */
  selfPid: number | null;
}

export interface ServiceQuery {
  /** Keep services whose load, active, sub or enabled state is one of these. */
  state?: string[];
  /** Keep services whose name contains this (case-insensitive). */
  name?: string;
  /** Keep services whose name or description contains this (case-insensitive, any characters). */
  search?: string;
  offset?: number;
  limit?: number;
}

export interface ServicePage {
  backend: string;
  total: number;
  offset: number;
  limit: number | null;
  items: ServiceInfo[];
}

export interface ServiceDetailAnswer extends ServiceDetail {
  logs: ServiceLogs;
}

export interface ServiceActionResult {
  name: string;
  action: ServiceVerb;
  backend: string;
  /** What the service manager's command said (e.g. the symlinks enable created). */
  output: string;
  previous: ServiceInfo;
  /** Read back from the service manager after the action. */
  service: ServiceInfo;
}

function summary(detail: ServiceDetail): ServiceInfo {
  const { path: _path, activeSince: _since, properties: _properties, note: _note, ...info } = detail;
  return info;
}

export function filterServices(items: readonly ServiceInfo[], query: ServiceQuery): ServiceInfo[] {
  const states = query.state?.map((s) => s.toLowerCase());
  const name = query.name?.toLowerCase();
  const search = query.search?.toLocaleLowerCase();
  return items.filter((s) => {
    if (name !== undefined && !s.name.toLowerCase().includes(name)) return false;
    if (
      search !== undefined &&
      !s.name.toLocaleLowerCase().includes(search) &&
      !s.description.toLocaleLowerCase().includes(search)
    )
      return false;
    if (states && states.length > 0) {
      const own = [s.loadState, s.activeState, s.subState, s.enabledState ?? ''].map((v) => v.toLowerCase());
      if (!states.some((state) => own.includes(state))) return false;
    }
    return true;
  });
}

export class ServiceManager {
  private backendPromise: Promise<ServiceBackend> | undefined;

  constructor(
    private readonly host: Host,
    private readonly options: ServiceManagerOptions,
  ) {}

  /** Detected once per host and kept; detected again after a failure. */
  backend(): Promise<ServiceBackend> {
    this.backendPromise ??= detectBackend(this.host).catch((error: unknown) => {
      this.backendPromise = undefined;
      throw error;
    });
    return this.backendPromise;
  }

  async list(query: ServiceQuery = {}): Promise<ServicePage> {
    const backend = await this.backend();
    const all = (await backend.list()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const matched = filterServices(all, query);
    const offset = query.offset ?? 0;
    const end = query.limit === undefined ? undefined : offset + query.limit;
    return {
      backend: backend.name,
      total: matched.length,
      offset,
      limit: query.limit ?? null,
      items: matched.slice(offset, end),
    };
  }

  async get(name: string, lines: number): Promise<ServiceDetailAnswer> {
    const { backend, canonical } = await this.resolve(name);
    const detail = await backend.get(canonical);
    if (!detail) throw this.notFound(canonical);
    return { ...detail, logs: await backend.logs(canonical, lines) };
  }

  /**
   * Why acting on this service needs the admin role, or null when an operator may: it is
   * protected, outside the units operators may act on (policy.ts), or the unit the exporter
   * itself runs in. A service that does not exist is refused here, before any code is spent.
   */
  async adminReason(name: string, policy: UnitPolicy): Promise<string | null> {
    const { backend, canonical } = await this.resolve(name);
    if (!(await backend.get(canonical))) throw this.notFound(canonical);
    return this.protection(name, policy);
  }

  /** adminReason() without asking the service manager whether the service exists. */
  async protection(name: string, policy: UnitPolicy): Promise<string | null> {
    const { backend, canonical } = await this.resolve(name);
    const why = serviceNeedsAdmin(canonical, policy, this.host.name);
    if (why !== null) return why;
    if (this.options.selfPid !== null) {
      const own = await backend.unitOfPid(this.options.selfPid);
      if (own !== null && sameService(own, canonical)) {
        return `${canonical} is the unit the Hyperion exporter itself runs in; acting on it can cut off this API`;
      }
    }
    return null;
  }

  /** The unit the exporter itself runs in on this host (only known on its own host). */
  async ownUnit(): Promise<string | null> {
    if (this.options.selfPid === null) return null;
    try {
      return await (await this.backend()).unitOfPid(this.options.selfPid);
    } catch {
      return null; // no service manager this exporter knows: no unit to protect
    }
  }

  async act(name: string, verb: ServiceVerb, timeoutMs: number): Promise<ServiceActionResult> {
    const { backend, canonical } = await this.resolve(name);
    const before = await backend.get(canonical);
    if (!before) throw this.notFound(canonical);
    let outcome;
    try {
      outcome = await backend.act(canonical, verb, timeoutMs);
    } catch (error) {
      if (error instanceof HyperionError && error.type === 'timeout') {
        throw new HyperionError(
          'timeout',
          `${verb} ${canonical} did not finish within ${Math.round(timeoutMs / 1000)} s on host ${this.host.name}; ` +
            'the service manager may still be working on it: read its state before trying again',
        );
      }
      throw error;
    }
    const after = await backend.get(canonical);
    if (!after) throw this.notFound(canonical);
    const service = summary(after);
    if (!outcome.ok) {
      throw new HyperionError(
        'conflict',
        `could not ${verb} ${canonical} on host ${this.host.name}: ${outcome.output || 'the service manager gave no reason'}`,
        { extra: { service } },
      );
    }
    return {
      name: canonical,
      action: verb,
      backend: backend.name,
      output: outcome.output,
      previous: summary(before),
      service,
    };
  }

  private async resolve(name: string): Promise<{ backend: ServiceBackend; canonical: string }> {
    assertServiceName(name);
    const backend = await this.backend();
    return { backend, canonical: backend.canonicalName(name) };
  }

  private notFound(name: string): HyperionError {
    return new HyperionError('not-found', `no service ${name} on host ${this.host.name}`);
  }
}
