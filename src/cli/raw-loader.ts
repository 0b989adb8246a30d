/**
 * Lets Node import `file.wgsl?raw` as Vite does (a string default export), so `sim` and the
 * benchmark load the same shader modules as the page. Call before importing src/gpu.
 */
import { register } from 'node:module';

const kHooks = `
import { readFile } from 'node:fs/promises';
export async function resolve(specifier, context, next) {
  if (!specifier.endsWith('?raw')) return next(specifier, context);
  return { url: new URL(specifier, context.parentURL).href, shortCircuit: true };
}
export async function load(url, context, next) {
  if (!url.endsWith('?raw')) return next(url, context);
  const text = await readFile(new URL(url.slice(0, -4)), 'utf8');
  return { format: 'module', source: 'export default ' + JSON.stringify(text) + ';', shortCircuit: true };
}`;

let registered = false;

export function registerRawLoader(): void {
  if (registered) return;
  registered = true;
  register(`data:text/javascript,${encodeURIComponent(kHooks)}`);
}
