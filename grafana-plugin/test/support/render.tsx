/** Renders a page as the app does: router at a URL, the one API client, the code prompt. */
import { render, type RenderResult } from '@testing-library/react';
import React, { type ReactElement } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { ApiProvider } from '../../src/api/ApiContext';
import type { ProxyRoute, XhrFactory } from '../../src/api/client';
import { SettingsContext, type AppJsonData } from '../../src/settings';
import type { FakeBackend } from './fakeBackend';

interface Options {
  backend: FakeBackend;
  /** Path below the app root, e.g. "processes?host=local". */
  at: string;
  route?: ProxyRoute | null;
  settings?: AppJsonData;
  xhr?: XhrFactory;
}

export function renderPage(
  page: ReactElement,
  { backend, at, route = 'operator', settings = {}, xhr }: Options,
): RenderResult {
  const [path] = at.split('?');
  return render(
    <MemoryRouter
      initialEntries={[`/${at}`]}
      future={{ v7_startTransition: true, v7_relativeSplatPath: true }}
    >
      <SettingsContext.Provider value={settings}>
        <ApiProvider fetch={backend.fetch} route={route} {...(xhr ? { xhr } : {})}>
          <Routes>
            <Route path={`/${path}`} element={page} />
          </Routes>
        </ApiProvider>
      </SettingsContext.Provider>
    </MemoryRouter>,
  );
}

/** The confirm button of the open confirmation modal (row buttons behind it may share its name). */
export const CONFIRM_BUTTON = 'data-testid Confirm Modal Danger Button';
