/**
 * `sim`'s output formats. Both are a StatsSink that the run loop hands to the engine, plus
 * `take()` (text ready to write now) and `finish()` (the rest). The writers themselves, and what
 * each format holds, live in src/core/export.ts: the page's Export menu writes the same files
 * through them.
 */
import { CsvWriter, JsonWriter, type OutputWriter, type RunDescription } from '../core/export.ts';
import type { OutputFormat } from './args.ts';

export {
  CsvWriter,
  JsonWriter,
  type OutputWriter,
  type RunDescription,
  csvColumns,
  csvField,
  csvParamValue,
  formatNumber,
} from '../core/export.ts';

export function createWriter(format: OutputFormat, run: RunDescription): OutputWriter {
  return format === 'json' ? new JsonWriter(run) : new CsvWriter(run);
}
