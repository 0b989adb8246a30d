import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSimArgs } from '../../src/cli/args.ts';
import { buildExperiment } from '../../src/cli/experiment.ts';
import { shardRange } from '../../src/cli/run.ts';
import { paramsTableMarkdown } from '../../src/cli/params-table.ts';
import { kParamSpecs } from '../../src/core/schema.ts';
import { kRepoRoot } from './helpers.ts';

describe('README', () => {
  const readme = readFileSync(join(kRepoRoot, 'README.md'), 'utf8');

  it('holds exactly the parameter table generated from the schema (npx tsx scripts/params-table.ts)', () => {
    const lines = readme.split('\n');
    const start = lines.findIndex((line) => line.startsWith('| Key | Type and range |'));
    expect(start, 'README has no parameter table').toBeGreaterThan(0);
    let end = start;
    while (end < lines.length && lines[end].startsWith('|')) end++;
    expect(lines.slice(start, end).join('\n')).toBe(paramsTableMarkdown());
    expect(readme).not.toContain('PARAMS_TABLE');
  });

  it('the table has one row per parameter', () => {
    const rows = paramsTableMarkdown().split('\n').slice(2);
    expect(rows.map((row) => /^\| `(\w+)` \|/.exec(row)?.[1])).toEqual(kParamSpecs.map((s) => s.key));
  });

  it('documents sim', () => {
    expect(readme).toContain('## Headless runs: sim');
  });

  /** The indented command that starts with `start`, its `\` continuation lines joined, split into words. */
  function commandWords(start: string): string[] {
    const lines = readme.split('\n');
    let i = lines.findIndex((line) => line.startsWith(`    ${start}`));
    expect(i, `README has no command starting "${start}"`).toBeGreaterThan(0);
    let text = '';
    while (lines[i].endsWith('\\')) text += `${lines[i++].slice(0, -1)} `;
    text += lines[i];
    return text.trim().split(/\s+/).map((word) => word.replace(/^"|"$/g, ''));
  }

  it('runs the sharded sweep under GNU parallel and as a Slurm array with flags sim takes', () => {
    expect(readme).toContain('#SBATCH --array=1-4');
    const parallel = commandWords('parallel npm run sim -- ');
    const inputs = parallel.slice(parallel.indexOf(':::') + 1);
    expect(inputs).toEqual(['1', '2', '3', '4']);
    const slurm = commandWords('npm run sim -- --preset testbed --set agents=500 --set window=100');
    const slices: number[][] = [];
    for (const input of inputs) {
      const argv = parallel.slice(parallel.indexOf('--') + 1, parallel.indexOf(':::')).map((w) => w.replaceAll('{}', input));
      const args = parseSimArgs(argv);
      expect(args.shard).toEqual({ index: Number(input), count: 4 });
      expect(args.out).toBe(`part${input}.csv`);
      const groups = buildExperiment(args, () => '').config.groups.length;
      const range = shardRange(args.shard, groups);
      slices.push([range.first, range.end]);
      const slurmArgv = slurm.slice(slurm.indexOf('--') + 1).map((w) =>
        w.replaceAll('$SLURM_ARRAY_TASK_ID', input).replaceAll('$SLURM_ARRAY_TASK_COUNT', '4'),
      );
      expect(parseSimArgs(slurmArgv)).toEqual(args);
    }
    expect(slices).toEqual([[0, 1], [1, 2], [2, 3], [3, 4]]);
  });
});
