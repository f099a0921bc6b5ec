/** The three states every page has besides its content: loading, failed, and nothing to show. */
import { Alert, Button, EmptyState, LoadingPlaceholder } from '@grafana/ui';
import React, { type ReactNode } from 'react';
import { type ApiError, errorTitle } from '../api/errors';
import type { Resource } from '../hooks/useResource';

export function Loading({ text = 'Loading…' }: { text?: string }) {
  return <LoadingPlaceholder text={text} data-testid="state-loading" />;
}

export function ErrorView({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  return (
    <div data-testid="state-error">
      <Alert severity="error" title={errorTitle(error)}>
        <div>{error.message}</div>
        {onRetry && (
          <Button size="sm" variant="secondary" icon="sync" onClick={onRetry} style={{ marginTop: 8 }}>
            Retry
          </Button>
        )}
      </Alert>
    </div>
  );
}

export function Empty({ message, children }: { message: string; children?: ReactNode }) {
  return (
    <div data-testid="state-empty">
      <EmptyState variant="not-found" message={message} hideImage>
        {children}
      </EmptyState>
    </div>
  );
}

interface ViewProps<T> {
  resource: Resource<T>;
  isEmpty?: (data: T) => boolean;
  emptyMessage?: string;
  loadingText?: string;
  children: (data: T) => ReactNode;
}

/**
 * Renders a resource's state. A refresh that fails while older data is shown keeps the data
 * and puts the error above it: the table stays useful while the exporter hiccups.
 */
export function ResourceView<T>({ resource, isEmpty, emptyMessage, loadingText, children }: ViewProps<T>) {
  const { data, error, loading, reload } = resource;
  if (loading && data === undefined) return <Loading text={loadingText} />;
  if (data === undefined)
    return error ? <ErrorView error={error} onRetry={reload} /> : <Loading text={loadingText} />;
  return (
    <>
      {error && <ErrorView error={error} onRetry={reload} />}
      {isEmpty?.(data) ? <Empty message={emptyMessage ?? 'Nothing to show.'} /> : children(data)}
    </>
  );
}
