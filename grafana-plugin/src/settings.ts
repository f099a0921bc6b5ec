/** The app's settings as Grafana stores them (plugin settings: jsonData and secureJsonData). */
import { createContext, useContext } from 'react';

export interface AppJsonData {
  /** Where Grafana's server reaches the exporter, e.g. http://exporter:8470 (no /api/v1). */
  exporterUrl?: string;
  /** The Prometheus data source the Overview queries. */
  prometheusUid?: string;
}

/** Write-only: Grafana encrypts these and only ever says whether each is set. */
export interface AppSecureJsonData {
  viewerToken?: string;
  operatorToken?: string;
  adminToken?: string;
}

export const TOKEN_FIELDS = [
  { key: 'viewerToken', role: 'viewer', grafanaRole: 'Viewer', route: 'viewer' },
  { key: 'operatorToken', role: 'operator', grafanaRole: 'Editor', route: 'operator' },
  { key: 'adminToken', role: 'admin', grafanaRole: 'Admin', route: 'admin' },
] as const;

export const SettingsContext = createContext<AppJsonData>({});

export function useSettings(): AppJsonData {
  return useContext(SettingsContext);
}
