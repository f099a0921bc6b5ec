/** What the last action did, or why the exporter refused it, in the exporter's own words. */
import { Alert, LinkButton } from '@grafana/ui';
import React, { useEffect } from 'react';
import { errorTitle } from '../api/errors';
import { PAGES, PLUGIN_BASE_URL } from '../constants';
import type { Action } from '../hooks/useAction';

/** How long a success line stays: long enough to read, then it gets out of the way. */
export const SUCCESS_VISIBLE_MS = 8000;

export function ActionMessage({ action }: { action: Action }) {
  const { message, error, clear } = action;
  // A refusal stays until dismissed (it says what to do); a success goes away by itself.
  useEffect(() => {
    if (!message || error) return;
    const timer = setTimeout(clear, SUCCESS_VISIBLE_MS);
    return () => clearTimeout(timer);
  }, [message, error, clear]);
  if (action.error) {
    return (
      <div data-testid="action-error">
        <Alert severity="error" title={errorTitle(action.error)} onRemove={action.clear}>
          {action.error.message}
          {action.error.kind === 'otp-not-enrolled' && (
            <div>
              <LinkButton href={`${PLUGIN_BASE_URL}/${PAGES.secondFactor}`} icon="lock" size="sm">
                Enrol a second factor
              </LinkButton>
            </div>
          )}
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
