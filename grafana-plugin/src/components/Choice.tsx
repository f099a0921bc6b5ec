/**
 * Grafana's RadioButtonGroup, allowed to wrap: in a dialog or on a phone the stock group keeps
 * one row and shrinks every option until its label reads "T…" or "15 …". Here options keep
 * their natural width and move to the next line instead.
 */
import { css } from '@emotion/css';
import type { SelectableValue } from '@grafana/data';
import { RadioButtonGroup, useStyles2 } from '@grafana/ui';
import React from 'react';

interface Props<T> {
  options: Array<SelectableValue<T>>;
  value: T;
  onChange(value: T): void;
  size?: 'sm' | 'md';
  'aria-label'?: string;
}

export function Choice<T>({ options, value, onChange, size = 'md', ...rest }: Props<T>) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.wrap} data-testid="choice" aria-label={rest['aria-label']}>
      <RadioButtonGroup options={options} value={value} onChange={onChange} size={size} />
    </div>
  );
}

const getStyles = () => ({
  wrap: css({
    maxWidth: '100%',
    '& > div': { flexWrap: 'wrap', height: 'auto' },
    '& > div > div': { flex: '0 0 auto' },
  }),
});
