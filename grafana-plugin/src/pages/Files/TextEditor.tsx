/**
 * A small text editor with conflict detection: the file is read with its ETag and saved with
 * If-Match, so a change made by someone else meanwhile is refused (412) instead of silently
 * overwritten. The user then chooses: load their version, or overwrite it knowingly.
 */
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, Stack, TextArea, useStyles2 } from '@grafana/ui';
import React, { useEffect, useState } from 'react';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import { ApiError, errorTitle, toApiError } from '../../api/errors';
import type { TextFile } from '../../api/types';
import { ErrorView, Loading } from '../../components/States';

interface Props {
  host: string;
  root: string;
  path: string;
  writable: boolean;
  onSaved(): void;
}

export function TextEditor({ host, root, path, writable, onSaved }: Props) {
  const api = useApi();
  const styles = useStyles2(getStyles);
  const [file, setFile] = useState<{ content: string; etag: string } | null>(null);
  const [text, setText] = useState('');
  const [loadError, setLoadError] = useState<ApiError | undefined>();
  const [saveError, setSaveError] = useState<ApiError | undefined>();
  const [conflict, setConflict] = useState(false);
  const [saving, setSaving] = useState(false);
  const [savedAt, setSavedAt] = useState<Date | null>(null);
  const url = apiPath('hosts', host, 'files', root, path);

  const load = async () => {
    setLoadError(undefined);
    try {
      const result = await api.request<TextFile>(url, { query: { text: 'true' } });
      const etag = result.headers.get('ETag') ?? result.data.etag;
      setFile({ content: result.data.content, etag });
      setText(result.data.content);
      setConflict(false);
      setSaveError(undefined);
    } catch (error) {
      setLoadError(toApiError(error));
    }
  };
  useEffect(() => {
    load();
    // Load once per file; `load` is recreated every render.
  }, [url]);

  const save = async (overwrite: boolean) => {
    if (!file) return;
    setSaving(true);
    setSaveError(undefined);
    try {
      const result = await api.request<{ etag?: string }>(url, {
        method: 'PUT',
        raw: text,
        // Overwriting knowingly drops the precondition; otherwise only the version we read may be replaced.
        ...(overwrite ? { query: { overwrite: 'true' } } : { headers: { 'If-Match': file.etag } }),
        action: `Save ${root}:/${path}`,
      });
      const etag = result.headers.get('ETag') ?? result.data.etag ?? file.etag;
      setFile({ content: text, etag });
      setConflict(false);
      setSavedAt(new Date());
      onSaved();
    } catch (error) {
      const e = toApiError(error);
      if (e.kind === 'precondition-failed' || e.kind === 'conflict') setConflict(true);
      else if (e.kind !== 'cancelled') setSaveError(e);
    } finally {
      setSaving(false);
    }
  };

  if (loadError) return <ErrorView error={loadError} onRetry={load} />;
  if (!file) return <Loading text="Reading the file…" />;
  const changed = text !== file.content;
  return (
    <div data-testid="text-editor">
      <Stack direction="column" gap={1}>
        {conflict && (
          <div data-testid="editor-conflict">
            <Alert severity="warning" title="The file changed since you opened it">
              Someone (or something) wrote <code>{path}</code> after you loaded it. Your edits are still here.
              <Stack gap={1}>
                <Button size="sm" variant="secondary" onClick={load}>
                  Discard mine, load theirs
                </Button>
                <Button size="sm" variant="destructive" onClick={() => save(true)}>
                  Overwrite with mine
                </Button>
              </Stack>
            </Alert>
          </div>
        )}
        {saveError && (
          <Alert severity="error" title={errorTitle(saveError)}>
            {saveError.message}
          </Alert>
        )}
        <TextArea
          className={styles.area}
          value={text}
          rows={20}
          spellCheck={false}
          readOnly={!writable}
          aria-label={`Contents of ${path}`}
          onChange={(e) => setText(e.currentTarget.value)}
        />
        <Stack gap={1} alignItems="center">
          <Button onClick={() => save(false)} disabled={!writable || !changed || saving} icon="save">
            {saving ? 'Saving…' : 'Save'}
          </Button>
          <Button variant="secondary" onClick={() => setText(file.content)} disabled={!changed}>
            Revert
          </Button>
          {savedAt && !changed && (
            <span data-testid="editor-saved">Saved at {savedAt.toLocaleTimeString()}</span>
          )}
          {!writable && <span>Read-only: this root is not writable for your role.</span>}
        </Stack>
      </Stack>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  area: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
});
