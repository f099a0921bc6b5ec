/** Who am I, and the second factor: enrolment, confirmation, and an admin's reset. */
import { z } from 'zod';
import { HyperionError } from '../../util/errors.js';
import { defineRoute, type Route } from '../route.js';
import type { ApiDeps } from '../deps.js';
import { otpCode } from '../schemas.js';

export function authRoutes(deps: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/auth/whoami',
      summary: 'The acting user, their role and second-factor state',
      tag: 'auth',
      role: 'viewer',
      async handler({ actor }) {
        return {
          body: {
            actor: actor.name,
            role: actor.role,
            token: actor.tokenName,
            viaGrafana: actor.viaGrafana,
            otp: deps.otp.status(actor),
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/otp/enrol',
      summary: 'Start TOTP enrolment: returns an otpauth:// URI and its QR code',
      tag: 'auth',
      // Viewers never act, so they never need a second factor.
      role: 'operator',
      action: 'otp.enrol',
      otp: false,
      async handler({ actor }) {
        return { body: await deps.otp.enrol(actor) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/otp/confirm',
      summary: 'Finish enrolment with one valid code',
      tag: 'auth',
      role: 'operator',
      action: 'otp.confirm',
      otp: false,
      redact: ['code'],
      body: z.object({ code: otpCode }).strict(),
      async handler({ actor, body }) {
        await deps.otp.confirm(actor, body.code);
        return { body: deps.otp.status(actor) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/otp/reset',
      summary: 'Remove an actor’s second factor so they can enrol again',
      tag: 'auth',
      role: 'admin',
      action: 'otp.reset',
      body: z
        .object({
          actor: z.string().min(1).max(200).describe('The actor name as in the audit log'),
          grafana: z.boolean().default(false).describe('true for a Grafana login, false for a token name'),
        })
        .strict(),
      async handler({ body, setAuditTarget }) {
        setAuditTarget(body.actor);
        const key = `${body.grafana ? 'grafana' : 'token'}:${body.actor}`;
        if (!deps.otp.reset(key)) throw new HyperionError('not-found', `${body.actor} has no second factor`);
        return { body: { reset: body.actor } };
      },
    }),
  ];
}
