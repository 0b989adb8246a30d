/**
 * The two ways `sim` fails, and their exit codes: a bad command line or config (2) and a run that
 * cannot go on (1). Both print one line, `sim: <reason>`, naming the flag or key at fault.
 */
import { ConfigError, formatFieldError } from '../core/schema.ts';

export const kExitOk = 0;
export const kExitFailure = 1;
export const kExitUsage = 2;

/** A bad flag, flag value or config: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The engine asked for cannot run here (no GPU, not built): exit code 1. */
export class EngineUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineUnavailableError';
  }
}

/** Every field error of a ConfigError on one line, optionally after a prefix (`--config x.json`). */
export function configErrorLine(error: ConfigError, prefix = ''): string {
  const fields = error.errors.map(formatFieldError).join('; ');
  return prefix ? `${prefix}: ${fields}` : fields;
}

/** The one line `sim` prints for a failure, and its exit code. */
export function describeFailure(error: unknown): { line: string; exitCode: number } {
  const oneLine = (text: string) => text.replace(/\s*\n\s*/g, '; ');
  if (error instanceof UsageError) return { line: `sim: ${oneLine(error.message)}`, exitCode: kExitUsage };
  if (error instanceof ConfigError) return { line: `sim: ${configErrorLine(error)}`, exitCode: kExitUsage };
  if (error instanceof EngineUnavailableError) return { line: `sim: ${oneLine(error.message)}`, exitCode: kExitFailure };
  const message = error instanceof Error ? error.message : String(error);
  return { line: `sim: error: ${oneLine(message)}`, exitCode: kExitFailure };
}
