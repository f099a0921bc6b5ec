/**
 * Every destructive action asks first, naming exactly what it will do to what. A thin layer on
 * Grafana's ConfirmModal so all pages word and colour it the same way.
 */
import { ConfirmModal } from '@grafana/ui';
import React, { type ReactNode } from 'react';

interface Props {
  title: string;
  body: ReactNode;
  confirmText: string;
  destructive?: boolean;
  disabled?: boolean;
  onConfirm(): void;
  onDismiss(): void;
}

export function Confirm({
  title,
  body,
  confirmText,
  destructive = true,
  disabled,
  onConfirm,
  onDismiss,
}: Props) {
  return (
    <ConfirmModal
      isOpen
      title={title}
      body={<div data-testid="confirm-body">{body}</div>}
      confirmText={confirmText}
      confirmVariant={destructive ? 'destructive' : 'primary'}
      dismissText="Cancel"
      onConfirm={onConfirm}
      onDismiss={onDismiss}
      disabled={disabled}
    />
  );
}
