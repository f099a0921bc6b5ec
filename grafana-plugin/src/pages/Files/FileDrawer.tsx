/**
 * One file: its details, a download link, and the editor for small text files. Closing it —
 * the close button, a click outside, Escape (which Monaco lets through) — asks first when the
 * editor holds unsaved edits.
 */
import { Drawer, LinkButton, Stack } from '@grafana/ui';
import React, { useCallback, useState } from 'react';
import { Confirm } from '../../components/Confirm';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import type { FileInfo } from '../../api/types';
import { formatBytes, formatFullTime, formatTime } from '../../utils/format';
import { TextEditor } from './TextEditor';

interface Props {
  host: string;
  root: string;
  file: FileInfo;
  writable: boolean;
  textLimitBytes: number;
  onClose(): void;
  onChanged(): void;
}

export function FileDrawer({ host, root, file, writable, textLimitBytes, onClose, onChanged }: Props) {
  const api = useApi();
  const download = api.url(apiPath('hosts', host, 'files', root, file.path), { download: 'attachment' });
  const editable = file.type === 'file' && file.size <= textLimitBytes;
  const [dirty, setDirty] = useState(false);
  const [asking, setAsking] = useState(false);
  const onDirtyChange = useCallback((d: boolean) => setDirty(d), []);
  const close = () => (dirty ? setAsking(true) : onClose());
  return (
    <Drawer title={file.name} subtitle={`${root}:/${file.path}`} onClose={close} size="lg">
      <Stack direction="column" gap={2}>
        <Stack gap={2} wrap="wrap">
          <span>{formatBytes(file.size)}</span>
          <code>{file.permissions}</code>
          <span>
            {file.owner ?? '?'}:{file.group ?? '?'}
          </span>
          <span title={formatFullTime(file.mtime)}>modified {formatTime(file.mtime)}</span>
        </Stack>
        <div>
          <LinkButton href={download} icon="download-alt" variant="secondary" download={file.name}>
            Download
          </LinkButton>
        </div>
        {editable ? (
          <TextEditor
            host={host}
            root={root}
            path={file.path}
            writable={writable}
            onSaved={onChanged}
            onDirtyChange={onDirtyChange}
          />
        ) : (
          <div>
            {file.type === 'file'
              ? `Larger than ${formatBytes(textLimitBytes)}: download it to read it.`
              : 'Not a regular file.'}
          </div>
        )}
      </Stack>
      {asking && (
        <Confirm
          title="Discard your changes?"
          body={
            <p>
              <code>{file.path}</code> has edits that are not saved. Closing the editor throws them away.
            </p>
          }
          confirmText="Discard changes"
          onConfirm={() => {
            setAsking(false);
            onClose();
          }}
          onDismiss={() => setAsking(false)}
        />
      )}
    </Drawer>
  );
}
