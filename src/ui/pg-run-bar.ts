/**
 * The run controls (play/pause, single step, run N steps, speed, reset, new seed) and the status
 * line (engine, population, steps done, agent-steps per second over wall-clock time, steps per
 * frame, and what a long step is computing). Commands go up as `run-command` events, the speed as
 * `speed-change`; what the bar shows comes down as the run status (context).
 */
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { kAdvanceTargetMs, kMaxSpeed, kSpeeds, progressText } from './advance-size.ts';
import { formatCount, formatRate } from './format.ts';
import { type RunStatus, runStatusContext } from './run-controller.ts';

export { kSpeeds };

export type RunCommand = 'play' | 'pause' | 'step' | 'run' | 'reset' | 'new-seed' | 'replay';

export interface RunCommandDetail {
  command: RunCommand;
  steps?: number;
}

@customElement('pg-run-bar')
export class PgRunBar extends LitElement {
  static styles = css`
    :host { display: block; }
    .controls { display: flex; flex-wrap: wrap; align-items: center; gap: 0.4rem 0.6rem; }
    button { font: inherit; font-size: 0.9rem; padding: 0.3rem 0.7rem; border-radius: 6px; border: 1px solid #b9c3d0; background: #fff; cursor: pointer; }
    button:hover:not(:disabled) { background: #eef3fa; }
    button:disabled { opacity: 0.5; cursor: default; }
    button.primary { background: #1d4f91; color: #fff; border-color: #1d4f91; min-width: 6.2em; font-weight: 600; }
    button.primary:hover:not(:disabled) { background: #173f74; }
    .group { display: inline-flex; align-items: center; gap: 0.3rem; }
    .n { width: 5.5em; font: inherit; font-size: 0.9rem; padding: 0.25rem; }
    label { font-size: 0.85rem; color: #333; }
    input[type='range'] { width: 7rem; accent-color: #1d4f91; vertical-align: middle; }
    .speed-value { font-size: 0.85rem; min-width: 9.5em; font-variant-numeric: tabular-nums; }
    .status { margin: 0.35rem 0 0; font-size: 0.85rem; color: #333; font-variant-numeric: tabular-nums; }
    .status .engine { font-weight: 600; }
    .status .fallback { color: #8a5a00; font-weight: 600; }
    .status span + span::before { content: ' · '; color: #999; }
    .status #progress { white-space: nowrap; }
    input.stop { width: 13em; font: 0.85rem ui-monospace, monospace; padding: 0.25rem; }
    input.stop[aria-invalid='true'] { border-color: #b00020; }
    label.check { display: inline-flex; align-items: center; gap: 0.25rem; }
    .stop-line { margin: 0.2rem 0 0; font-size: 0.85rem; color: #1d3f70; font-variant-numeric: tabular-nums; }
    .stop-line.error { color: #8a0018; }
  `;

  @consume({ context: runStatusContext, subscribe: true })
  @state()
  private status?: RunStatus;

  #runSteps = 100;

  #send(command: RunCommand, steps?: number): void {
    this.dispatchEvent(new CustomEvent<RunCommandDetail>('run-command', { detail: { command, steps }, bubbles: true, composed: true }));
  }

  render() {
    const status = this.status;
    if (!status) return nothing;
    const { ready, playing, atBudget, speed } = status;
    const perGroup = status.agents;
    const groups = perGroup.length;
    const population = groups > 1 && perGroup.every((n) => n === perGroup[0])
      ? `${formatCount(perGroup[0])} agents × ${groups} groups`
      : `${formatCount(perGroup.reduce((a, b) => a + b, 0))} agents${groups > 1 ? ` in ${groups} groups` : ''}`;
    const playLabel = playing ? '❚❚ Pause' : atBudget ? '↻ Replay' : '▶ Play';
    const playCommand: RunCommand = playing ? 'pause' : atBudget ? 'replay' : 'play';
    const state = !ready ? 'starting…' : playing ? 'running' : atBudget ? 'done: step budget reached' : 'paused';
    const speedIndex = kSpeeds.findIndex((s) => s >= speed);
    const max = speed === kMaxSpeed;
    // A cap: the time target can take fewer steps (the status line says how many it takes).
    const speedText = max ? `max: ${kAdvanceTargetMs} ms/frame` : `≤ ${speed} ${speed === 1 ? 'step' : 'steps'}/frame`;
    const speedDescription = max
      ? `max: as many steps per frame as ${kAdvanceTargetMs} ms of engine work allows`
      : `at most ${speed} ${speed === 1 ? 'step' : 'steps'} per frame`;
    const computing = status.computing;
    return html`
      <div class="controls">
        <button class="primary" id="play" ?disabled=${!ready} @click=${() => this.#send(playCommand)}
          aria-label=${playing ? 'Pause' : atBudget ? 'Replay from step 1' : 'Play'}>${playLabel}</button>
        <button id="step" ?disabled=${!ready || playing} @click=${() => this.#send('step', 1)} title="Advance every agent by one step">Step</button>
        <span class="group">
          <button id="run-n" ?disabled=${!ready || playing} @click=${() => this.#send('run', this.#runSteps)}>Run</button>
          <input class="n" id="run-steps" type="number" min="1" step="1" .value=${String(this.#runSteps)} aria-label="Steps to run"
            @change=${(e: Event) => { this.#runSteps = Math.max(1, Math.floor(Number((e.target as HTMLInputElement).value)) || 1); }} />
          <label for="run-steps">steps</label>
        </span>
        <span class="group">
          <label for="speed">Speed</label>
          <input id="speed" type="range" min="0" max=${kSpeeds.length - 1} step="1"
            .value=${String(speedIndex < 0 ? kSpeeds.length - 1 : speedIndex)} aria-valuetext=${speedDescription} title=${speedDescription}
            @input=${(e: Event) => this.dispatchEvent(new CustomEvent<number>('speed-change', {
              detail: kSpeeds[Number((e.target as HTMLInputElement).value)], bubbles: true, composed: true,
            }))} />
          <span class="speed-value" id="speed-value">${speedText}</span>
        </span>
        <span class="group">
          <label for="stop-when">Stop when</label>
          <input class="stop" id="stop-when" type="text" spellcheck="false" placeholder="frac_optimal>=0.9" .value=${status.stopWhen}
            aria-label="Stop when a statistic crosses a threshold, e.g. frac_optimal>=0.9" aria-invalid=${status.stopError ? 'true' : 'false'}
            title="A statistic, >=, <=, > or <, a number: reports the step each group first meets it and pauses once every group has"
            @change=${(e: Event) => this.dispatchEvent(new CustomEvent<string>('stop-change', { detail: (e.target as HTMLInputElement).value, bubbles: true, composed: true }))} />
        </span>
        <label class="check" title="A row of statistics for every step, however fast the run goes (the GPU computes more)">
          <input id="every-step" type="checkbox" .checked=${status.everyStep}
            @change=${(e: Event) => this.dispatchEvent(new CustomEvent<boolean>('every-step-change', { detail: (e.target as HTMLInputElement).checked, bubbles: true, composed: true }))} />
          Every step
        </label>
        <button id="reset" ?disabled=${!ready} @click=${() => this.#send('reset')} title="Same seed, same initial state: start again from step 1">Reset</button>
        <button id="new-seed" ?disabled=${!ready} @click=${() => this.#send('new-seed')} title="Draw another seed and start again">New seed</button>
      </div>
      <p class="status" id="status" role="status" aria-live="off">
        <span class=${status.fallback ? 'fallback' : 'engine'} id="engine-line">${status.engine || 'Opening WebGPU…'}</span>
        ${ready ? html`<span id="agents">${population}</span>` : nothing}
        ${ready ? html`<span id="steps-done">step ${formatCount(status.stepsDone)} / ${formatCount(status.budget)}</span>` : nothing}
        ${ready ? html`<span id="rate">${formatRate(status.agentStepsPerSecond)} agent-steps/s</span>` : nothing}
        ${ready && playing && status.advanceSteps > 0 && !computing
          ? html`<span id="advance" title=${speedDescription}>${formatCount(status.advanceSteps)} ${status.advanceSteps === 1 ? 'step' : 'steps'}/frame</span>`
          : nothing}
        ${ready && computing
          ? html`<span id="progress">${progressText(computing.firstStep, computing.lastStep, computing.elapsedMs, status.msPerStep)}</span>`
          : nothing}
        ${ready && status.rowEvery > 1
          ? html`<span id="row-every" title="Statistics only for the rows the charts can use; tick Every step for all">a row every ${formatCount(status.rowEvery)} steps</span>`
          : nothing}
        <span id="run-state">${state}</span>
      </p>
      ${this.#stopLine(status)}`;
  }

  /** The stop condition's outcome per group ("steps to frac_optimal>=0.9: baseline 87 · no baseline not yet"), or why it was refused. */
  #stopLine(status: RunStatus) {
    if (status.stopError) return html`<p class="stop-line error" id="stop-report" role="alert">Stop when: ${status.stopError}</p>`;
    if (!status.stopWhen || status.stopSteps.length === 0) return nothing;
    const parts = status.stopSteps.map((step, g) => {
      const label = status.groupLabels[g] || (status.stopSteps.length > 1 ? `group ${g}` : 'reached');
      return `${label}${status.stopSteps.length > 1 || step === null ? ' ' : ' at '}${step === null ? 'not yet' : `step ${formatCount(step)}`}`;
    });
    return html`<p class="stop-line" id="stop-report" role="status">Steps to ${status.stopWhen}: ${parts.join(' · ')}</p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-run-bar': PgRunBar;
  }
}
