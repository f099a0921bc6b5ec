/**
 * The inventory in Prometheus' HTTP service-discovery format (served at /api/v1/targets), so a
 * host added and approved through the API is scraped through /probe without touching
 * Prometheus' configuration:
 *
 *   [{ "targets": ["web-1"], "labels": { "env": "prod", "__meta_hyperion_address": "10.0.0.5" } }]
 *
 * One group per host, the target being its inventory name: Prometheus' relabelling turns it
 * into `?target=` of /probe and into `instance` (examples/prometheus-ssh-hosts.yml). Labels
 * starting with __meta_ are there to relabel from and are dropped after relabelling.
 */
export interface TargetHost {
  name: string;
  address: string;
  port: number;
  user: string;
  labels: Record<string, string>;
}

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

export function httpSdTargets(hosts: readonly TargetHost[]): TargetGroup[] {
  return hosts.map((host) => ({
    targets: [host.name],
    labels: {
      ...host.labels,
      __meta_hyperion_host: host.name,
      __meta_hyperion_address: host.address,
      __meta_hyperion_port: String(host.port),
      __meta_hyperion_user: host.user,
    },
  }));
}
