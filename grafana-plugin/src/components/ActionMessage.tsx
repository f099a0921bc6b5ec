/** What the last action did, or why the exporter refused it, in the exporter's own words. */
import { Alert } from '@grafana/ui';
import React from 'react';
import { errorTitle } from '../api/errors';
import type { Action } from '../hooks/useAction';

export function ActionMessage({ action }: { action: Action }) {
  if (action.error) {
    return (
      <div data-testid="action-error">
        <Alert severity="error" title={errorTitle(action.error)} onRemove={action.clear}>
          {action.error.message}
        </Alert>
      </div>
    );
  }
  if (action.message) {
    return (
      <div data-testid="action-success">
        <Alert severity="success" title={action.message} onRemove={action.clear} />
      </div>
    );
  }
  return null;
}
