/**
 * The `ssh:` block of the configuration file: how the exporter treats every SSH host.
 *
 *   ssh:
 *     connectTimeoutSeconds: 10     # TCP connect and SSH handshake
 *     keepaliveIntervalSeconds: 15  # SSH keep-alive; 3 unanswered ones drop the connection
 *     backoffInitialSeconds: 0.5    # first wait after a failed connect, doubled each time…
 *     backoffMaxSeconds: 8          # …up to this; a request in a back-off fails at once
 *     maxChannels: 8                # per host (OpenSSH allows 10 sessions per connection)
 *     commandTimeoutSeconds: 30     # a batch of reads that takes longer fails
 *     idleCloseSeconds: 600         # a connection nobody used for this long is closed
 *     probeTimeoutSeconds: 10       # /probe without X-Prometheus-Scrape-Timeout-Seconds
 *     agentPath: /usr/lib/hyperion/hyperion-agent   # run through `sudo -n` on hosts in privilege mode sudo
 */
import { z } from 'zod';

export const sshConfigSchema = z
  .object({
    connectTimeoutSeconds: z.number().min(1).max(120).default(10),
    keepaliveIntervalSeconds: z.number().min(1).max(600).default(15),
    keepaliveCountMax: z.number().int().min(1).max(10).default(3),
    backoffInitialSeconds: z.number().min(0.05).max(60).default(0.5),
    backoffMaxSeconds: z.number().min(0.05).max(3600).default(8),
    maxChannels: z.number().int().min(2).max(64).default(8),
    commandTimeoutSeconds: z.number().min(1).max(3600).default(30),
    idleCloseSeconds: z.number().min(10).max(86_400).default(600),
    probeTimeoutSeconds: z.number().min(1).max(300).default(10),
    /**
     * Where hosts in privilege mode sudo have the agent installed: the one program their sudoers
     * line lets the login user run as root, for privileged verbs only.
     */
    agentPath: z
      .string()
      .regex(/^\/[^\s]*$/, 'an absolute path, no spaces')
      .max(256)
      .default('/usr/lib/hyperion/hyperion-agent'),
  })
  .strict();

export type SshConfig = z.infer<typeof sshConfigSchema>;

/** The defaults, for code that builds hosts without a configuration file (tests, the bench). */
export const DEFAULT_SSH_CONFIG: SshConfig = sshConfigSchema.parse({});
