/**
 * Messages between the page and a CPU-engine worker. Each engine owns its workers, so no
 * message needs to say which engine it is for. Each worker runs a slice of every group's agents;
 * rows travel as a transferable RowBatch of record sums (`CpuEngine.advanceSumsSync`), one
 * `advance` answer carrying all its rows, and the page adds up the workers' batches.
 */
import type { AgentSlice } from '../core/cpu-engine.ts';
import type { ExperimentConfig } from '../core/config.ts';
import type { AgentState, AgentStates, LiveParams, Trajectory } from '../core/engine.ts';
import type { RowBatchData } from '../core/row-batch.ts';
import type { FieldError } from '../core/schema.ts';

export type ToWorker =
  /** Creates the engine from `config` for the agents of `slices` (per group): the first message. */
  | { type: 'create'; config: ExperimentConfig; slices: AgentSlice[] }
  | { type: 'advance'; id: number; steps: number; rowEvery: number }
  | { type: 'set'; group: number; patch: Partial<LiveParams> }
  | { type: 'trajectory'; id: number; group: number; agent: number; fromStep: number }
  | { type: 'readAgents'; id: number; group: number }
  /** `agent` indexes the worker's slice of the group. */
  | { type: 'readAgent'; id: number; group: number; agent: number };

export interface RowsMessage {
  type: 'rows';
  id: number;
  rows: RowBatchData;
}

export type FromWorker =
  | { type: 'ready' }
  | RowsMessage
  | { type: 'trajectory'; id: number; trajectory: Trajectory }
  | { type: 'agents'; id: number; agents: AgentStates }
  | { type: 'agent'; id: number; agent: AgentState }
  | { type: 'error'; id: number | null; message: string; fieldErrors: FieldError[] | null };
