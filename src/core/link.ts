/**
 * A shareable link's query: `preset=NAME` plus the keys that differ from that preset, or the
 * keys that differ from the defaults when no preset is named (`decodeConfigQuery`'s form). The
 * page's hash, and later embeds, speak it; a link that names no preset at all opens the page's
 * landing preset.
 */
import { type DecodedConfig, type ExperimentConfig, decodeConfigQuery, encodeConfigQuery } from './config.ts';
import { findPreset, getPreset } from './presets.ts';
import { ConfigError } from './schema.ts';

export interface DecodedLink extends DecodedConfig {
  /** The preset the link builds on (its current name, for an old one), or null. */
  preset: string | null;
}

/**
 * Reads a link. `landing` is the preset an empty link opens (null: the defaults). Never throws:
 * an unknown preset is reported (field `preset`) and the defaults stand in for it.
 */
export function decodeLink(query: string, landing: string | null = null): DecodedLink {
  const search = new URLSearchParams(query.replace(/^[#?]/, ''));
  const named = search.get('preset');
  search.delete('preset');
  const errors: DecodedConfig['errors'] = [];
  let preset: string | null = named ?? ([...search.keys()].length === 0 ? landing : null);
  let base: ExperimentConfig | undefined;
  if (preset !== null) {
    try {
      preset = findPreset(preset).name;
      base = getPreset(preset);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(...error.errors);
      preset = null;
    }
  }
  const decoded = decodeConfigQuery(search.toString(), base);
  return { config: decoded.config, errors: [...errors, ...decoded.errors], preset };
}

/** The link for `config`, written as `preset=NAME` and what differs from it when `preset` is given. */
export function encodeLink(config: ExperimentConfig, preset: string | null): string {
  if (preset === null) return encodeConfigQuery(config);
  const name = findPreset(preset).name;
  const rest = encodeConfigQuery(config, getPreset(name));
  return `preset=${encodeURIComponent(name)}${rest ? `&${rest}` : ''}`;
}
