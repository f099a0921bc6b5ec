/**
 * The OpenAPI 3.1 document, generated from the same route table and zod schemas the pipeline
 * enforces — documentation that cannot drift from behaviour. Each operation also carries
 * x-hyperion-role / x-hyperion-mutating / x-hyperion-otp so tools (and our own security test)
 * can see the rules.
 */
import { z } from 'zod';
import { VERSION } from '../version.js';
import { openApiPath, type Route } from './route.js';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemRef } },
});

export function buildOpenApi(routes: readonly Route[]): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const responses: Record<string, unknown> = {
      '200': {
        description: 'Success',
        ...(route.response
          ? { content: { 'application/json': { schema: schemaOf(route.response, 'output') } } }
          : {}),
      },
      '400': problem('Invalid request: the field that failed is named'),
      '401': problem('Missing or unknown token'),
      '403': problem('Role not allowed, or second factor required/invalid (problem type says which)'),
      '404': problem('Unknown host or resource'),
    };
    if (route.otp) responses['429'] = problem('Too many wrong one-time codes; see Retry-After');
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path]![route.method] = {
      summary: route.summary,
      ...(route.alias === undefined
        ? {}
        : { description: `Also answered at ${route.alias}, outside /api/v1, with the same rules.` }),
      tags: [route.tag],
      operationId: `${route.method}${path
        .replace(/[{}]/g, '')
        .replace(/\/(\w)/g, (_, c: string) => c.toUpperCase())
        .replace(/[^A-Za-z0-9]/g, '')}`,
      parameters: [
        ...parameters(route.params, 'path'),
        ...parameters(route.query, 'query'),
        ...(route.otp
          ? [
              {
                name: 'X-Hyperion-OTP',
                in: 'header',
                required: true,
                schema: { type: 'string', pattern: '^\\d{6}$' },
              },
            ]
          : []),
      ],
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
            },
          }
        : {}),
      ...(route.rawBody
        ? {
            requestBody: {
              required: false,
              description: 'The bytes themselves (any media type), streamed',
              content: {
                'application/octet-stream': {
                  schema: { type: 'string', contentMediaType: 'application/octet-stream' },
                },
              },
            },
          }
        : {}),
      responses,
      'x-hyperion-role': route.role,
      'x-hyperion-mutating': route.mutating,
      'x-hyperion-otp': route.otp,
      ...(route.action ? { 'x-hyperion-action': route.action } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Hyperion control API',
      version: VERSION,
      description:
        'Act on Linux hosts: every mutating call needs an operator or admin token, a TOTP code in X-Hyperion-OTP (by policy) and is audited.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail'],
          properties: {
            type: { type: 'string', description: 'urn:hyperion:problem:<kind>' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            field: { type: 'string', description: 'for validation problems: the failing field' },
          },
        },
      },
    },
  };
}
