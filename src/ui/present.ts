/**
 * Present mode's choices, as pure functions: the charts' short names (`view=variance,heatmap`),
 * which charts a view shows, and how they tile the screen.
 *
 * The names are a public contract like the hash keys: they appear in links (`?view=`) and in
 * embeds (`view="..."`), so they never change once published.
 */

/**
 * The charts in page order, by their stable short names; new charts join at the end. `study`
 * (the parameter study) shows when the run has two groups or more.
 * `seeds` draws single agents over their group's band, `distribution` the spread across agents
 * at one step, `clip` PPO's clipped share (shown where a group takes several passes), `actions`
 * the gaussian policy's actions across agents (shown where a group is a gaussian policy).
 */
export const kChartNames = ['probabilities', 'heatmap', 'reward', 'variance', 'policy', 'study', 'seeds', 'distribution', 'clip', 'actions'] as const;
export type ChartName = (typeof kChartNames)[number];

/**
 * What present mode shows when the view names nothing: the gradient variance (the point of the
 * landing preset: baseline against none, orders of magnitude apart) beside the fraction of agents
 * that choose the best arm (what that variance costs in learning speed).
 */
export const kPresentDefaultView: readonly ChartName[] = ['variance', 'reward'];

export interface ParsedView {
  /** The charts named, in page order; empty when none was named (or none is known). */
  charts: ChartName[];
  /** Names that are not charts, to report. */
  unknown: string[];
}

/** Reads `view=a,b` (commas or spaces between names; case ignored). */
export function parseView(text: string | null | undefined): ParsedView {
  const names = (text ?? '').split(/[\s,]+/).map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(kChartNames as readonly string[]).includes(name));
  const charts = kChartNames.filter((name) => names.includes(name));
  return { charts, unknown };
}

/** The charts to show: the view's, else every chart on the page and the default view when presenting. */
export function chartsToShow(view: ParsedView, present: boolean): readonly ChartName[] {
  if (view.charts.length > 0) return view.charts;
  return present ? kPresentDefaultView : kChartNames;
}

/** Charts about arms and pi(best arm): a run without arms (every group a gaussian policy) has nothing for them. */
const kArmCharts: readonly ChartName[] = ['probabilities', 'policy', 'study', 'seeds', 'distribution'];

/**
 * The page's charts for a run whose groups have arms (`arms`) or are gaussian policies
 * (`gaussian`), from `charts` (`chartsToShow`); a view that names its charts keeps them as named.
 * Where some group is gaussian its own chart, `actions`, comes right after the heatmap, and
 * where no group has arms the charts about arms stay off the page (each would only say why).
 */
export function arrangeCharts(charts: readonly ChartName[], named: boolean, families: { arms: boolean; gaussian: boolean }): readonly ChartName[] {
  if (named || !families.gaussian) return charts;
  const out = charts.filter((name) => name !== 'actions' && (families.arms || !kArmCharts.includes(name)));
  const at = out.indexOf('heatmap');
  out.splice(at + 1, 0, 'actions');
  return out;
}

/**
 * Columns and rows for `count` charts filling a box of `width` x `height`: the layout whose cells
 * are closest to the 16:10 a chart reads best at, so two charts sit side by side on a wide screen
 * and stack on a tall one.
 */
export function presentGrid(count: number, width: number, height: number): { columns: number; rows: number } {
  const n = Math.max(1, count);
  let best = { columns: 1, rows: n };
  let bestScore = Number.POSITIVE_INFINITY;
  for (let columns = 1; columns <= n; columns++) {
    const rows = Math.ceil(n / columns);
    const aspect = width / columns / (height / rows);
    // Distance from 1.6 on a log scale, plus a little for empty cells.
    const score = Math.abs(Math.log(aspect / 1.6)) + (columns * rows - n) * 0.15;
    if (score < bestScore) {
      bestScore = score;
      best = { columns, rows };
    }
  }
  return best;
}
