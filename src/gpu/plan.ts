/**
 * What the GPU engine will build for a config on a device, decided without touching the device:
 * where each group's agents sit, how statistics are reduced and combined, how many rows one
 * dispatch produces, and how a run of steps splits into dispatches. Pure, so tests check it in
 * Node for any device limits.
 */
import { extraWords, stepKind } from '../core/agent.ts';
import { type ExperimentConfig, resolveGroups } from '../core/config.ts';
import { ConfigError } from '../core/schema.ts';
import { kWorkgroupSize, recordLength } from '../core/shared-constants.ts';
import type { GroupPlacement } from './layout.ts';

export interface GpuEngineOptions {
  /** Reduce statistics (default). Without, the kernel is the pure compute bound (benchmark). */
  stats?: boolean;
  /** Most steps one dispatch advances (default 256). 1 gives the naive one-dispatch-per-step variant. */
  maxStepsPerDispatch?: number;
  /** Most stats rows one dispatch produces (default 16); lowered further to fit device memory. */
  maxRowsPerDispatch?: number;
  /** Reduce with subgroup operations (default: where the device has them); false forces the fallback. */
  subgroups?: boolean;
  /** Most bytes of partial records per dispatch (default 64 MiB); tests lower it to force the fallback. */
  partialsBudgetBytes?: number;
  /** How rows are combined across partial records (default: by how many records a row has). */
  finalize?: 'serial' | 'parallel';
  /** Records per first-pass workgroup of the parallel finalize (default 32; tests vary it). */
  finalizeBlockRecords?: number;
  /**
   * Time every pass on the GPU with timestamp queries, totals in `GpuEngine.timing` (the
   * benchmark's --timing). The step and finalize dispatches then run in passes of their own.
   */
  timing?: boolean;
}

/** The device facts a plan depends on (a GpuContext and its device's limits provide them). */
export interface DeviceTraits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  subgroups: boolean;
  subgroupMinSize: number;
  /** A CPU implementation (SwiftShader), where every workgroup has a fixed cost. */
  software: boolean;
}

export interface GpuPlan {
  arms: number;
  window: number;
  withStats: boolean;
  lastStepRows: boolean;
  /**
   * Some group batches, normalises its advantages or adds an entropy bonus: the kernel is built
   * with the general step (kGeneralStep). Without, only the plain one-sample step is compiled.
   */
  generalStep: boolean;
  /** Some group is epsilon-greedy: the kernel is built with the value step (kValueStep). */
  valueStep: boolean;
  /** Some group has contexts > 1: the kernel is built with the contextual step (kContextStep). */
  contextStep: boolean;
  /** Some group's policy is gaussian: the kernel is built with its step (kGaussianStep). */
  gaussianStep: boolean;
  /**
   * Planes of the state buffer: k preferences, the reward mean, the ema, then the most
   * `extraWords` any group keeps (a group uses the first of them it needs).
   */
  statePlanes: number;
  maxStepsPerDispatch: number;
  rowsPerDispatch: number;
  placements: readonly GroupPlacement[];
  /** Workgroups of the agent kernel, all groups together. */
  workgroupCount: number;
  /** Agents in each plane of the state buffer: every group padded to whole workgroups. */
  stateStride: number;
  stateBytes: number;
  /** Slots of a statistics record (`recordLength`). */
  statCount: number;
  /** How the kernel adds up statistics within a workgroup: subgroupAdd, or workgroup memory. */
  reduction: 'subgroups' | 'workgroup';
  /** Partial records each workgroup writes per row: one per subgroup, or one. */
  recordsPerWorkgroup: number;
  /** Bytes of one row's partial records. */
  recordBytes: number;
  /** How the finalize combines a row's partial records: one workgroup per row, or two parallel passes. */
  finalize: 'serial' | 'parallel';
  finalizeBlockRecords: number | undefined;
}

/** Stays under every device's limits and keeps the partial records of a dispatch modest. */
const kPartialsBudgetBytes = 64 * 1024 * 1024;
/** Records per row up to which one workgroup combines a row on a GPU (see the README's benchmarks). */
const kSerialFinalizeRecords = 256;

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MiB`;
}

/** The plan for `config` (validated) on a device with `traits`; a config it cannot hold is a ConfigError. */
export function planGpuRun(config: ExperimentConfig, traits: DeviceTraits, options: GpuEngineOptions): GpuPlan {
  const k = config.params.arms;
  const groupAgents = resolveGroups(config).map((p) => p.agents);
  const withStats = options.stats ?? true;
  let firstWorkgroup = 0;
  const placements = groupAgents.map((agents) => {
    const workgroups = Math.ceil(agents / kWorkgroupSize);
    const placement = { agents, firstWorkgroup, workgroups };
    firstWorkgroup += workgroups;
    return placement;
  });
  const workgroupCount = firstWorkgroup;
  const stateStride = workgroupCount * kWorkgroupSize;
  const statCount = recordLength(k);
  const groups = resolveGroups(config);
  const statePlanes = k + 2 + Math.max(...groups.map(extraWords));

  const bindingLimit = Math.min(traits.maxStorageBufferBindingSize, traits.maxBufferSize);
  const stateBytes = stateStride * statePlanes * 4;
  if (stateBytes > bindingLimit) {
    const most = Math.floor(bindingLimit / (statePlanes * 4) / kWorkgroupSize) * kWorkgroupSize;
    throw new ConfigError([{
      field: 'agents',
      message: `${stateStride} agents x ${statePlanes} words of state (${k} arms) need ${mib(stateBytes)}; this GPU allows ${mib(bindingLimit)} per buffer, so at most ${most} agents in all groups together`,
    }]);
  }
  const partialsLimit = Math.min(bindingLimit, options.partialsBudgetBytes ?? kPartialsBudgetBytes);
  // One partial record per subgroup where the device has subgroups and a row of them fits in
  // the budget; else one per workgroup, reduced through workgroup memory.
  const subgroupRecords = Math.max(1, Math.floor(kWorkgroupSize / Math.max(1, traits.subgroupMinSize)));
  const rowsFitting = (records: number) => Math.floor(partialsLimit / (workgroupCount * records * statCount * 4));
  const useSubgroups = traits.subgroups && (options.subgroups ?? true) && rowsFitting(subgroupRecords) >= 1;
  const recordsPerWorkgroup = useSubgroups ? subgroupRecords : 1;
  const recordBytes = workgroupCount * recordsPerWorkgroup * statCount * 4;
  if (withStats && recordBytes > bindingLimit) {
    throw new ConfigError([{ field: 'agents', message: `too many agents for statistics on this GPU (${mib(recordBytes)} per row)` }]);
  }
  // A serial pass over a row's records where they are few, or on a CPU (SwiftShader), where each
  // workgroup costs tens of microseconds.
  const parallelFinalize = options.finalize
    ? options.finalize === 'parallel'
    : !traits.software && workgroupCount * recordsPerWorkgroup > kSerialFinalizeRecords;
  return {
    arms: k,
    window: config.params.window,
    withStats,
    lastStepRows: config.params.windowStats === 'last',
    generalStep: groups.some((g) => stepKind(g) === 'general'),
    valueStep: groups.some((g) => stepKind(g) === 'value'),
    contextStep: groups.some((g) => stepKind(g) === 'context'),
    gaussianStep: groups.some((g) => stepKind(g) === 'gaussian'),
    statePlanes,
    maxStepsPerDispatch: Math.max(1, Math.floor(options.maxStepsPerDispatch ?? 256)),
    rowsPerDispatch: Math.max(1, Math.min(options.maxRowsPerDispatch ?? 16, rowsFitting(recordsPerWorkgroup))),
    placements,
    workgroupCount,
    stateStride,
    stateBytes,
    statCount,
    reduction: useSubgroups ? 'subgroups' : 'workgroup',
    recordsPerWorkgroup,
    recordBytes,
    finalize: parallelFinalize ? 'parallel' : 'serial',
    finalizeBlockRecords: options.finalizeBlockRecords,
  };
}

/** One dispatch of the agent kernel. */
export interface Piece {
  firstStep: number;
  steps: number;
  /** Row 0 adds to a window begun by the previous dispatch. */
  continuing: boolean;
  /** Rows finished by this piece (window ends inside it). */
  rows: number;
  /** Measured (the kernel with statistics); steps of rows nobody records run without. */
  stats: boolean;
}

/**
 * Splits `steps` steps after `done` into dispatches: a window never spans a row slot change.
 * With statistics, only windows ending at multiples of `rowEvery` windows are measured
 * (`windowRecorded`), and the window `done` is inside of when `openWindowRecorded`: unmeasured
 * steps run in pieces without statistics.
 */
export function planPieces(
  done: number, steps: number, window: number, maxSteps: number, maxRows: number, stats: boolean, rowEvery = 1, openWindowRecorded = true,
): Piece[] {
  const pieces: Piece[] = [];
  const period = window * rowEvery;
  const openEnd = done % window === 0 ? done : done - (done % window) + window;
  let at = done;
  let remaining = steps;
  while (remaining > 0) {
    // Whether the steps from `at` are measured, and where that stretch ends.
    let measured = stats;
    let stretchEnd = Infinity;
    if (stats && at < openEnd) {
      measured = openWindowRecorded;
      stretchEnd = openEnd;
    } else if (stats) {
      const recordedEnd = (Math.floor(at / period) + 1) * period;
      measured = at >= recordedEnd - window;
      // With rowEvery 1 every window is measured: one stretch.
      stretchEnd = !measured ? recordedEnd - window : rowEvery === 1 ? Infinity : recordedEnd;
    }
    let length: number;
    const intoWindow = at % window;
    if (!measured) length = Math.min(remaining, stretchEnd - at, maxSteps);
    else if (intoWindow !== 0) length = Math.min(remaining, window - intoWindow, maxSteps);
    else if (remaining >= window && window <= maxSteps) {
      const windows = Math.min(Math.floor(remaining / window), maxRows, Math.floor(maxSteps / window), (stretchEnd - at) / window);
      length = windows * window;
    } else length = Math.min(remaining, maxSteps, window);
    const rows = measured ? Math.floor((at + length) / window) - Math.floor(at / window) : 0;
    pieces.push({ firstStep: at + 1, steps: length, continuing: measured && intoWindow !== 0, rows, stats: measured });
    at += length;
    remaining -= length;
  }
  return pieces;
}
