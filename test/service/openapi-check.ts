/**
 * Responses checked against the service's own OpenAPI document: swagger-parser validates the
 * document against the OpenAPI 3.0 schema (offline, bundled) and dereferences it; Ajv checks
 * each JSON body against the schema of its path, method, status and media type.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv } from 'ajv';
import { expect } from 'vitest';

interface Spec {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
}

export async function loadSpec(url: string): Promise<Spec> {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as object;
  await SwaggerParser.validate(structuredClone(doc) as never);
  return (await SwaggerParser.dereference(doc as never)) as unknown as Spec;
}

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });

/** The response (status, content type, JSON body) is one the document describes for this operation. */
export function expectDocumented(spec: Spec, method: string, path: string, response: { status: number; type: string; body: unknown }): void {
  const operation = spec.paths[path]?.[method.toLowerCase()];
  expect(operation, `${method} ${path} in the OpenAPI document`).toBeDefined();
  const documented = operation!.responses[String(response.status)];
  expect(documented, `${method} ${path} → ${response.status} in the OpenAPI document`).toBeDefined();
  const type = response.type.split(';')[0]!.trim();
  const media = documented!.content?.[type];
  expect(media, `${method} ${path} → ${response.status} as ${type}`).toBeDefined();
  if (type !== 'application/json') return;
  const validate = ajv.compile(media!.schema);
  const ok = validate(response.body);
  expect(ok, JSON.stringify(validate.errors)).toBe(true);
}
