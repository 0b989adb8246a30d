/**
 * The agents' state on the GPU, and the only code that moves it: the state planes (arm-major
 * preferences, then the reward mean, then the ema), each group's parameters, and the step at
 * which each group diverged. Agent state leaves the GPU only through `read` (export, checks).
 */
import { type StepConstants, extraWords, fillInitialExtra, initialPrefs } from '../core/agent.ts';
import type { AgentState, AgentStates } from '../core/engine.ts';
import type { Params } from '../core/schema.ts';
import { kMaxGroups, kWorkgroupSize } from '../core/shared-constants.ts';
import { kGroupParamsBytes, packGroupParams } from './layout.ts';
import type { GpuPlan } from './plan.ts';
import type { ReadbackPool } from './readback-pool.ts';

/** What `divergedAt` holds for a group that has not diverged. */
export const kNeverDiverged = 0xffffffff;

function storageBuffer(device: GPUDevice, label: string, size: number, extraUsage: number): GPUBuffer {
  return device.createBuffer({ label, size: Math.max(16, Math.ceil(size / 4) * 4), usage: GPUBufferUsage.STORAGE | extraUsage });
}

export class AgentBuffers {
  /**
   * Planes of `plan.stateStride` floats: preferences of arm j at [j * stride + agent], reward
   * mean, ema, then the extra words (`extraWords`; plane k + 2 + w).
   */
  readonly state: GPUBuffer;
  /** One GroupParams struct per group (read by the agent kernel). */
  readonly groups: GPUBuffer;
  /** First step at which each group's preferences became non-finite, or kNeverDiverged. */
  readonly divergedAt: GPUBuffer;
  readonly #device: GPUDevice;
  readonly #plan: GpuPlan;
  readonly #groupData = new ArrayBuffer(kMaxGroups * kGroupParamsBytes);
  /** Groups whose agents stand still (they diverged). */
  readonly #halted: boolean[];
  /** Per group, its `extraWords`. */
  readonly #extraWords: number[];

  constructor(device: GPUDevice, plan: GpuPlan, params: readonly Params[], constants: readonly StepConstants[]) {
    this.#device = device;
    this.#plan = plan;
    this.#halted = plan.placements.map(() => false);
    this.#extraWords = params.map(extraWords);
    const S = GPUBufferUsage;
    this.state = storageBuffer(device, 'AgentBuffers.state', plan.stateBytes, S.COPY_DST | S.COPY_SRC);
    this.groups = storageBuffer(device, 'AgentBuffers.groups', this.#groupData.byteLength, S.COPY_DST);
    this.divergedAt = storageBuffer(device, 'AgentBuffers.divergedAt', kMaxGroups * 4, S.COPY_DST | S.COPY_SRC);
    constants.forEach((c, g) => this.writeGroup(g, c));
    device.queue.writeBuffer(this.divergedAt, 0, new Uint32Array(kMaxGroups).fill(kNeverDiverged));
    // The buffer starts zeroed: only other starting values are written.
    params.forEach((p, g) => {
      if (p.baselineInit !== 0) this.#writePlane(g, plan.arms + 1, new Float32Array(p.agents).fill(p.baselineInit));
      initialPrefs(p).forEach((pref, j) => {
        if (pref !== 0) this.#writePlane(g, j, new Float32Array(p.agents).fill(pref));
      });
      // The extra words' starting values (the critic's Initial baseline), where any is not 0.
      const words = this.#extraWords[g];
      const first = new Float32Array(words);
      fillInitialExtra(p, first, 1);
      first.forEach((value, w) => {
        if (value !== 0) this.#writePlane(g, plan.arms + 2 + w, new Float32Array(p.agents).fill(value));
      });
    });
  }

  /** Uploads group `g`'s constants and placement. */
  writeGroup(g: number, constants: StepConstants): void {
    const at = g * kGroupParamsBytes;
    packGroupParams(new DataView(this.#groupData), at, constants, this.#plan.placements[g], this.#halted[g]);
    this.#device.queue.writeBuffer(this.groups, at, this.#groupData, at, kGroupParamsBytes);
  }

  /** Stops group `g`'s agents from the next dispatch on (its preferences overflowed). */
  halt(g: number, constants: StepConstants): void {
    this.#halted[g] = true;
    this.writeGroup(g, constants);
  }

  #planeOffset(group: number, plane: number): number {
    return (plane * this.#plan.stateStride + this.#plan.placements[group].firstWorkgroup * kWorkgroupSize) * 4;
  }

  #writePlane(group: number, plane: number, values: Float32Array<ArrayBuffer>): void {
    this.#device.queue.writeBuffer(this.state, this.#planeOffset(group, plane), values);
  }

  /** Planes of group `g`'s state: its k preferences, reward mean, ema and its own extra words. */
  #planes(group: number): number {
    return this.#plan.arms + 2 + this.#extraWords[group];
  }

  /** Copies `group`'s agents out, preferences (and extra words) agent-major. */
  async read(group: number, pool: ReadbackPool): Promise<AgentStates> {
    const k = this.#plan.arms;
    const n = this.#plan.placements[group].agents;
    const words = this.#extraWords[group];
    const planeCount = this.#planes(group);
    const planeBytes = n * 4;
    const staging = pool.acquire(planeBytes * planeCount);
    const encoder = this.#device.createCommandEncoder({ label: 'AgentBuffers.read' });
    for (let plane = 0; plane < planeCount; plane++) {
      encoder.copyBufferToBuffer(this.state, this.#planeOffset(group, plane), staging, plane * planeBytes, planeBytes);
    }
    this.#device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ, 0, planeBytes * planeCount);
    try {
      const planes = new Float32Array(staging.getMappedRange(0, planeBytes * planeCount));
      const prefs = new Float32Array(n * k);
      for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) prefs[i * k + j] = planes[j * n + i];
      const extra = new Float32Array(n * words);
      for (let w = 0; w < words; w++) for (let i = 0; i < n; i++) extra[i * words + w] = planes[(k + 2 + w) * n + i];
      return { prefs, rewardMean: planes.slice(k * n, (k + 1) * n), ema: planes.slice((k + 1) * n, (k + 2) * n), extra };
    } finally {
      pool.release(staging);
    }
  }

  /**
   * Copies one agent out: its word of each of its group's planes (one 4-byte copy each), so an
   * inspector's check costs k + 2 words (and the extra ones), not the group.
   */
  async readAgent(group: number, agent: number, pool: ReadbackPool): Promise<AgentState> {
    const k = this.#plan.arms;
    const placement = this.#plan.placements[group];
    if (!placement || !Number.isInteger(agent) || agent < 0 || agent >= placement.agents) {
      throw new RangeError(`no agent ${agent} in group ${group}`);
    }
    const planeCount = this.#planes(group);
    const bytes = planeCount * 4;
    const staging = pool.acquire(bytes);
    const encoder = this.#device.createCommandEncoder({ label: 'AgentBuffers.readAgent' });
    for (let plane = 0; plane < planeCount; plane++) {
      encoder.copyBufferToBuffer(this.state, this.#planeOffset(group, plane) + agent * 4, staging, plane * 4, 4);
    }
    this.#device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    try {
      const words = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
      return { prefs: words.slice(0, k), rewardMean: words[k], ema: words[k + 1], extra: words.slice(k + 2) };
    } finally {
      pool.release(staging);
    }
  }

  /** Overwrites `group`'s agents (their extra words only where `states.extra` holds them). */
  write(group: number, states: AgentStates): void {
    const k = this.#plan.arms;
    const n = this.#plan.placements[group].agents;
    const words = this.#extraWords[group];
    const plane = new Float32Array(n);
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < n; i++) plane[i] = states.prefs[i * k + j];
      this.#writePlane(group, j, plane);
    }
    this.#writePlane(group, k, Float32Array.from(states.rewardMean));
    this.#writePlane(group, k + 1, Float32Array.from(states.ema));
    for (let w = 0; w < (states.extra.length > 0 ? words : 0); w++) {
      for (let i = 0; i < n; i++) plane[i] = states.extra[i * words + w];
      this.#writePlane(group, k + 2 + w, plane);
    }
  }

  destroy(): void {
    this.state.destroy();
    this.groups.destroy();
    this.divergedAt.destroy();
  }
}
