/**
 * The exporter's configuration file (YAML), validated once at start-up. Every key has a
 * default, so an absent file is the embedded default configuration: safe out of the box.
 */
import { z } from 'zod';
import { sshConfigSchema } from '../hosts/ssh/config.js';
import { filesConfigSchema } from '../managers/files/config.js';
import { firewallConfigSchema } from '../managers/firewall/config.js';
import { jobsConfigSchema } from '../managers/jobs/config.js';
import { servicesConfigSchema } from '../managers/services/config.js';

export const OTP_POLICIES = ['required', 'optional', 'disabled'] as const;

export const configSchema = z
  .object({
    api: z
      .object({
        /** Largest JSON body accepted by the control API. */
        bodyLimitBytes: z
          .number()
          .int()
          .min(1024)
          .max(16 * 1024 * 1024)
          .default(64 * 1024),
        /** Requests running longer are answered 504 and their connection closed. */
        requestTimeoutSeconds: z.number().min(1).max(3600).default(30),
      })
      .strict()
      .prefault({}),
    tls: z
      .object({
        certFile: z.string().min(1),
        keyFile: z.string().min(1),
      })
      .strict()
      .optional(),
    security: z
      .object({
        /**
         * required: every mutating call needs a valid TOTP code (an actor must enrol first).
         * optional: a code is needed only from actors who enrolled. disabled: never.
         */
        otp: z.enum(OTP_POLICIES).default('required'),
        /** Shown in authenticator apps next to the account name. */
        otpIssuer: z.string().min(1).max(64).default('Hyperion'),
      })
      .strict()
      .prefault({}),
    files: filesConfigSchema.prefault({}),
    firewall: firewallConfigSchema.prefault({}),
    jobs: jobsConfigSchema.prefault({}),
    services: servicesConfigSchema.prefault({}),
    ssh: sshConfigSchema.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type OtpPolicy = (typeof OTP_POLICIES)[number];
