/**
 * The `firewall:` block of the configuration file.
 *
 *   firewall:
 *     managementAddresses: [192.0.2.10, 10.20.0.0/16]   # never blocked (Grafana, admin network)
 *     sshPorts: [22]                                     # blocked only by an admin with confirm
 *     reconcileIntervalSeconds: 60
 */
import { z } from 'zod';
import { parseAddress, parseNetwork } from '../../util/ip.js';

const addressOrNetwork = z
  .string()
  .max(64)
  .refine(
    (v) => (v.includes('/') ? parseNetwork(v)?.hostBitsSet === false : parseAddress(v) !== undefined),
    'an IPv4/IPv6 address or a network like 10.20.0.0/16 (no host bits set)',
  );

export const firewallConfigSchema = z
  .object({
    managementAddresses: z.array(addressOrNetwork).max(256).default([]),
    sshPorts: z.array(z.number().int().min(1).max(65535)).max(16).default([22]),
    /** How often the nftables table is compared with the desired state and restored. */
    reconcileIntervalSeconds: z.number().int().min(1).max(86_400).default(60),
  })
  .strict();

export type FirewallConfig = z.infer<typeof firewallConfigSchema>;
