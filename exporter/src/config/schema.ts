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
        /**
         * After a valid code, the same actor on the same token acts without another code for
         * this long (every action still audited). 0: one code per action.
         */
        otpElevationSeconds: z.number().int().min(0).max(3600).default(300),
        /** How long an enrolment code an admin issued may be used. */
        enrolmentCodeTtlSeconds: z
          .number()
          .int()
          .min(60)
          .max(7 * 86_400)
          .default(3600),
      })
      .strict()
      .prefault({}),
    audit: z
      .object({
        /** The audit log is rotated when its current file would grow past this size. */
        maxFileBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .max(1024 ** 3)
          .default(16 * 1024 ** 2),
        /** Files kept, the current one included: at most maxFiles × maxFileBytes on disk. */
        maxFiles: z.number().int().min(2).max(1000).default(8),
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
