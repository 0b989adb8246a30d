/**
 * Flags for the command-line tools (`sim`, `bench`) through node:util's `parseArgs` in strict
 * mode. Its errors are worded for programmers and name the flag only inside a sentence, so each
 * error code becomes one of our one-line UsageError messages naming the flag as the user wrote
 * it. None of the tools takes positional arguments.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** A one-letter alias (`o` for `-o`). */
  short?: string;
  /** May be given more than once, each use kept; otherwise a second use is an error. */
  repeatable?: boolean;
}

/** One flag as given, in command-line order. */
export interface FlagUse<K extends string = string> {
  /** The long form with its dashes (`--out` also for `-o`): the name every message uses. */
  flag: `--${K}`;
  /** The value of a string flag; '' for a boolean flag. */
  value: string;
}

type Token = NonNullable<ReturnType<typeof parseArgs<ParseArgsConfig>>['tokens']>[number];
type OptionToken = Extract<Token, { kind: 'option' }>;

const kParseErrorPrefix = 'ERR_PARSE_ARGS_';

function quoted(text: string): string {
  return JSON.stringify(text);
}

function unexpectedArgument(word: string, tool: string): string {
  return `unexpected argument ${quoted(word)} (flags start with --; see ${tool} --help)`;
}

/**
 * What is wrong with a known flag's value, as strict parsing sees it, or null. A string flag
 * followed by a word that starts with `-` is refused by parseArgs (it is more often a forgotten
 * value than a value), so the message says how to write such a value.
 */
function valueProblem(token: OptionToken, spec: FlagSpec): string | null {
  const flag = `--${token.name}`;
  if (spec.type === 'boolean') {
    return token.value === undefined ? null : `${flag} takes no value, got ${quoted(token.value)}`;
  }
  if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--'))) return `${flag} needs a value`;
  if (!token.inlineValue && token.value.length > 1 && token.value.startsWith('-')) {
    return `${flag} ${token.value}: a value that starts with "-" is written ${flag}=${token.value}`;
  }
  return null;
}

/**
 * The message for a strict-mode error: the error code says what kind of mistake it is, the
 * tokens of a lenient parse of the same words say where it is (parseArgs stops at the first).
 */
function describeParseError(code: string, config: ParseArgsConfig, specs: Record<string, FlagSpec>, tool: string): string | null {
  const tokens = parseArgs({ ...config, strict: false, allowPositionals: true, tokens: true }).tokens ?? [];
  for (const token of tokens) {
    switch (code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        if (token.kind === 'option' && !Object.hasOwn(specs, token.name)) return `unknown flag ${token.rawName} (see ${tool} --help)`;
        break;
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
        const problem = token.kind === 'option' && Object.hasOwn(specs, token.name) ? valueProblem(token, specs[token.name]) : null;
        if (problem) return problem;
        break;
      }
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        if (token.kind === 'option-terminator') return unexpectedArgument('--', tool);
        if (token.kind === 'positional') return unexpectedArgument(token.value, tool);
        break;
    }
  }
  return null;
}

/**
 * Parses `argv` (without `node` and the script) against `specs`, keyed by long name without the
 * dashes. Returns the flags in the order given; throws UsageError naming the flag for an unknown
 * flag, a missing or unwanted value, a second use of a flag that is not repeatable, or a word
 * that is not a flag.
 */
export function parseFlags<K extends string>(
  argv: readonly string[],
  specs: Readonly<Record<K, FlagSpec>>,
  tool: string,
): FlagUse<K>[] {
  const byName: Record<string, FlagSpec> = specs;
  const config: ParseArgsConfig = {
    args: [...argv],
    options: Object.fromEntries(
      // parseArgs checks `short` by presence: an undefined one is refused, so it is left out.
      Object.entries(byName).map(([name, { type, short, repeatable }]) => [
        name,
        { type, multiple: repeatable ?? false, ...(short === undefined ? {} : { short }) },
      ]),
    ),
    strict: true,
    allowPositionals: false,
    tokens: true,
  };
  let tokens: Token[];
  try {
    tokens = parseArgs(config).tokens ?? [];
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith(kParseErrorPrefix)) throw error;
    // Should parseArgs ever refuse something the lenient walk does not place, its own first line still names the flag.
    throw new UsageError(describeParseError(code, config, byName, tool) ?? (error as Error).message.split('\n')[0]);
  }

  const uses: FlagUse<K>[] = [];
  const seen = new Set<string>();
  for (const token of tokens) {
    // A lone `--` would end the flags, and nothing may follow it here.
    if (token.kind !== 'option') throw new UsageError(unexpectedArgument(token.kind === 'positional' ? token.value : '--', tool));
    const flag = `--${token.name}` as `--${K}`;
    if (seen.has(flag) && !byName[token.name].repeatable) throw new UsageError(`${flag} given twice`);
    seen.add(flag);
    uses.push({ flag, value: token.value ?? '' });
  }
  return uses;
}
