const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export class MissingVariableError extends Error {
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is not set (use \${${variable}:-default} for a fallback)`);
  }
}

/** Expands `${VAR}` and `${VAR:-default}` in one string; `$$` stands for a literal `$`. */
export function expandString(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(REF, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$$') return '$';
    const value = env[name!];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    throw new MissingVariableError(name!);
  });
}

/**
 * Expands variables in every string value of a parsed document (not in keys, and never in the raw text,
 * so a variable's value cannot inject YAML structure). Reports failures with the key path.
 */
export function expandTree(node: unknown, env: NodeJS.ProcessEnv, path: (string | number)[] = [], errors: { path: (string | number)[]; message: string }[] = []): unknown {
  if (typeof node === 'string') {
    try {
      return expandString(node, env);
    } catch (e) {
      errors.push({ path, message: (e as Error).message });
      return node;
    }
  }
  if (Array.isArray(node)) return node.map((v, i) => expandTree(v, env, [...path, i], errors));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = expandTree(v, env, [...path, k], errors);
    return out;
  }
  return node;
}
