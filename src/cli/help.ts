/** `sim --help`: the flags, then every schema key and every preset, generated from their tables. */
import { kPresetAliases, kPresets } from '../core/presets.ts';
import { type ParamSpec, describeRange, kParamSpecs } from '../core/schema.ts';

function defaultText(spec: ParamSpec): string {
  if (Array.isArray(spec.defaultValue)) return spec.defaultValue.length > 0 ? spec.defaultValue.join(',') : '(empty)';
  return String(spec.defaultValue);
}

function column(text: string, width: number): string {
  return text.length >= width ? `${text}  ` : text.padEnd(width);
}

export function helpText(): string {
  const lines = [
    'Usage: npm run sim -- [flags]        (or: npx tsx src/cli/sim.ts [flags])',
    '',
    'Runs an experiment headless on the same engines as the page and writes its statistics',
    'as CSV or JSON: one row per group and recorded step.',
    '',
    'Flags (applied in this order: --preset, --config, --set, --sweep):',
    '  --preset NAME           start from a named preset (listed below) instead of the defaults',
    '  --config FILE           read a JSON config: {"key": value, ..., "groups": [{...}, ...]}',
    '  --set KEY=VALUE         set a parameter (repeatable); a group key reaches every group',
    '                          that does not set it itself. Lists: --set means=0,1',
    '  --sweep KEY=V1,V2,...   one group per value (repeatable: several sweeps give their product,',
    '                          times the groups already there); group keys only. For means,',
    '                          separate the lists by ";": --sweep "means=0,1;1,0"',
    '                          --sweep seed=1,2,3 runs the whole config once per seed, as one',
    '                          file: a seed column, run i\'s groups numbered from i x groups',
    '  --engine auto|cpu|gpu   which engine runs it (default auto: the GPU engine when it can',
    '                          run, else the CPU reference engine; stderr says which)',
    '  --out FILE              write to FILE, .csv or .json (default, or -: stdout)',
    '  --format csv|json       the format on stdout (default csv)',
    '  --agents-out FILE.csv   after the run, write every agent\'s state: group, agent,',
    '                          pref_0.., prob_0.., best_arm (one row per agent)',
    '  --stop-when EXPR        also stop each group once a row meets EXPR: STATISTIC OP NUMBER',
    '                          with OP one of >=, <=, >, < (e.g. "mean_prob_optimal>=0.9"); the',
    '                          group\'s rows end at that row, the run ends when every group has met',
    '                          it; stderr (and the JSON\'s "stops") gives each group\'s step',
    '  --shard I/N             run only the I-th of N contiguous slices of the groups (CSV out),',
    '                          as an independent process: rows keep the whole run\'s group',
    '                          numbers and columns, so the N files join into one run\'s rows',
    '  -q, --quiet             stderr gets only warnings and errors (no engine line, progress, summary)',
    '  -h, --help              this text',
    '',
    'Exit codes: 0 done, 1 the run failed (engine unavailable, I/O), 2 bad flag, value or config.',
    '',
    'Parameters (shared: one value for the whole run; group: may differ between groups;',
    'live: the page can change it while agents run):',
  ];
  for (const spec of kParamSpecs) {
    const scope = spec.scope === 'run' ? 'shared' : 'group';
    const facts = [describeRange(spec), `default ${defaultText(spec)}`, scope, ...(spec.live ? ['live'] : [])];
    lines.push(`  ${column(spec.key, 14)}${facts.join('; ')}`);
    lines.push(`  ${' '.repeat(14)}${spec.help}`);
  }
  lines.push('', 'Presets:');
  const width = Math.max(...kPresets.map((p) => p.name.length)) + 2;
  for (const preset of kPresets) lines.push(`  ${column(preset.name, width)}${preset.description}`);
  const aliases = Object.entries(kPresetAliases).map(([old, now]) => `${old} (${now})`);
  lines.push(`  Old names still accepted: ${aliases.join(', ')}.`);
  lines.push(
    '',
    'Examples:',
    '  npm run sim -- --preset lesson-mini-challenge --out two-arm.csv',
    '  npm run sim -- --preset testbed --set agents=500 --sweep lr=0.05,0.1,0.2 --out lr.csv',
    '  npm run sim -- --config my-experiment.json --format json > run.json',
    '  npm run sim -- --preset baseline-on-off --sweep seed=1,2,3 --out seeds.csv --agents-out agents.csv',
    '  npm run sim -- --preset testbed --stop-when "frac_optimal>=0.8" --out to-80.csv',
    '  npm run sim -- --preset testbed --sweep lr=0.05,0.1,0.2,0.4 --shard 2/4 --out part2.csv',
    '',
  );
  return lines.join('\n');
}
