import { describe, expect, it } from 'vitest';
import { decodeLink } from '../../src/core/link.ts';
import { attributesToLink, elementSnippet, iframeSnippet, linkToAttributes } from '../../src/ui/embed-snippet.ts';
import { arrangeCharts, chartsToShow, kChartNames, kPresentDefaultView, parseView, presentGrid } from '../../src/ui/present.ts';

const attrs = (pairs: [string, string][]) => pairs.map(([name, value]) => ({ name, value }));

describe('present mode choices', () => {
  it('a view names charts in any case and order; unknown names are reported, page order kept', () => {
    expect(parseView('Heatmap, variance')).toEqual({ charts: ['heatmap', 'variance'], unknown: [] });
    expect(parseView('variance,heatmap,speed')).toEqual({ charts: ['heatmap', 'variance'], unknown: ['speed'] });
    expect(chartsToShow(parseView(''), true)).toEqual(kPresentDefaultView);
    expect(chartsToShow(parseView(null), false)).toEqual(kChartNames);
  });

  it('the page puts the gaussian policy\'s chart after the heatmap and leaves the arm charts out where no group has arms', () => {
    const all = chartsToShow(parseView(''), false);
    expect(arrangeCharts(all, false, { arms: true, gaussian: false })).toEqual(kChartNames);
    expect(arrangeCharts(all, false, { arms: true, gaussian: true })).toEqual([
      'probabilities', 'heatmap', 'actions', 'reward', 'variance', 'policy', 'study', 'seeds', 'distribution', 'clip',
    ]);
    expect(arrangeCharts(all, false, { arms: false, gaussian: true })).toEqual(['heatmap', 'actions', 'reward', 'variance', 'clip']);
    // A view that names its charts gets them as named.
    const named = chartsToShow(parseView('policy,actions'), false);
    expect(arrangeCharts(named, true, { arms: false, gaussian: true })).toEqual(['policy', 'actions']);
  });

  it('charts tile the box in cells close to 16:10: side by side when wide, stacked when tall', () => {
    expect(presentGrid(1, 1280, 670)).toEqual({ columns: 1, rows: 1 });
    expect(presentGrid(2, 1280, 670)).toEqual({ columns: 2, rows: 1 });
    expect(presentGrid(2, 700, 1200)).toEqual({ columns: 1, rows: 2 });
    expect(presentGrid(4, 1920, 1000)).toEqual({ columns: 2, rows: 2 });
    expect(presentGrid(5, 1920, 1000)).toEqual({ columns: 3, rows: 2 });
  });
});

describe('embedding', () => {
  it('attributes are the hash keys in any case; repeated keys travel in one plural attribute', () => {
    const link = attributesToLink(attrs([['preset', 'mistake-no-baseline'], ['armnames', 'Left,Right'], ['LR', '0.2'], ['present', ''], ['view', 'variance'],
      ['class', 'x'], ['groups', 'baseline=average | baseline=none&lr=0.5']]));
    expect(link).toBe('preset=mistake-no-baseline&armNames=Left%2CRight&lr=0.2&group=baseline%3Daverage&group=baseline%3Dnone%26lr%3D0.5');
    const decoded = decodeLink(link);
    expect(decoded.errors).toEqual([]);
    expect(decoded.config.groups).toEqual([{ baseline: 'average' }, { baseline: 'none', lr: 0.5 }]);
    expect(linkToAttributes(link)).toEqual([
      ['preset', 'mistake-no-baseline'], ['armNames', 'Left,Right'], ['lr', '0.2'], ['groups', 'baseline=average | baseline=none&lr=0.5'],
    ]);
  });

  it('the snippets: the element with its script, and an iframe of the page, both presenting the experiment', () => {
    const spec = { link: 'preset=baseline-on-off&offset=0', view: ['variance' as const], scriptUrl: 'https://pg.example/pg-playground.js', pageUrl: 'https://pg.example/' };
    expect(elementSnippet(spec)).toBe('<script type="module" src="https://pg.example/pg-playground.js"></script>\n'
      + '<pg-playground preset="baseline-on-off" offset="0" view="variance" present autoplay></pg-playground>');
    expect(iframeSnippet(spec)).toBe('<iframe src="https://pg.example/?present&amp;view=variance#preset=baseline-on-off&amp;offset=0" width="1200" height="675" style="border:0" allow="fullscreen" title="Policy Gradient Playground"></iframe>');
  });
});
