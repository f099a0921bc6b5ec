/**
 * Runs every jobs unit spec in one process (each file would cost a tsx start-up). Run one alone
 * with `node --import tsx --test test/unit/jobs/<name>.spec.ts`.
 */
import './cron.spec.js';
import './crontab.spec.js';
import './history.spec.js';
import './host-schedules.spec.js';
import './local-host-run.spec.js';
import './manager.spec.js';
import './systemd-timers.spec.js';
