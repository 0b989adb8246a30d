/**
 * Embedding, as pure functions: an element's attributes as a link query (the same keys as the
 * URL hash), and the two snippets the Embed button copies: the `<pg-playground>` element with
 * its script, and an iframe of the page.
 *
 * HTML lower-cases attribute names, so attributes match the hash keys in any case (`armNames`
 * arrives as `armnames`). Keys a link repeats (`group=`, `change=`) cannot repeat as attributes:
 * each goes in one plural attribute, its values separated by `|` (`groups="baseline=average |
 * baseline=none"`); no value of theirs holds one.
 */
import { kParamSpecs } from '../core/schema.ts';
import type { ChartName } from './present.ts';

const kKeysByLowerCase = new Map<string, string>([
  ['preset', 'preset'],
  ...kParamSpecs.map((spec): [string, string] => [spec.key.toLowerCase(), spec.key]),
]);

/** Link keys that repeat, by the attribute that holds them all. */
const kRepeatedKeys = new Map([['groups', 'group'], ['changes', 'change']]);
const kRepeatedAttributes = new Map([...kRepeatedKeys].map(([attribute, key]) => [key, attribute]));

/** The link query an element's attributes spell (attributes that are not keys are ignored). */
export function attributesToLink(attributes: Iterable<{ name: string; value: string }>): string {
  const query = new URLSearchParams();
  for (const { name, value } of attributes) {
    const lower = name.toLowerCase();
    const repeated = kRepeatedKeys.get(lower);
    if (repeated) {
      for (const item of value.split('|').map((v) => v.trim()).filter((v) => v !== '')) query.append(repeated, item);
      continue;
    }
    const key = kKeysByLowerCase.get(lower);
    if (key) query.append(key, value);
  }
  return query.toString();
}

/** A link query as attributes, in link order (`group=` keys joined into `groups`). */
export function linkToAttributes(link: string): [string, string][] {
  const query = new URLSearchParams(link.replace(/^[#?]/, ''));
  const attributes: [string, string][] = [];
  const repeated = new Map<string, string[]>();
  for (const [key, value] of query) {
    const attribute = kRepeatedAttributes.get(key);
    if (attribute) repeated.set(attribute, [...(repeated.get(attribute) ?? []), value]);
    else attributes.push([key, value]);
  }
  for (const [attribute, values] of repeated) attributes.push([attribute, values.join(' | ')]);
  return attributes;
}

export interface EmbedSpec {
  /** The experiment's link query (`preset=...&lr=...`), as the hash holds it. */
  link: string;
  /** The charts to show. */
  view: readonly ChartName[];
  /** Where `pg-playground.js` is served. */
  scriptUrl: string;
  /** Where the page is served (the iframe's src, before its query and hash). */
  pageUrl: string;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** The element and its script, presenting and playing. */
export function elementSnippet(spec: EmbedSpec): string {
  const attributes = [...linkToAttributes(spec.link), ['view', spec.view.join(',')]]
    .map(([name, value]) => `${name}="${escapeAttribute(value)}"`);
  return `<script type="module" src="${escapeAttribute(spec.scriptUrl)}"></script>\n`
    + `<pg-playground ${[...attributes, 'present', 'autoplay'].join(' ')}></pg-playground>`;
}

/** The page in an iframe, presenting (it plays unless `?paused`). */
export function iframeSnippet(spec: EmbedSpec): string {
  const src = `${spec.pageUrl}?present&view=${spec.view.join(',')}${spec.link ? `#${spec.link}` : ''}`;
  return `<iframe src="${escapeAttribute(src)}" width="1200" height="675" style="border:0" allow="fullscreen" title="Policy Gradient Playground"></iframe>`;
}
