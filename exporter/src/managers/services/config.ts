/** The `services` block of the configuration file. */
import { z } from 'zod';
import { SERVICE_NAME_PATTERN, SERVICE_NAME_RULE } from './names.js';
import { DEFAULT_OPERATOR_UNITS } from './policy.js';

/**
 * Losing the SSH server or the exporter locks operators out of the host, so acting on them
 * needs admin. "ssh" and "ssh.service" name the same service (on SysV too).
 */
export const DEFAULT_PROTECTED_SERVICES = ['ssh.service', 'sshd.service', 'hyperion-exporter.service'];

export const servicesConfigSchema = z
  .object({
    /** Services whose actions need the admin role rather than operator. */
    protected: z
      .array(z.string().regex(new RegExp(SERVICE_NAME_PATTERN), SERVICE_NAME_RULE))
      .max(1000)
      .default(DEFAULT_PROTECTED_SERVICES),
    /**
     * Globs of the units operators may act on ("*.service", "nginx*", "app-*.service"); other
     * units need admin. Whatever this says, operators never act on systemd's own units, power,
     * rescue and debug shells, module loading or gettys (policy.ts), nor on protected ones.
     */
    operatorUnits: z
      .array(
        z
          .string()
          .min(1)
          .max(255)
          .regex(/^[A-Za-z0-9:_.@*?-]+$/, 'a unit glob: unit-name characters, "*" and "?"'),
      )
      .max(1000)
      .default([...DEFAULT_OPERATOR_UNITS]),
    /**
     * How long start/stop/restart/reload/enable/disable may take before the answer is a 504.
     * Capped below api.requestTimeoutSeconds at run time, so the API's own timeout never wins.
     */
    actionTimeoutSeconds: z.number().int().min(1).max(3600).default(25),
    /** Log lines a service's details show when the request does not say (?lines=). */
    defaultLogLines: z.number().int().min(0).max(10_000).default(50),
  })
  .strict();
