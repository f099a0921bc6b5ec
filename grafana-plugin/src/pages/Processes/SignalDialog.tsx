/** Kill (or any signal) with a choice of signal, naming the process it goes to. */
import { Field } from '@grafana/ui';
import React, { useState } from 'react';
import { SIGNALS, type ProcessInfo, type Signal } from '../../api/types';
import { Choice } from '../../components/Choice';
import { Confirm } from '../../components/Confirm';

const HELP: Record<Signal, string> = {
  TERM: 'ask it to stop (it may clean up first)',
  KILL: 'stop it at once; it cannot refuse or clean up',
  HUP: 'hang-up: many daemons reload their configuration',
  INT: 'interrupt, like Ctrl-C',
  QUIT: 'quit and dump core',
  STOP: 'pause it',
  CONT: 'resume a paused process',
  USR1: 'user-defined signal 1',
  USR2: 'user-defined signal 2',
};

interface Props {
  process: ProcessInfo;
  onConfirm(signal: Signal): void;
  onDismiss(): void;
}

export function SignalDialog({ process, onConfirm, onDismiss }: Props) {
  const [signal, setSignal] = useState<Signal>('TERM');
  return (
    <Confirm
      title={`Signal ${process.name} (${process.pid})`}
      confirmText={`Send ${signal}`}
      destructive={signal !== 'CONT'}
      onConfirm={() => onConfirm(signal)}
      onDismiss={onDismiss}
      body={
        <div data-testid="signal-dialog">
          <p>
            <code>{process.command}</code> — user {process.user}
          </p>
          <Field label="Signal" description={HELP[signal]}>
            <Choice
              options={SIGNALS.map((s) => ({ label: s, value: s }))}
              value={signal}
              onChange={(value) => setSignal(value)}
            />
          </Field>
        </div>
      }
    />
  );
}
