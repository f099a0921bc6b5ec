/**
 * One of Grafana's icons, for tables that draw the same few icons in every row. It is the file
 * Grafana's Icon shows (public/build/img/icons/unicons/<name>.svg, below Grafana's public path),
 * painted in the text colour through a CSS mask. Grafana's Icon inlines the SVG: every instance
 * parses the file's text into DOM and React elements, some 0.3 ms each, and a first render of a
 * table with three actions a row spent a quarter of its time there (the render benchmark).
 */
import { css } from '@emotion/css';
import type { IconName } from '@grafana/ui';
import React from 'react';

/** Where Grafana serves its icons: its public path when the page has one, as Icon does. */
function iconRoot(): string {
  const publicPath = (window as unknown as { __grafana_public_path__?: string }).__grafana_public_path__;
  return `${publicPath || 'public/'}build/img/icons/unicons/`;
}

const icon = css({
  display: 'inline-block',
  flexShrink: 0,
  width: 16,
  height: 16,
  verticalAlign: 'middle',
  backgroundColor: 'currentColor',
  maskRepeat: 'no-repeat',
  maskPosition: 'center',
  maskSize: 'contain',
});

export function RowIcon({ name }: { name: IconName }) {
  const url = `url("${iconRoot()}${name}.svg")`;
  return (
    <span className={icon} style={{ maskImage: url, WebkitMaskImage: url }} aria-hidden data-icon={name} />
  );
}
