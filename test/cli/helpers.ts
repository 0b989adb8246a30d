/** Shared by the cli tests: `runSim` on in-memory streams, `sim` as a child process, a CSV reader. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { createEngine } from '../../src/cli/engines.ts';
import { UsageError } from '../../src/cli/errors.ts';
import { type OutputStream, type SimIo, runSim } from '../../src/cli/run.ts';

export const kRepoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface SimResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Output files by path (in-memory runs). */
  files: Map<string, string>;
}

class MemoryOutput implements OutputStream {
  text = '';
  async write(text: string): Promise<void> {
    this.text += text;
  }
  async close(): Promise<void> {}
}

/** Runs `sim` in this process; `inputs` are the files `--config` may read. */
export async function simInProcess(
  argv: string[],
  inputs: Record<string, string> = {},
  makeEngine?: typeof createEngine,
): Promise<SimResult> {
  const stdout = new MemoryOutput();
  let stderr = '';
  const outputs = new Map<string, MemoryOutput>();
  const io: SimIo = {
    stdout,
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    readText: (path) => {
      if (!(path in inputs)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return inputs[path];
    },
    openOut: async (path, flag = '--out') => {
      if (path.startsWith('/nonexistent/')) throw new UsageError(`${flag} ${path}: cannot write it (ENOENT)`);
      const out = new MemoryOutput();
      outputs.set(path, out);
      return out;
    },
  };
  const code = await runSim(argv, io, makeEngine);
  return { code, stdout: stdout.text, stderr, files: new Map([...outputs].map(([p, o]) => [p, o.text])) };
}

/** Runs `node --import tsx src/cli/sim.ts ...argv` from the repository root. */
export function simProcess(argv: string[]): Promise<SimResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/sim.ts', ...argv], {
      cwd: kRepoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, files: new Map() }));
  });
}

export interface Csv {
  header: string[];
  rows: string[][];
  /** The values of one column. */
  column(name: string): string[];
}

/**
 * Reads `sim`'s CSV strictly: no quoting, no comment lines, every row as wide as the header,
 * what pandas' read_csv takes as is.
 */
export function readCsv(text: string): Csv {
  if (!text.endsWith('\n')) throw new Error('CSV does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((line, i) => {
    if (line.includes('"')) throw new Error(`row ${i + 1} is quoted: ${line}`);
    const fields = line.split(',');
    if (fields.length !== header.length) throw new Error(`row ${i + 1} has ${fields.length} fields, header ${header.length}`);
    return fields;
  });
  return {
    header,
    rows,
    column(name) {
      const index = header.indexOf(name);
      if (index < 0) throw new Error(`no column ${name}`);
      return rows.map((row) => row[index]);
    },
  };
}

/** The error line of a failed run: exactly one line on stderr. */
export function onlyLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1) throw new Error(`expected one stderr line, got ${lines.length}: ${stderr}`);
  return lines[0];
}

/** The message of the UsageError `fn` throws (and fails the test if it throws none or another). */
export function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}
