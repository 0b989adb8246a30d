/**
 * Messages between the page and the CPU-engine worker. Every message names the session (one per
 * engine the page created) so answers to an engine the page has since replaced are dropped.
 * Rows travel as transferable typed arrays: one `advance` answer carries all its rows.
 */
import type { ExperimentConfig } from '../core/config.ts';
import type { AgentStates, LiveParams, Trajectory } from '../core/engine.ts';
import type { FieldError } from '../core/schema.ts';

export type ToWorker =
  /** (Re)creates the engine from `config`: the first message, and every reset. */
  | { type: 'reset'; session: number; config: ExperimentConfig }
  | { type: 'advance'; session: number; id: number; steps: number }
  | { type: 'set'; session: number; group: number; patch: Partial<LiveParams> }
  | { type: 'trajectory'; session: number; id: number; group: number; agent: number }
  | { type: 'readAgents'; session: number; id: number; group: number };

export interface RowsMessage {
  type: 'rows';
  session: number;
  id: number;
  /** Rows in this answer; row r is groups[r], steps[r], values[r * stats ..], histograms[r * 64 ..]. */
  count: number;
  groups: Int32Array;
  steps: Float64Array;
  values: Float64Array;
  histograms: Uint32Array;
  diverged: { group: number; step: number; message: string }[];
  stepsDone: number;
}

export type FromWorker =
  | { type: 'ready'; session: number }
  | RowsMessage
  | { type: 'trajectory'; session: number; id: number; trajectory: Trajectory }
  | { type: 'agents'; session: number; id: number; agents: AgentStates }
  | { type: 'error'; session: number; id: number | null; message: string; fieldErrors: FieldError[] | null };
