/** Change a process's nice value; below 0 (more CPU than normal) the exporter requires admin. */
import { Field, Input } from '@grafana/ui';
import React, { useState } from 'react';
import type { ProcessInfo } from '../../api/types';
import { Confirm } from '../../components/Confirm';

interface Props {
  process: ProcessInfo;
  onConfirm(nice: number): void;
  onDismiss(): void;
}

export function parseNice(text: string): number | undefined {
  if (!/^-?\d{1,2}$/.test(text.trim())) return undefined;
  const value = Number(text);
  return value >= -20 && value <= 19 ? value : undefined;
}

export function ReniceDialog({ process, onConfirm, onDismiss }: Props) {
  const [text, setText] = useState(String(process.nice));
  const nice = parseNice(text);
  return (
    <Confirm
      title={`Renice ${process.name} (${process.pid})`}
      confirmText={nice === undefined ? 'Renice' : `Set nice ${nice}`}
      destructive={false}
      disabled={nice === undefined}
      onConfirm={() => nice !== undefined && onConfirm(nice)}
      onDismiss={onDismiss}
      body={
        <Field
          label="Nice value"
          description="−20 (most favoured) to 19 (least). Below 0 needs the admin role."
          invalid={nice === undefined}
          error={nice === undefined ? 'A whole number from −20 to 19' : undefined}
        >
          <Input
            id="hyperion-nice"
            type="number"
            min={-20}
            max={19}
            width={12}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
          />
        </Field>
      }
    />
  );
}
