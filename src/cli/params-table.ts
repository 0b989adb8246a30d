/**
 * The README's parameter table, generated from `kParamSpecs` (`npx tsx scripts/params-table.ts`).
 * A test checks that the README holds exactly this text, so the docs follow the schema.
 */
import { type ParamSpec, kParamSpecs } from '../core/schema.ts';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function typeAndRange(spec: ParamSpec): string {
  switch (spec.type) {
    case 'enum':
      return spec.options.map((o) => `\`${o}\``).join(', ');
    case 'list':
      return `list of numbers in [${spec.min}, ${spec.max}]`;
    case 'names':
      return 'list of names';
    case 'text':
      return 'a name';
    default: {
      const open = spec.minExclusive ? '(' : '[';
      return `${spec.type} in ${open}${spec.min}, ${spec.max}]`;
    }
  }
}

function defaultText(spec: ParamSpec): string {
  if (Array.isArray(spec.defaultValue)) return spec.defaultValue.length > 0 ? `\`${spec.defaultValue.join(',')}\`` : '(empty)';
  return spec.defaultValue === '' ? '(empty)' : `\`${spec.defaultValue}\``;
}

export function paramsTableMarkdown(): string {
  const rows = [
    '| Key | Type and range | Default | Scope | Live | Meaning |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const spec of kParamSpecs) {
    const scope = spec.scope === 'run' ? 'shared' : 'group';
    const unit = spec.unit ? ` (${spec.unit})` : '';
    rows.push(
      `| \`${spec.key}\` | ${cell(typeAndRange(spec))}${cell(unit)} | ${cell(defaultText(spec))} | ${scope} | ` +
        `${spec.live ? 'yes' : 'no'} | ${cell(spec.help)} |`,
    );
  }
  return rows.join('\n');
}
