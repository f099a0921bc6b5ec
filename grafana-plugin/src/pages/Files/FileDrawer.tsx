/** One file: its details, a download link, and the editor for small text files. */
import { Drawer, LinkButton, Stack } from '@grafana/ui';
import React from 'react';
import { useApi } from '../../api/ApiContext';
import { apiPath } from '../../api/client';
import type { FileInfo } from '../../api/types';
import { formatBytes, formatTime } from '../../utils/format';
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
  return (
    <Drawer title={file.name} subtitle={`${root}:/${file.path}`} onClose={onClose} size="lg">
      <Stack direction="column" gap={2}>
        <Stack gap={2} wrap="wrap">
          <span>{formatBytes(file.size)}</span>
          <code>{file.permissions}</code>
          <span>
            {file.owner ?? '?'}:{file.group ?? '?'}
          </span>
          <span>modified {formatTime(file.mtime)}</span>
        </Stack>
        <div>
          <LinkButton href={download} icon="download-alt" variant="secondary" download={file.name}>
            Download
          </LinkButton>
        </div>
        {editable ? (
          <TextEditor host={host} root={root} path={file.path} writable={writable} onSaved={onChanged} />
        ) : (
          <div>
            {file.type === 'file'
              ? `Larger than ${formatBytes(textLimitBytes)}: download it to read it.`
              : 'Not a regular file.'}
          </div>
        )}
      </Stack>
    </Drawer>
  );
}
