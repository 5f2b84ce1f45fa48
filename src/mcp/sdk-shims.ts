/**
 * What the bundle loads in place of the SDK's Node `_shims` entry (scripts/bundle.mjs): the same exports, but
 * the default JSON Schema validator loads Ajv on first use instead of with the SDK (see LazyAjvValidator).
 */
export { default as process } from 'node:process';
export { LazyAjvValidator as DefaultJsonSchemaValidator } from './json-schema-validator.js';
