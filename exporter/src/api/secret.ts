/**
 * Secrets in request schemas. A field wrapped in secret() is never written to the audit log,
 * at whatever depth it sits (a job's secret environment inside its command, a code in a body):
 * the pipeline redacts the arguments it audits through the route's own schemas, so a new route
 * cannot forget a list of field names. Wrap last: zod's describe() and friends return a copy
 * that is not marked.
 */
import { z } from 'zod';

const SECRETS = z.registry<{ secret: true }>();
export const REDACTED = '[redacted]';

export function secret<T extends z.ZodType>(schema: T): T {
  (schema as z.ZodType).register(SECRETS, { secret: true });
  return schema;
}

export function isSecret(schema: z.ZodType): boolean {
  return SECRETS.has(schema);
}

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
};

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Whether `schema` holds a secret anywhere inside it. */
function holdsSecret(schema: z.ZodType | undefined, seen = new Set<z.ZodType>()): boolean {
  if (!schema || seen.has(schema)) return false;
  seen.add(schema);
  if (isSecret(schema)) return true;
  const def = defOf(schema);
  const children = [
    ...Object.values(def.shape ?? {}),
    def.catchall,
    def.element,
    def.valueType,
    def.innerType,
    def.in,
    def.out,
    ...(def.options ?? []),
    def.left,
    def.right,
  ];
  return children.some((c) => holdsSecret(c, seen));
}

/**
 * `value` (already validated by `schema`) with every secret replaced by "[redacted]". Where
 * the schema cannot say which part of a value a secret is (a union whose options hold one), the
 * whole value is redacted: too much is the safe side.
 */
export function redactSecrets(schema: z.ZodType | undefined, value: unknown): unknown {
  if (!schema || value === undefined || value === null) return value;
  if (isSecret(schema)) return REDACTED;
  const def = defOf(schema);
  switch (def.type) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const field = def.shape?.[key] ?? def.catchall;
        out[key] = field ? redactSecrets(field, v) : v;
      }
      return out;
    }
    case 'array':
      return Array.isArray(value) ? value.map((v) => redactSecrets(def.element, v)) : value;
    case 'record':
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          k,
          redactSecrets(def.valueType, v),
        ]),
      );
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return redactSecrets(def.innerType, value);
    case 'pipe':
      // Validated values are the pipe's output; a secret on either side covers it.
      return holdsSecret(def.in) && !holdsSecret(def.out) ? REDACTED : redactSecrets(def.out, value);
    default:
      return holdsSecret(schema) ? REDACTED : value;
  }
}
