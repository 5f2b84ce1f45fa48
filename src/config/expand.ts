const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

class MissingVariableError extends Error {
  constructor(readonly variables: readonly string[]) {
    const [first] = variables;
    super(
      variables.length === 1
        ? `environment variable ${first} is not set (use \${${first}:-default} for a fallback)`
        : `environment variables ${variables.join(', ')} are not set (use \${NAME:-default} for a fallback)`,
    );
  }

  get variable(): string {
    return this.variables[0]!;
  }
}

/** Expands `${VAR}` and `${VAR:-default}` in one string; `$$` stands for a literal `$`. Names every unset variable. */
export function expandString(text: string, env: NodeJS.ProcessEnv): string {
  const missing: string[] = [];
  const out = text.replace(REF, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$$') return '$';
    const value = env[name!];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    if (!missing.includes(name!)) missing.push(name!);
    return match;
  });
  if (missing.length) throw new MissingVariableError(missing);
  return out;
}

/**
 * Expands variables in every string value of a parsed document (not in keys, and never in the raw text,
 * so a variable's value cannot inject YAML structure). Reports failures with the key path.
 */
export function expandTree(
  node: unknown,
  env: NodeJS.ProcessEnv,
  path: (string | number)[] = [],
  errors: { path: (string | number)[]; message: string }[] = [],
): unknown {
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
