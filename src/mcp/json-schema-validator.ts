import { createRequire } from 'node:module';
import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/server';

type AjvModule = typeof import('@modelcontextprotocol/server/validators/ajv');
let ajv: AjvModule | undefined;

/**
 * The SDK's Ajv validator, loaded on the first schema to validate rather than with the SDK: the server
 * validates JSON Schemas only for form elicitation, which mcp-vitals never asks for, and evaluating Ajv was a
 * tenth of a stdio cold start. `require` because the interface is synchronous; the SDK ships CommonJS too.
 */
export class LazyAjvValidator implements jsonSchemaValidator {
  private impl: jsonSchemaValidator | undefined;

  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    ajv ??= createRequire(import.meta.url)('@modelcontextprotocol/server/validators/ajv') as AjvModule;
    this.impl ??= new ajv.AjvJsonSchemaValidator();
    return this.impl.getValidator<T>(schema);
  }
}
