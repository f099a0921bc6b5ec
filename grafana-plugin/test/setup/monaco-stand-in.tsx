/**
 * STAND-IN for @grafana/ui's CodeEditor in Jest only: jsdom has no layout or workers to run
 * Monaco, so the editor is a textarea taking the props the app uses (value, onChange,
 * readOnly). The real editor is driven by the browser tests (e2e/).
 */
import React, { useState } from 'react';

interface Props {
  value?: string;
  onChange?: (value: string) => void;
  readOnly?: boolean;
}

export function CodeEditor({ value = '', onChange, readOnly }: Props) {
  const [text, setText] = useState(value);
  return (
    <textarea
      data-testid="monaco-stand-in"
      value={text}
      readOnly={readOnly}
      onChange={(e) => {
        setText(e.currentTarget.value);
        onChange?.(e.currentTarget.value);
      }}
    />
  );
}
