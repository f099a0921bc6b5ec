/**
 * Who am I, and the second factor: enrolment (with an admin's enrolment code), confirmation
 * (which hands out recovery codes), the elevation window, and an admin's view of the actors,
 * their enrolment codes and resets.
 */
import { z } from 'zod';
import { ACTOR_KEY } from '../../security/actor.js';
import { ENROLMENT_CODE } from '../../security/second-factor.js';
import { HyperionError } from '../../util/errors.js';
import { defineRoute, type Route } from '../route.js';
import type { ApiDeps } from '../deps.js';
import { otpCode } from '../schemas.js';
import { secret } from '../secret.js';

const actorKey = z
  .string()
  .max(100)
  .regex(ACTOR_KEY, 'an actor key: "token:<token name>" or "grafana:<org id>:<user id>"')
  .describe('The actor’s key, as GET /auth/actors lists it');

const enrolmentCode = secret(
  z
    .string()
    .max(32)
    .regex(ENROLMENT_CODE, 'an enrolment code looks like ABCD-EFGH-IJKL-MNOP')
    .describe('The enrolment code an admin issued for this actor'),
);

export function authRoutes(deps: ApiDeps): Route[] {
  const factor = deps.secondFactor;
  return [
    defineRoute({
      method: 'get',
      path: '/auth/whoami',
      summary: 'The acting user, their role, second-factor state and elevation',
      tag: 'auth',
      role: 'viewer',
      async handler({ actor }) {
        return {
          body: {
            actor: actor.name,
            key: actor.key,
            role: actor.role,
            token: actor.tokenName,
            viaGrafana: actor.viaGrafana,
            otp: factor.status(actor),
            elevation: factor.elevation(actor),
            elevationSeconds: factor.settings.elevationSeconds,
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/otp/enrol',
      summary:
        'Start TOTP enrolment with the enrolment code an admin issued (the first admin of a new installation needs none): returns an otpauth:// URI and its QR code',
      tag: 'auth',
      // Viewers never act, so they never need a second factor.
      role: 'operator',
      action: 'otp.enrol',
      otp: false,
      body: z.object({ enrolmentCode: enrolmentCode.optional() }).strict().optional(),
      async handler({ actor, body }) {
        return { body: await factor.enrol(actor, body?.enrolmentCode) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/otp/confirm',
      summary:
        'Finish enrolment with one valid code; answers single-use recovery codes (shown this once) and opens an elevation',
      tag: 'auth',
      role: 'operator',
      action: 'otp.confirm',
      otp: false,
      body: z.object({ code: otpCode }).strict(),
      async handler({ actor, body }) {
        const confirmed = await factor.confirm(actor, body.code);
        return { body: { ...factor.status(actor), ...confirmed } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/elevation/drop',
      summary: 'End this actor’s elevation on this token now: the next action asks for a code again',
      tag: 'auth',
      role: 'viewer',
      action: 'otp.elevation.drop',
      otp: false,
      async handler({ actor }) {
        return { body: { dropped: factor.dropElevation(actor), elevation: null } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/actors',
      summary:
        'Actors with a second factor, pending enrolments, and those waiting for an enrolment code (admins)',
      tag: 'auth',
      role: 'admin',
      async handler() {
        return { body: { items: factor.actors() } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/enrolment-codes',
      summary:
        'Issue a single-use, short-lived enrolment code for one actor (replacing any earlier one); the code is in this answer only',
      tag: 'auth',
      role: 'admin',
      action: 'otp.enrolment-code.issue',
      body: z
        .object({
          actor: actorKey,
          name: z
            .string()
            .min(1)
            .max(128)
            .regex(/^[^\p{Cc}]+$/u, 'a name without control characters')
            .describe('Who the code is for, in words (e.g. the Grafana login)'),
        })
        .strict(),
      authorize({ body, setAuditTarget }) {
        setAuditTarget(body.actor);
        if (body.actor.endsWith(':anonymous'))
          throw new HyperionError('conflict', 'an anonymous Grafana user cannot enrol a second factor');
      },
      async handler({ body, actor }) {
        return { status: 201, body: factor.issueEnrolmentCode(body.actor, body.name, actor.name) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/otp/reset',
      summary:
        'Remove an actor’s second factor, lockout and enrolment codes, so they can enrol again (with a new enrolment code)',
      tag: 'auth',
      role: 'admin',
      action: 'otp.reset',
      body: z.object({ actor: actorKey }).strict(),
      authorize({ body, setAuditTarget }) {
        setAuditTarget(body.actor);
        const known = factor.actors().some((a) => a.key === body.actor);
        if (!known) throw new HyperionError('not-found', `${body.actor} has no second factor`);
      },
      async handler({ body }) {
        factor.reset(body.actor);
        return { body: { reset: body.actor } };
      },
    }),
  ];
}
