// The legend: the node kinds and edge kinds the graph holds, drawn as the
// graph draws them, and what an account, an aggregate and a cross-account
// edge look like.
import { h } from './dom';
import type { GraphIndex } from './graphindex';
import { crossAccountColor, edgeLooks, nodeLooks } from './colors';

const svgNS = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function edgeSwatch(color: string, style: string, outline = false): SVGElement {
  const s = svg('svg', { width: 34, height: 12, viewBox: '0 0 34 12', 'aria-hidden': 'true' });
  if (outline) s.append(svg('line', { x1: 2, y1: 6, x2: 26, y2: 6, stroke: crossAccountColor, 'stroke-width': 6 }));
  const dash = style === 'dashed' ? '5 3' : style === 'dotted' ? '1.5 2.5' : '';
  s.append(svg('line', { x1: 2, y1: 6, x2: 26, y2: 6, stroke: color, 'stroke-width': 2, ...(dash ? { 'stroke-dasharray': dash } : {}) }));
  s.append(svg('path', { d: 'M26 2 L33 6 L26 10 Z', fill: color }));
  return s;
}

function nodeSwatch(color: string): HTMLElement {
  const sw = h('span', { className: 'swatch' });
  sw.style.setProperty('background-color', color);
  return sw;
}

/** renderLegend lists what the graph holds. */
export function renderLegend(ix: GraphIndex): HTMLElement {
  const nodeKinds = new Set<string>();
  for (const n of ix.nodes.values()) nodeKinds.add(n.kind);
  const edgeKinds = new Map<string, number>();
  let cross = 0;
  for (const e of ix.edges) {
    edgeKinds.set(e.kind, (edgeKinds.get(e.kind) ?? 0) + 1);
    if (e.crossAccount) cross++;
  }
  return h(
    'details',
    { open: true },
    h('summary', {}, 'Legend'),
    h('ul', { className: 'legend-nodes' },
      Object.entries(nodeLooks).filter(([k]) => nodeKinds.has(k)).map(([k, look]) => h('li', { 'data-kind': k }, nodeSwatch(look.color), look.label)),
      h('li', {}, h('span', { className: 'swatch swatch-account' }), 'account (open) / aggregate'),
      h('li', {}, h('span', { className: 'admin-mark' }, '★'), 'admin'),
    ),
    h('ul', { className: 'legend-edges' },
      Object.entries(edgeLooks).filter(([k]) => edgeKinds.has(k)).map(([k, look]) => h('li', { 'data-kind': k }, edgeSwatch(look.color, look.style), `${look.label} (${edgeKinds.get(k)})`)),
      h('li', { 'data-kind': 'cross-account' }, edgeSwatch('#475569', 'solid', true), `cross-account (${cross})`),
    ),
  );
}
