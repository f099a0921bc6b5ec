/**
 * The app's root page: one client for every page, and the pages as relative react-router v6
 * routes below Grafana's /a/hyperion-app/ mount point.
 */
import type { AppRootProps } from '@grafana/data';
import React, { useEffect } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { ApiProvider } from '../api/ApiContext';
import { PAGES } from '../constants';
import { AuditPage } from '../pages/Audit/AuditPage';
import { FilesPage } from '../pages/Files/FilesPage';
import { FleetPage } from '../pages/Fleet/FleetPage';
import { HostsPage } from '../pages/Hosts/HostsPage';
import { JobsPage } from '../pages/Jobs/JobsPage';
import { NetworkPage } from '../pages/Network/NetworkPage';
import { OverviewPage } from '../pages/Overview/OverviewPage';
import { ProcessesPage } from '../pages/Processes/ProcessesPage';
import { SecondFactorPage } from '../pages/SecondFactor/SecondFactorPage';
import { ServicesPage } from '../pages/Services/ServicesPage';
import { SettingsContext, type AppJsonData } from '../settings';
import { warmFormats } from '../utils/format';

export function App({ meta }: AppRootProps<AppJsonData>) {
  // After the first paint, while the page's first request is on its way.
  useEffect(() => {
    const timer = setTimeout(warmFormats, 0);
    return () => clearTimeout(timer);
  }, []);
  return (
    <SettingsContext.Provider value={meta.jsonData ?? {}}>
      <ApiProvider>
        <Routes>
          <Route path={PAGES.overview} element={<OverviewPage />} />
          <Route path={PAGES.processes} element={<ProcessesPage />} />
          <Route path={PAGES.services} element={<ServicesPage />} />
          <Route path={PAGES.fleet} element={<FleetPage />} />
          <Route path={PAGES.files} element={<FilesPage />} />
          <Route path={PAGES.network} element={<NetworkPage />} />
          <Route path={PAGES.jobs} element={<JobsPage />} />
          <Route path={PAGES.hosts} element={<HostsPage />} />
          <Route path={PAGES.audit} element={<AuditPage />} />
          <Route path={PAGES.secondFactor} element={<SecondFactorPage />} />
          <Route path="*" element={<Navigate to={PAGES.overview} replace />} />
        </Routes>
      </ApiProvider>
    </SettingsContext.Provider>
  );
}
