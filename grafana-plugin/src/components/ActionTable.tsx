/**
 * A table of named things (hosts, jobs) whose row buttons act on one of them, some only after a
 * question naming that row. A button hands `ask` the question — its title, its explanation,
 * what runs on "yes" — and the table shows it, closes it, then runs the action: each page says
 * what it asks, never again how.
 */
import React, { useState, type ReactNode } from 'react';
import { Confirm } from './Confirm';
import { VirtualTable, type Column, type RowAction } from './VirtualTable';

export interface Question {
  title: string;
  body: ReactNode;
  confirmText: string;
  /** A red confirm button, the default; false for an action that destroys nothing. */
  destructive?: boolean;
  /** Runs once the user confirmed, with the question already closed. */
  run(): Promise<void>;
}

interface Props<T extends { name: string }> {
  label: string;
  rows: readonly T[];
  columns: ReadonlyArray<Column<T>>;
  /** The row's buttons; one whose action needs a confirmation calls `ask` with its question. */
  actions(row: T, ask: (question: Question) => void): RowAction[];
  actionSlots?: number;
  /** Each row's data-testid is `${testIdPrefix}-${name}`. */
  testIdPrefix: string;
  rowClassName?(row: T): string | undefined;
}

export function ActionTable<T extends { name: string }>({ actions, testIdPrefix, ...table }: Props<T>) {
  const [question, ask] = useState<Question | null>(null);
  return (
    <>
      <VirtualTable
        {...table}
        actions={(r) => actions(r, ask)}
        rowKey={(r) => r.name}
        rowProps={(r) => ({ 'data-testid': `${testIdPrefix}-${r.name}` })}
      />
      {question && (
        <Confirm
          title={question.title}
          body={question.body}
          confirmText={question.confirmText}
          destructive={question.destructive}
          onConfirm={() => {
            ask(null);
            void question.run();
          }}
          onDismiss={() => ask(null)}
        />
      )}
    </>
  );
}
