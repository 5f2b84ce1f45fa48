import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../shared/errors.js';
import { expandTree } from './expand.js';
import { Config } from './schema.js';
import { PARSE_ONCE } from './parse-once.js';

// yaml costs ~50 ms to load; a daemon started on defaults (Claude Desktop) never needs it.
const requireLazy = createRequire(import.meta.url);
const yaml = () => requireLazy('yaml') as typeof import('yaml');

export interface LoadOptions {
  /** Path from `--config`; falls back to `VITALS_CONFIG`; none means defaults. */
  path?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: Config;
  source: string | undefined;
}

/** `checks[0].timeout`, with the check's name when it has one: `checks[0](orders-db).timeout`. */
function formatPath(path: readonly PropertyKey[], doc: unknown): string {
  let out = '';
  let node: unknown = doc;
  for (const key of path) {
    if (typeof key === 'number') {
      out += `[${key}]`;
      node = Array.isArray(node) ? node[key] : undefined;
      const name = node && typeof node === 'object' ? (node as Record<string, unknown>).name : undefined;
      if (typeof name === 'string' && /^[\w.-]{1,63}$/.test(name)) out += `(${name})`;
    } else {
      out += out ? `.${String(key)}` : String(key);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key as string] : undefined;
    }
  }
  return out;
}

function issuesFromZod(error: Pick<z.ZodError, 'issues'>, doc: unknown): ConfigIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys')
      message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return { path: formatPath(issue.path, doc), message };
  });
}

/** Parses and validates a config document that is already an object (YAML/JSON parsed). */
export function parseConfig(doc: unknown, env: NodeJS.ProcessEnv = process.env, source?: string): Config {
  const expandErrors: { path: (string | number)[]; message: string }[] = [];
  const expanded = expandTree(doc ?? {}, env, [], expandErrors);
  const result = Config.safeParse(expanded, PARSE_ONCE);
  if (result.success && !expandErrors.length) return result.data;
  // Every problem at once: each unset variable with its key, then schema errors, except those about a value
  // that is still an unexpanded `${VAR}` (its real value is unknown, so its error would mislead).
  const unexpanded = (path: readonly PropertyKey[]) =>
    expandErrors.some((e) => e.path.length <= path.length && e.path.every((k, i) => k === path[i]));
  const schemaIssues = result.success
    ? []
    : issuesFromZod({ issues: result.error.issues.filter((i) => !unexpanded(i.path)) }, expanded);
  throw new ConfigError(
    [...expandErrors.map((e) => ({ path: formatPath(e.path, doc), message: e.message })), ...schemaIssues],
    source,
  );
}

export function parseConfigText(text: string, env: NodeJS.ProcessEnv = process.env, source?: string): Config {
  let doc: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both.
    doc = yaml().parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    const { YAMLParseError } = yaml();
    const where =
      e instanceof YAMLParseError && e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(document)';
    const what = e instanceof YAMLParseError ? e.code : 'parse error';
    throw new ConfigError([{ path: where, message: `not valid YAML/JSON (${what})` }], source);
  }
  if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) {
    throw new ConfigError([{ path: '', message: 'the config must be a mapping of keys to values' }], source);
  }
  return parseConfig(doc, env, source);
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const path = options.path ?? (env.VITALS_CONFIG || undefined);
  if (!path) return { config: parseConfig({}, env), source: undefined };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      [{ path: '', message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? 'error'})` }],
      path,
    );
  }
  return { config: parseConfigText(text, env, path), source: path };
}
