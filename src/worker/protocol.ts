/**
 * Messages between the page and the CPU-engine worker. Each engine owns its worker, so no
 * message needs to say which engine it is for. Rows travel as a transferable RowBatch: one
 * `advance` answer carries all its rows.
 */
import type { ExperimentConfig } from '../core/config.ts';
import type { AgentState, AgentStates, LiveParams, Trajectory } from '../core/engine.ts';
import type { RowBatchData } from '../core/row-batch.ts';
import type { FieldError } from '../core/schema.ts';

export type ToWorker =
  /** Creates the engine from `config`: the first message. */
  | { type: 'create'; config: ExperimentConfig }
  | { type: 'advance'; id: number; steps: number }
  | { type: 'set'; group: number; patch: Partial<LiveParams> }
  | { type: 'trajectory'; id: number; group: number; agent: number; fromStep: number }
  | { type: 'readAgents'; id: number; group: number }
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
