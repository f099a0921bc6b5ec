/**
 * A table of named things (hosts, jobs) whose row buttons act on one of them, some only after a
 * question naming that row. A button hands `ask` the question — its title, its explanation,
 * what runs on "yes" — and the table shows it, closes it, then runs the action: each page says
 * what it asks, never again how.
 */
import React, { useState, type ReactNode } from 'react';
import { Confirm } from './Confirm';
import { VirtualTable, type Column } from './VirtualTable';

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
  /** The columns; a button whose action needs a confirmation calls `ask` with its question. */
  columns(ask: (question: Question) => void): ReadonlyArray<Column<T>>;
  /** Each row's data-testid is `${testIdPrefix}-${name}`. */
  testIdPrefix: string;
  /** The table grows with its rows up to this height (px), then scrolls. */
  maxHeight: number;
  rowClassName?(row: T): string | undefined;
}

const ROW_HEIGHT = 40;
const HEADER_HEIGHT = 36;

export function ActionTable<T extends { name: string }>({
  columns,
  testIdPrefix,
  maxHeight,
  ...table
}: Props<T>) {
  const [question, ask] = useState<Question | null>(null);
  return (
    <>
      <VirtualTable
        {...table}
        columns={columns(ask)}
        rowKey={(r) => r.name}
        rowHeight={ROW_HEIGHT}
        height={Math.min(maxHeight, HEADER_HEIGHT + table.rows.length * ROW_HEIGHT)}
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
