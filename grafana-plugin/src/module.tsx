/** The plugin's entry point: Grafana's SystemJS loader imports `plugin` from module.js. */
import { AppPlugin } from '@grafana/data';
import { App } from './components/App';
import { AppConfig } from './config/AppConfig';
import type { AppJsonData } from './settings';

export const plugin = new AppPlugin<AppJsonData>().setRootPage(App).addConfigPage({
  title: 'Configuration',
  icon: 'cog',
  body: AppConfig,
  id: 'configuration',
});
