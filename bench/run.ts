/**
 * `npm run bench`: the engines side by side in one run, k = 10, at several population sizes.
 * Prints agent-steps per second (one agent-step = one agent picks an action, gets a reward and
 * updates) and ratios; `--json FILE` also writes one JSON object per line and row.
 *
 *   cpu          the CPU reference engine, statistics every step, a plain loop on the main thread;
 *                and with one row per call (`advance(chunk, sink, chunk)`), as the page records
 *                while it runs fast (the gpu row of that name likewise)
 *   cpu-workers  the same split over worker threads as the page's fallback splits it over Web
 *                Workers (bench/cpu-workers.ts): on one thread, then on every core (at most 8)
 *   gpu          the fused GPU kernel with statistics: every step (statsEvery 1); every 10 steps, as the
 *                mean of the 10 (windowStats mean) or of the 10th step alone (windowStats last)
 *   gpu-nostats  the same kernel without statistics: the compute bound
 *   gpu-naive    one dispatch per step (state through global memory every step), no statistics
 *
 * Flags: --agents 2000,100000,1000000  --seconds 2  --json FILE  --software (allow SwiftShader; default
 * when no GPU)  --engines cpu,gpu,gpu-nostats,gpu-naive  --repeat R (R rounds over all variants,
 * interleaved, each printed and the median reported: a shared machine's speed drifts by tens of
 * percent within a minute, and interleaving spreads the drift over every variant alike)
 * --every 10,100 (the windows of the statistics-every-W variants; default 10)
 * --timing (GPU time per pass, from timestamp queries: where a variant's time goes; the passes
 * are then split, step and finalize apart, which itself costs a little)
 * --gpu-options JSON (GpuEngineOptions for the fused variants, e.g. '{"finalize":"parallel"}' or
 * '{"subgroups":false}', to compare a choice the engine makes by itself)  --help (this list; bench/args.ts
 * reads the flags)
 *
 * Last, the gradient-estimator lab (one frozen policy, k = 10): samples per second on the CPU
 * reference and on the GPU kernel at 2^20 samples per call, the size the page draws per frame.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { UsageError } from '../src/cli/errors.ts';
import { registerRawLoader } from '../src/cli/raw-loader.ts';
import { defaultConfig } from '../src/core/config.ts';
import { CpuEngine } from '../src/core/cpu-engine.ts';
import { analyzeLab, estimateGradientsCpu, labProblemFromParams, pickHistogramRange } from '../src/core/gradient-lab.ts';
import type { Engine } from '../src/core/engine.ts';
import type { Params } from '../src/core/schema.ts';
import type { StatsSink } from '../src/core/stats.ts';
import { LiveGroups } from '../src/core/groups.ts';
import { type BenchArgs, kBenchUsage, parseBenchArgs } from './args.ts';
import { NodeWorkersEngine } from './cpu-workers.ts';

// Before the GPU modules load: a bad command line costs one line and no GPU start-up.
function readArgs(): BenchArgs {
  try {
    return parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench: ${error.message}`);
    process.exit(2);
  }
}
const args = readArgs();
if (args.help) {
  process.stdout.write(kBenchUsage);
  process.exit(0);
}
const { agentCounts, seconds, jsonFile, engines, repeat, windows, timing, sections } = args;
const gpuOptions = { ...args.gpuOptions, timing };

registerRawLoader();
const { openNodeGpu } = await import('../src/gpu/node-gpu.ts');
const { GpuEngine } = await import('../src/gpu/gpu-engine.ts');
const { GpuGradientLab } = await import('../src/gpu/gradient-lab-kernel.ts');
type GpuTiming = import('../src/gpu/gpu-engine.ts').GpuTiming;

interface Variant {
  engine: 'cpu' | 'cpu-workers' | 'gpu' | 'gpu-nostats' | 'gpu-naive';
  statsEvery: number;
  windowStats: 'mean' | 'last';
  /** cpu-workers: how many threads. */
  workers?: number;
  /** One row per call (`advance(chunk, sink, chunk)`), as the page records while running fast. */
  rowPerCall?: boolean;
}

/** Every core for the worker variant: the main thread only adds up the rows while the workers compute. */
const kWorkerThreads = Math.min(8, availableParallelism());

function variants(windows: number[]): Variant[] {
  return [
    { engine: 'cpu', statsEvery: 1, windowStats: 'mean' },
    { engine: 'cpu', statsEvery: 1, windowStats: 'mean', rowPerCall: true },
    { engine: 'cpu-workers', statsEvery: 1, windowStats: 'mean', workers: 1 },
    ...(kWorkerThreads > 1 ? [{ engine: 'cpu-workers', statsEvery: 1, windowStats: 'mean', workers: kWorkerThreads } as const] : []),
    { engine: 'gpu', statsEvery: 1, windowStats: 'mean' },
    { engine: 'gpu', statsEvery: 1, windowStats: 'mean', rowPerCall: true },
    ...windows.flatMap((w): Variant[] => [
      { engine: 'gpu', statsEvery: w, windowStats: 'mean' },
      { engine: 'gpu', statsEvery: w, windowStats: 'last' },
    ]),
    { engine: 'gpu-nostats', statsEvery: 0, windowStats: 'mean' },
    { engine: 'gpu-naive', statsEvery: 0, windowStats: 'mean' },
  ];
}

function variantName(v: Variant): string {
  if (v.engine === 'cpu-workers') return `cpu-workers (${v.workers} thread${v.workers === 1 ? '' : 's'})`;
  if (v.statsEvery === 0) return v.engine;
  if (v.rowPerCall) return `${v.engine} (a row per call, as the page)`;
  if (v.statsEvery === 1) return `${v.engine} (stats every step)`;
  return `${v.engine} (stats every ${v.statsEvery}, ${v.windowStats === 'last' ? 'last step' : `mean of ${v.statsEvery}`})`;
}

const arms = 10;
if (jsonFile) writeFileSync(jsonFile, '');

const context = await openNodeGpu({ allowSoftware: true });
console.log(`GPU: ${context.adapterDescription}`);
console.log(`k = ${arms}, 10-armed testbed (gaussian, average baseline), about ${seconds} s per measurement\n`);

const sink: StatsSink = { record() {} };

type Benched = Pick<Engine, 'advance' | 'dispose'>;

async function makeEngine(variant: Variant, agents: number, algorithm: Partial<Params> = {}): Promise<Benched> {
  const config = defaultConfig();
  Object.assign(config.params, { arms, agents, window: Math.max(1, variant.statsEvery), windowStats: variant.windowStats, steps: 10_000_000 }, algorithm);
  switch (variant.engine) {
    case 'cpu':
      return new CpuEngine(config);
    case 'cpu-workers':
      return NodeWorkersEngine.create(config, new LiveGroups(config).params.map((g) => g.agents), variant.workers ?? 1);
    case 'gpu':
      return GpuEngine.create(config, context, gpuOptions);
    case 'gpu-nostats':
      return GpuEngine.create(config, context, { ...gpuOptions, stats: false });
    case 'gpu-naive':
      return GpuEngine.create(config, context, { stats: false, maxStepsPerDispatch: 1, timing });
  }
}

/**
 * Runs chunks until `seconds` have passed. Untimed first: one chunk (pipeline compilation), then
 * doubling the chunk until a call takes kMinCallMs, so that a fast GPU is measured on its work
 * rather than on the readback round trip that ends every call.
 */
const kMinCallMs = 50;
async function measure(engine: Benched, agents: number, samplesPerStep = 1, rowPerCall = false): Promise<{ rate: number; chunk: number; passes?: string }> {
  // Multiples of 10 steps (or single steps for big batches); about 4e6 samples to begin with (~1 s on SwiftShader).
  let chunk = Math.max(samplesPerStep > 1 ? 1 : 10, Math.min(1000, Math.round(4e5 / (agents * samplesPerStep)) * 10));
  // Warm-up calls record rows as the timed ones do (a row per call runs a second pipeline).
  const rowEvery = () => (rowPerCall ? chunk : 1);
  await engine.advance(chunk, sink, rowEvery());
  for (;;) {
    const t0 = performance.now();
    await engine.advance(chunk, sink, rowEvery());
    if (performance.now() - t0 >= kMinCallMs || chunk >= 100_000) break;
    chunk *= 2;
  }
  let steps = 0;
  const before = engine instanceof GpuEngine ? { ...engine.timing } : null;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await engine.advance(chunk, sink, rowEvery());
    steps += chunk;
  }
  const elapsed = (performance.now() - start) / 1000;
  const passes = before && timing && engine instanceof GpuEngine ? describePasses(before, engine.timing, elapsed) : undefined;
  return { rate: (steps * agents) / elapsed, chunk, passes };
}

/** GPU time per pass over the timed calls: per step, per row, and the GPU's share of the wall time. */
function describePasses(before: GpuTiming, after: GpuTiming, elapsedSeconds: number): string {
  const d = (key: keyof GpuTiming) => after[key] - before[key];
  const us = (ns: number, per: number) => (per > 0 ? (ns / 1000 / per).toPrecision(3) : '-');
  const gapsNs = d('spanNs') - d('stepNs') - d('finalizeNs');
  const busy = (100 * (d('stepNs') + d('finalizeNs'))) / (elapsedSeconds * 1e9);
  return `step pass ${us(d('stepNs'), d('steps'))} us/step, finalize ${us(d('finalizeNs'), d('rows'))} us/row, between passes ${us(gapsNs, d('rows') || d('steps'))} us/${d('rows') ? 'row' : 'step'}; passes ${busy.toFixed(0)}% of wall time`;
}

const format = (x: number) => x.toExponential(2);
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const selected = variants(windows).filter((v) => engines.includes(v.engine));
for (const agents of sections.includes('engines') ? agentCounts : []) {
  const rounds = selected.map(() => [] as number[]);
  const chunks = selected.map(() => 0);
  const passes = selected.map(() => '');
  for (let round = 0; round < repeat; round++) {
    for (const [i, variant] of selected.entries()) {
      const engine = await makeEngine(variant, agents);
      const result = await measure(engine, agents, 1, variant.rowPerCall);
      rounds[i].push(result.rate);
      chunks[i] = result.chunk;
      passes[i] = result.passes ?? '';
      engine.dispose();
    }
  }
  const results: { name: string; rate: number; rounds: number[]; chunk: number; passes: string }[] = [];
  for (const [i, variant] of selected.entries()) {
    const rate = median(rounds[i]);
    const name = variantName(variant);
    results.push({ name, rate, rounds: rounds[i], chunk: chunks[i], passes: passes[i] });
    if (jsonFile) {
      appendFileSync(jsonFile, `${JSON.stringify({ engine: variant.engine, workers: variant.workers, rowPerCall: variant.rowPerCall, agents, arms, statsEvery: variant.statsEvery, windowStats: variant.windowStats, agentStepsPerSec: rate, rounds: rounds[i], stepsPerCall: chunks[i], passes: passes[i] || undefined, gpuOptions: variant.engine.startsWith('cpu') ? undefined : gpuOptions, device: variant.engine.startsWith('cpu') ? 'cpu' : context.adapterDescription })}\n`);
    }
  }
  const byName = new Map(results.map((r) => [r.name, r.rate]));
  const cpu = byName.get('cpu (stats every step)');
  const oneThread = byName.get('cpu-workers (1 thread)');
  const nostats = byName.get('gpu-nostats');
  console.log(`N = ${agents.toLocaleString('en')}`);
  for (const r of results) {
    const ratios = [
      cpu ? `${(r.rate / cpu).toFixed(2)}x cpu` : '',
      oneThread && r.name.startsWith('cpu-workers') ? `${(r.rate / oneThread).toFixed(2)}x 1 thread` : '',
      nostats ? `${((100 * r.rate) / nostats).toFixed(0)}% of nostats` : '',
    ].filter(Boolean).join(', ');
    const spread = r.rounds.length > 1 ? `   (rounds: ${r.rounds.map(format).join(' ')})` : '';
    console.log(`  ${r.name.padEnd(36)} ${format(r.rate)} agent-steps/s   ${ratios}   [${r.chunk} steps/call]${spread}`);
    if (r.passes) console.log(`  ${''.padEnd(36)} ${r.passes}`);
  }
  const naive = byName.get('gpu-naive');
  if (naive && nostats) console.log(`  fused / naive: ${(nostats / naive).toFixed(1)}x${repeat > 1 ? ' (medians)' : ''}`);
  console.log('');
}

// The algorithms beside plain REINFORCE, per sample (agent-steps x batch): one update of a
// batch of B draws B samples, so a batch that cost B plain steps would show 1.00x.
const kAlgorithmAgents = 100_000;
const kAlgorithms: { name: string; params: Partial<Params> }[] = [
  { name: 'plain REINFORCE', params: {} },
  { name: 'batch 8', params: { batch: 8 } },
  { name: 'batch 8, advantageNorm batch', params: { batch: 8, advantageNorm: 'batch' } },
  { name: 'entropy 0.1', params: { entropy: 0.1 } },
  { name: 'batch 8, PPO 4 epochs, clip 0.2', params: { batch: 8, advantageNorm: 'batch', epochs: 4, clip: 0.2 } },
  { name: 'advantageNorm running', params: { advantageNorm: 'running' } },
  { name: 'actor-critic, 4 contexts', params: { contexts: 4, contextSpread: 5, baseline: 'critic' } },
  { name: 'gaussian policy', params: { policy: 'gaussian', lr: 0.01 } },
  { name: 'epsilon-greedy 0.1', params: { policy: 'epsilon-greedy', epsilon: 0.1 } },
];
for (const variant of sections.includes('algorithms') ? selected.filter((v) => v.statsEvery === 1 && v.engine !== 'cpu-workers') : []) {
  const rates = kAlgorithms.map(() => [] as number[]);
  for (let round = 0; round < repeat; round++) {
    for (const [i, algorithm] of kAlgorithms.entries()) {
      const batch = algorithm.params.batch ?? 1;
      const engine = await makeEngine(variant, kAlgorithmAgents, algorithm.params);
      rates[i].push((await measure(engine, kAlgorithmAgents, batch)).rate * batch);
      engine.dispose();
    }
  }
  const plain = median(rates[0]);
  console.log(`Algorithms, ${variantName(variant)}, N = ${kAlgorithmAgents.toLocaleString('en')}, samples/s (one sample: an action drawn and rewarded)`);
  for (const [i, algorithm] of kAlgorithms.entries()) {
    const rate = median(rates[i]);
    console.log(`  ${algorithm.name.padEnd(36)} ${format(rate)} samples/s   ${(rate / plain).toFixed(2)}x plain`);
    if (jsonFile) appendFileSync(jsonFile, `${JSON.stringify({ algorithm: algorithm.name, engine: variant.engine, agents: kAlgorithmAgents, arms, samplesPerSec: rate, rounds: rates[i] })}\n`);
  }
  console.log('');
}

/** Samples per second of `draw(samples, frame)` over about `seconds`, after one untimed call. */
async function labRate(samples: number, draw: (samples: number, frame: number) => Promise<unknown>): Promise<number> {
  await draw(samples, 0);
  let frame = 1;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) await draw(samples, frame++);
  return ((frame - 1) * samples) / ((performance.now() - start) / 1000);
}

if (!sections.includes('lab')) process.exit(0);
const labParams = { ...defaultConfig().params, arms };
const labProblem = labProblemFromParams(labParams, 0, Array.from({ length: arms }, (_, j) => 0.1 * j));
const labRange = pickHistogramRange(analyzeLab(labProblem));
const gpuLab = GpuGradientLab.create(context);
const labCpu = await labRate(1 << 16, async (n, frame) => estimateGradientsCpu(labProblem, n, frame, labRange));
const labGpu = await labRate(1 << 20, (n, frame) => gpuLab.run(labProblem, n, frame, labRange));
gpuLab.dispose();
console.log(`Gradient-estimator lab (k = ${arms}, one frozen policy, four baselines)`);
console.log(`  ${'cpu (2^16 samples a call)'.padEnd(36)} ${format(labCpu)} samples/s`);
console.log(`  ${'gpu (2^20 samples a call)'.padEnd(36)} ${format(labGpu)} samples/s   ${(labGpu / labCpu).toFixed(2)}x cpu`);
if (jsonFile) appendFileSync(jsonFile, `${JSON.stringify({ lab: true, arms, cpuSamplesPerSec: labCpu, gpuSamplesPerSec: labGpu, device: context.adapterDescription })}\n`);
