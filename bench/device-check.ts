/**
 * A GPU machine's self-check, for machines where the test suite cannot run (no Chromium, no npm
 * install: see scripts/device-pack.sh). Prints one PASS/FAIL line per check and exits 1 on any
 * failure. The same properties as test/gpu, in brief:
 *   - the subgroup reduction and the workgroup fallback give the same rows (this also checks
 *     the assumption that subgroup i holds invocations i * size ..);
 *   - the serial and parallel finalize passes give the same rows;
 *   - GPU and CPU engines agree within 4 standard errors on the 10-armed testbed.
 */
import { registerRawLoader } from '../src/cli/raw-loader.ts';
import { defaultConfig, validateConfig } from '../src/core/config.ts';
import { CpuEngine } from '../src/core/cpu-engine.ts';
import type { Engine } from '../src/core/engine.ts';
import type { Params } from '../src/core/schema.ts';
import type { StatsSink } from '../src/core/stats.ts';

registerRawLoader();
const { openNodeGpu } = await import('../src/gpu/node-gpu.ts');
const { GpuEngine } = await import('../src/gpu/gpu-engine.ts');

const context = await openNodeGpu({ allowSoftware: true });
console.log(`GPU: ${context.adapterDescription}; subgroups ${context.subgroups} (smallest ${context.subgroupMinSize})`);
let failures = 0;

function report(name: string, problem: string | null): void {
  console.log(`${problem ? 'FAIL' : 'PASS'}  ${name}${problem ? `: ${problem}` : ''}`);
  if (problem) failures++;
}

function config(params: Partial<Params>) {
  const base = defaultConfig();
  return validateConfig({ params: { ...base.params, ...params }, groups: [{}, { agents: 700, lr: 0.3 }] });
}

async function rows(engine: Engine, steps: number[]): Promise<Float64Array[]> {
  const out: Float64Array[] = [];
  const sink: StatsSink = { record: (_group, _step, values) => out.push(values.slice()) };
  for (const s of steps) await engine.advance(s, sink);
  engine.dispose();
  return out;
}

/** `tolerance`: relative; the order of f32 additions is all that differs. */
function sameRows(a: Float64Array[], b: Float64Array[], tolerance = 1e-5): string | null {
  if (a.length !== b.length || a.length === 0) return `${a.length} rows against ${b.length}`;
  for (let r = 0; r < a.length; r++) {
    for (let s = 0; s < a[r].length; s++) {
      if (!(Math.abs(a[r][s] - b[r][s]) <= tolerance * (1 + Math.abs(b[r][s])))) return `row ${r} stat ${s}: ${a[r][s]} against ${b[r][s]}`;
    }
  }
  return null;
}

for (const arms of [10, 64]) {
  const cfg = config({ arms, agents: 5000, window: 3 });
  const viaSubgroups = await GpuEngine.create(cfg, context, { subgroups: true });
  const viaWorkgroup = await GpuEngine.create(cfg, context, { subgroups: false });
  const label = `reduction ${viaSubgroups.reduction} = ${viaWorkgroup.reduction}, k = ${arms}`;
  report(label, context.subgroups ? sameRows(await rows(viaSubgroups, [7, 8]), await rows(viaWorkgroup, [7, 8])) : 'no subgroups');
}

{
  const cfg = config({ arms: 10, agents: 50_000, window: 2 });
  const serial = await GpuEngine.create(cfg, context, { finalize: 'serial' });
  const parallel = await GpuEngine.create(cfg, context, { finalize: 'parallel' });
  // The serial pass keeps running f32 means over blocks of 256 records, then over the blocks:
  // its rounding error grows to about (256 + blocks) * 2^-24 relative in the worst case (782
  // workgroups here, up to 16 records each).
  const records = Math.ceil(50_000 / 64) * Math.ceil(64 / context.subgroupMinSize);
  const tolerance = (256 + Math.ceil(records / 256)) * 2 ** -24;
  report('finalize serial = parallel', sameRows(await rows(serial, [6]), await rows(parallel, [6]), tolerance));
}

{
  const agents = 4096;
  const cfg = validateConfig({ params: { ...defaultConfig().params, arms: 10, agents, steps: 300, lr: 0.1 }, groups: [{}] });
  const [cpu, gpu] = [await rows(new CpuEngine(cfg), [300]), await rows(await GpuEngine.create(cfg, context), [300])];
  // SE of a mean over N agents: probabilities in [0, 1] have variance <= 1/4; rewards SD < 2.3.
  const names = new CpuEngine(cfg).layout;
  let problem: string | null = cpu.length === gpu.length ? null : `${cpu.length} rows against ${gpu.length}`;
  for (let r = 0; r < cpu.length && !problem; r++) {
    for (const [name, sd] of [['frac_optimal', 0.5], ['mean_prob_optimal', 0.5], ['mean_reward', 2.3]] as const) {
      const i = names.index(name);
      if (Math.abs(cpu[r][i] - gpu[r][i]) > (4 * sd) / Math.sqrt(agents)) problem = `${name} at step ${r + 1}: cpu ${cpu[r][i]}, gpu ${gpu[r][i]}`;
    }
  }
  report('GPU and CPU engines agree within 4 SE, 4096 agents x 300 steps', problem);
}

console.log(failures === 0 ? 'all checks passed' : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
