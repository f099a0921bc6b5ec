/**
 * Grafana's code editor on one text file, with conflict detection: the file is read with its
 * ETag and saved with If-Match, so a change made by someone else meanwhile is refused (412)
 * instead of silently overwritten. The user then chooses: load their version, or overwrite it
 * knowingly. Unsaved edits are reported up (`onDirtyChange`) so that nothing closes over them.
 */
import { Alert, Button, CodeEditor, Stack } from '@grafana/ui';
import React, { useEffect, useLayoutEffect, useState } from 'react';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import { ApiError, errorTitle, toApiError } from '../../api/errors';
import type { TextFile } from '../../api/types';
import { ErrorView, Loading } from '../../components/States';
import { formatTime } from '../../utils/format';

interface Props {
  host: string;
  root: string;
  path: string;
  writable: boolean;
  onSaved(): void;
  onDirtyChange?(dirty: boolean): void;
}

/** Monaco's language for a file name; plain text when the extension says nothing. */
export function languageOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : '';
  const byExt: Record<string, string> = {
    json: 'json',
    yml: 'yaml',
    yaml: 'yaml',
    sh: 'shell',
    bash: 'shell',
    ini: 'ini',
    conf: 'ini',
    cfg: 'ini',
    toml: 'ini',
    js: 'javascript',
    ts: 'typescript',
    py: 'python',
    md: 'markdown',
    xml: 'xml',
    html: 'html',
    css: 'css',
    sql: 'sql',
  };
  return byExt[ext] ?? 'plaintext';
}

export function TextEditor({ host, root, path, writable, onSaved, onDirtyChange }: Props) {
  const api = useApi();
  const [file, setFile] = useState<{ content: string; etag: string } | null>(null);
  const [text, setText] = useState('');
  const [loadError, setLoadError] = useState<ApiError | undefined>();
  const [saveError, setSaveError] = useState<ApiError | undefined>();
  const [conflict, setConflict] = useState(false);
  const [saving, setSaving] = useState(false);
  const [savedAt, setSavedAt] = useState<Date | null>(null);
  const [revision, setRevision] = useState(0);
  const url = apiPath('hosts', host, 'files', root, path);

  const load = async () => {
    setLoadError(undefined);
    try {
      const result = await api.request<TextFile>(url, { query: { text: 'true' } });
      const etag = result.headers.get('ETag') ?? result.data.etag;
      setFile({ content: result.data.content, etag });
      setText(result.data.content);
      setRevision((r) => r + 1);
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

  const changed = file !== null && text !== file.content;
  // Reported before the browser handles another event (a layout effect, not a passive one): an
  // Escape pressed right after a keystroke must already find the drawer guarding the edits.
  useLayoutEffect(() => onDirtyChange?.(changed), [changed, onDirtyChange]);
  // Leaving the page (reload, another site) with unsaved edits asks the browser's own question.
  useEffect(() => {
    if (!changed) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [changed]);

  if (loadError) return <ErrorView error={loadError} onRetry={load} />;
  if (!file) return <Loading text="Reading the file…" />;
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
        <div aria-label={`Contents of ${path}`} data-testid="code-editor" data-dirty={changed}>
          <CodeEditor
            // A new editor per loaded or reverted version: Monaco keeps its own text otherwise.
            key={revision}
            value={file.content}
            language={languageOf(path)}
            height="50vh"
            readOnly={!writable}
            showLineNumbers
            showMiniMap={false}
            onChange={setText}
            onSave={() => writable && changed && save(false)}
          />
        </div>
        <Stack gap={1} alignItems="center">
          <Button onClick={() => save(false)} disabled={!writable || !changed || saving} icon="save">
            {saving ? 'Saving…' : 'Save'}
          </Button>
          <Button
            variant="secondary"
            onClick={() => {
              // A fresh editor on the text as read.
              setText(file.content);
              setRevision((r) => r + 1);
            }}
            disabled={!changed}
          >
            Revert
          </Button>
          {changed && <span data-testid="editor-dirty">Unsaved changes</span>}
          {savedAt && !changed && (
            <span data-testid="editor-saved">Saved at {formatTime(savedAt.toISOString())}</span>
          )}
          {!writable && <span>Read-only: this root is not writable for your role.</span>}
        </Stack>
      </Stack>
    </div>
  );
}
