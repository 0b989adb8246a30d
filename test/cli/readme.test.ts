import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
