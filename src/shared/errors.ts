/** Error families with stable codes; messages are short, human, and never carry secrets. */
export class VitalsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface ConfigIssue {
  /** Dotted key path, e.g. `checks[0].timeout`. */
  path: string;
  message: string;
}

export class ConfigError extends VitalsError {
  constructor(
    readonly issues: ConfigIssue[],
    readonly source?: string,
  ) {
    super(
      'CONFIG_INVALID',
      `invalid config${source ? ` in ${source}` : ''}:\n` +
        issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n'),
    );
  }
}
