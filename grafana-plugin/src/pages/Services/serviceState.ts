/** How a service's state reads at a glance: one colour per kind of state. */
import type { BadgeColor, IconName } from '@grafana/ui';
import type { ServiceInfo, ServiceVerb } from '../../api/types';

export function stateColor(service: Pick<ServiceInfo, 'activeState'>): BadgeColor {
  switch (service.activeState) {
    case 'active':
    case 'reloading':
      return 'green';
    case 'failed':
      return 'red';
    case 'activating':
    case 'deactivating':
      return 'orange';
    default:
      return 'darkgrey';
  }
}

export function stateText(service: Pick<ServiceInfo, 'activeState' | 'subState'>): string {
  return service.subState && service.subState !== service.activeState
    ? `${service.activeState} (${service.subState})`
    : service.activeState;
}

/** The verbs that make sense now: no "start" for a running service, no "enable" when enabled. */
export function availableVerbs(service: ServiceInfo): ServiceVerb[] {
  const running = service.activeState === 'active' || service.activeState === 'reloading';
  const verbs: ServiceVerb[] = running ? ['stop', 'restart', 'reload'] : ['start', 'restart'];
  if (service.enabledState === 'enabled') verbs.push('disable');
  else if (service.enabledState === 'disabled' || service.enabledState === null) verbs.push('enable');
  return verbs;
}

export const VERB_WORDS: Record<
  ServiceVerb,
  { label: string; destructive: boolean; explain: string; icon: IconName }
> = {
  start: { label: 'Start', destructive: false, explain: 'starts the service now', icon: 'play' },
  stop: {
    label: 'Stop',
    destructive: true,
    explain: 'stops the service; whatever it serves becomes unavailable',
    icon: 'square-shape',
  },
  restart: {
    label: 'Restart',
    destructive: true,
    explain: 'stops and starts it; connections to it drop',
    icon: 'sync',
  },
  reload: {
    label: 'Reload',
    destructive: false,
    explain: 'asks it to re-read its configuration',
    icon: 'repeat',
  },
  enable: { label: 'Enable', destructive: false, explain: 'starts it at every boot', icon: 'check-circle' },
  disable: {
    label: 'Disable',
    destructive: true,
    explain: 'no longer starts it at boot (it keeps running now)',
    icon: 'ban',
  },
};

export const STATE_FILTERS = [
  { label: 'All', value: '' },
  { label: 'Running', value: 'running' },
  { label: 'Failed', value: 'failed' },
  { label: 'Inactive', value: 'inactive' },
  { label: 'Enabled', value: 'enabled' },
];
