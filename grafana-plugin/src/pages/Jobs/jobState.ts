import type { BadgeColor } from '@grafana/ui';
import type { RunResult } from '../../api/types';

export function resultColor(result: RunResult): BadgeColor {
  switch (result) {
    case 'success':
      return 'green';
    case 'failure':
    case 'timeout':
    case 'error':
      return 'red';
    case 'missed':
    case 'aborted':
      return 'orange';
    default:
      return 'darkgrey';
  }
}
