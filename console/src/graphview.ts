// GraphView draws the view of the graph with Cytoscape.js: it keeps the
// reader's choices (expanded accounts, revealed nodes, filter, focus),
// redraws what changes, lays the graph out (fCoSE for a graph a person
// can take in, a fast packed grid beyond), and highlights every path to
// a chosen node.
import cytoscape from 'cytoscape';
import type { Core, NodeSingular, Position } from 'cytoscape';
import { GraphIndex } from './graphindex';
import { aggPrefix, build, groupPrefix, modelEdge } from './view';
import type { Built, ViewState } from './view';
import { aggHeight, aggWidth, graphStyle } from './style';

/**
 * loadFcose loads the fCoSE layout on first use: a big graph's overview
 * doesn't need it, and its first render shouldn't wait for its code.
 */
let fcoseLoaded: Promise<void> | null = null;
function loadFcose(): Promise<void> {
  fcoseLoaded ??= import('cytoscape-fcose').then((m) => cytoscape.use(m.default));
  return fcoseLoaded;
}

/** What the reader selected in the graph. */
export type Selection =
  | { type: 'node'; id: string }
  | { type: 'group'; group: string }
  | { type: 'edges'; edges: number[] };

/** Views with more nodes than this are laid out by packing, not by force. */
const forceLayoutLimit = 350;
/** Focus mode draws at most this many nodes one by one (the nearest). */
const focusNodeLimit = 400;
/** Graphs with more nodes than this start as the accounts' overview. */
export const overviewLimit = 600;

declare global {
  interface Window {
    /** The Cytoscape instance, for tests and the curious. */
    __assumedGraph?: Core;
    /** Timings of the console, for tests. */
    __assumedMetrics?: { firstRenderMs?: number; graphNodes?: number; drawnNodes?: number; marks?: Record<string, number> };
  }
}

export class GraphView {
  readonly cy: Core;
  readonly state: ViewState = { shown: new Set(), excluded: new Set(), focus: null, spotlight: null };
  private built: Built | null = null;
  private highlighted: string | null = null;
  private firstRender = true;
  /** Called when the selection changes (null: nothing selected). */
  onSelect: (sel: Selection | null) => void = () => {};
  /** Called after every redraw, with a line describing what is drawn. */
  onRedraw: (summary: string) => void = () => {};

  /** The accounts' order: their place in the packed layout. */
  private readonly groupOrder: Map<string, number>;

  constructor(container: HTMLElement, readonly ix: GraphIndex) {
    this.groupOrder = new Map(ix.groups.map((g, i) => [g, i]));
    const big = ix.nodes.size > overviewLimit || ix.edges.length > 3000;
    this.cy = cytoscape({
      container,
      style: graphStyle(),
      minZoom: 0.02,
      maxZoom: 4,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false,
      selectionType: 'single',
      textureOnViewport: big,
      hideEdgesOnViewport: big,
      pixelRatio: big ? 1 : 'auto',
      motionBlur: false,
    });
    window.__assumedGraph = this.cy;
    this.cy.on('tap', 'node', (ev) => this.tapNode(ev.target as NodeSingular));
    this.cy.on('dbltap', 'node', (ev) => {
      const n = ev.target as NodeSingular;
      if (n.data('kind') === 'account-agg') this.expandGroup(n.data('account'));
      else if (n.data('kind') !== 'account-group') this.reveal(this.ix.neighbours(n.id()), n.id());
    });
    this.cy.on('tap', 'edge', (ev) => {
      const id = ev.target.id() as string;
      const i = modelEdge(id);
      this.onSelect({ type: 'edges', edges: i >= 0 ? [i] : (this.built?.members.get(id) ?? []) });
    });
    // A big overview draws no labels at a distance: name what the pointer is on.
    const tip = document.createElement('div');
    tip.className = 'graph-tip';
    tip.hidden = true;
    container.parentElement?.append(tip);
    this.cy.on('mouseover', 'node', (ev) => {
      const n = ev.target as NodeSingular;
      const p = ev.renderedPosition ?? n.renderedPosition();
      tip.textContent = String(n.data('label') ?? n.id()).replace(/\n/g, ' · ');
      tip.style.setProperty('left', `${Math.round(p.x + 14)}px`);
      tip.style.setProperty('top', `${Math.round(p.y + 14)}px`);
      tip.hidden = false;
    });
    this.cy.on('mouseout', 'node', () => (tip.hidden = true));
    this.cy.on('viewport', () => (tip.hidden = true));
    let labelTimer = 0;
    this.cy.on('viewport', () => {
      window.clearTimeout(labelTimer);
      labelTimer = window.setTimeout(() => this.labelVisible(), 120);
    });
    this.cy.on('tap', (ev) => {
      if (ev.target === this.cy) {
        this.clearHighlight();
        this.onSelect(null);
      }
    });
  }

  /**
   * labelVisible labels the aggregates of a big overview that are in
   * view, once zoomed in enough to read them: measuring every label of
   * a thousand accounts would slow every frame.
   */
  private labelVisible(): void {
    const cy = this.cy;
    const fast = cy.nodes('[fast = "yes"]');
    if (fast.empty()) return;
    const readable = cy.zoom() * 11 >= 7;
    const ext = cy.extent();
    cy.batch(() => {
      fast.forEach((n) => {
        const p = n.position();
        const inView = readable && p.x > ext.x1 - aggWidth && p.x < ext.x2 + aggWidth && p.y > ext.y1 - aggHeight && p.y < ext.y2 + aggHeight;
        if (inView !== n.hasClass('labelled')) n.toggleClass('labelled', inView);
      });
    });
  }

  private tapNode(n: NodeSingular): void {
    const kind = n.data('kind') as string;
    if (kind === 'account-group' || kind === 'account-agg') {
      this.clearHighlight();
      const g = n.data('account') as string;
      // A thinned overview draws every link of the account picked.
      if (this.built && this.built.linksDrawn < this.built.links && this.state.spotlight !== g) {
        this.state.spotlight = g;
        this.redraw(true);
      }
      this.onSelect({ type: 'group', group: g });
      return;
    }
    this.highlightPaths(n.id());
    this.onSelect({ type: 'node', id: n.id() });
  }

  /** start draws the first view: every node of a small graph, the accounts' overview of a big one. */
  start(scopeAccount?: string): void {
    if (scopeAccount && this.ix.byGroup.has(scopeAccount)) {
      for (const n of this.ix.byGroup.get(scopeAccount) ?? []) {
        this.state.shown.add(n.id);
        if (this.ix.nodes.size <= overviewLimit * 4) for (const m of this.ix.neighbours(n.id)) this.state.shown.add(m);
      }
    } else if (this.ix.nodes.size <= overviewLimit) {
      for (const id of this.ix.nodes.keys()) this.state.shown.add(id);
    }
    this.redraw(false);
  }

  /** redraw applies the state: changed elements only, then the layout. */
  redraw(incremental: boolean, anchor?: string): void {
    const cy = this.cy;
    const anchorPos: Position | undefined = anchor ? { ...cy.getElementById(anchor).position() } : undefined;
    const built = build(this.ix, this.state);
    this.built = built;
    mark('view-built');
    const want = new Map(built.elements.map((el) => [el.data.id as string, el]));
    cy.batch(() => {
      cy.elements().forEach((el) => {
        const w = want.get(el.id());
        // Parents can't change in place: re-add a node whose parent changed.
        if (!w || (el.isNode() && (el.data('parent') ?? undefined) !== (w.data.parent ?? undefined))) el.remove();
      });
      const fresh = built.elements.filter((el) => cy.getElementById(el.data.id as string).empty());
      for (const el of built.elements) {
        const cur = cy.getElementById(el.data.id as string);
        if (cur.nonempty() && (cur.data('label') !== el.data.label || cur.data('count') !== el.data.count)) cur.data(el.data);
      }
      cy.add(fresh.map((el) => (anchorPos && el.group === 'nodes' ? { ...el, position: jitter(anchorPos) } : el)));
    });
    mark('elements-added');
    this.layout(incremental, anchor);
    const drawn = built.nodeCount;
    window.__assumedMetrics = { ...window.__assumedMetrics, graphNodes: this.ix.nodes.size, drawnNodes: drawn };
    this.onRedraw(this.summary(drawn));
    if (this.highlighted && built.rep(this.highlighted) !== null) this.highlightPaths(this.highlighted);
    else this.clearHighlight();
  }

  private summary(drawn: number): string {
    const st = this.state;
    const total = this.ix.nodes.size;
    if (st.focus) {
      const f = st.focus;
      const near = f.near.size < f.nodes.size ? ` (the ${f.near.size} nearest one by one, the others by account)` : '';
      return `${f.nodes.size} of ${total} nodes: those with a path to ${this.ix.nodes.get(f.target)?.name ?? f.target}${near}`;
    }
    const expanded = this.ix.groups.filter((g) => !st.excluded.has(g) && this.cy.getElementById(groupPrefix + g).nonempty()).length;
    const shown = [...st.shown].filter((id) => !st.excluded.has(this.ix.group(id))).length;
    const b = this.built;
    const thinned = b && b.linksDrawn < b.links ? ` · ${b.linksDrawn} of ${b.links} links between accounts (the heaviest; click an account for all of its)` : '';
    const n = (c: number, one: string, many: string) => `${c} ${c === 1 ? one : many}`;
    return `${n(total, 'node', 'nodes')}, ${n(this.ix.edges.length, 'edge', 'edges')} in ${n(this.ix.groups.length, 'account', 'accounts')} · drawn: ${n(shown, 'node', 'nodes')} one by one, ${n(drawn - shown, 'account aggregate', 'account aggregates')}, ${n(expanded, 'account', 'accounts')} open${thinned}`;
  }

  private layout(incremental: boolean, anchor?: string): void {
    const cy = this.cy;
    const n = cy.nodes().length;
    const done = () => this.rendered();
    if (n === 0) {
      done();
      return;
    }
    if (n <= forceLayoutLimit) {
      void loadFcose().then(() => this.forceLayout(incremental, anchor, n), () => {
        // Without fCoSE (its code failed to load), the built-in CoSE.
        cy.layout({ name: 'cose', animate: false, fit: !incremental, padding: 30 } as cytoscape.LayoutOptions).run();
        this.focusAnchor(anchor);
        done();
      });
      return;
    }
    const box = pack(cy, this.groupOrder);
    if (!incremental) fitBox(cy, box, 30);
    this.focusAnchor(anchor);
    done();
  }

  /** forceLayout lays a small view out with fCoSE. */
  private forceLayout(incremental: boolean, anchor: string | undefined, n: number): void {
    const l = this.cy.layout({
      name: 'fcose',
      quality: n > 300 ? 'draft' : 'default',
      randomize: !incremental,
      animate: incremental && n < 400,
      animationDuration: 350,
      fit: !incremental,
      padding: 30,
      nodeDimensionsIncludeLabels: true,
      packComponents: true,
      nodeRepulsion: () => 9000,
      idealEdgeLength: () => 110,
      nestingFactor: 0.2,
      tile: true,
    } as cytoscape.LayoutOptions);
    l.one('layoutstop', () => {
      this.focusAnchor(anchor);
      this.rendered();
    });
    l.run();
  }

  private focusAnchor(anchor?: string): void {
    if (!anchor) return;
    let el = this.cy.getElementById(anchor);
    // An aggregate opened into its account: show the account.
    if (el.empty() && anchor.startsWith(aggPrefix)) el = this.cy.getElementById(groupPrefix + anchor.slice(aggPrefix.length));
    const target = el.empty() ? this.cy.elements() : el.isParent() ? el : el.closedNeighborhood().union(el.parent());
    this.cy.animate({ fit: { eles: target, padding: 60 }, duration: 300 });
  }

  /** rendered records the first render's time once the canvas has drawn it. */
  private rendered(): void {
    if (!this.firstRender) return;
    mark('layout-done');
    this.firstRender = false;
    this.cy.one('render', () =>
      requestAnimationFrame(() => {
        mark('first-render');
        window.__assumedMetrics = { ...window.__assumedMetrics, firstRenderMs: Math.round(performance.now()), marks: marks() };
        this.cy.container()?.setAttribute('data-rendered', 'true');
      }),
    );
    // Ask for a frame: the render event must come even if nothing moved.
    this.cy.forceRender();
  }

  /** expandGroup draws every node of an account one by one. */
  expandGroup(g: string): void {
    for (const n of this.ix.byGroup.get(g) ?? []) this.state.shown.add(n.id);
    this.redraw(true, aggPrefix + g);
  }

  /** collapseGroup merges an account's nodes back into its aggregate. */
  collapseGroup(g: string): void {
    for (const n of this.ix.byGroup.get(g) ?? []) this.state.shown.delete(n.id);
    this.redraw(true, aggPrefix + g);
  }

  /** expandAll draws every node (of the accounts not filtered out). */
  expandAll(): void {
    for (const id of this.ix.nodes.keys()) if (!this.state.excluded.has(this.ix.group(id))) this.state.shown.add(id);
    this.redraw(false);
  }

  /** collapseAll goes back to the accounts' overview. */
  collapseAll(): void {
    this.state.shown.clear();
    this.state.focus = null;
    this.redraw(false);
  }

  /** reveal draws the nodes one by one (their accounts opened for them). */
  reveal(ids: string[], anchor?: string): void {
    let changed = false;
    for (const id of ids) {
      if (!this.state.shown.has(id)) {
        this.state.shown.add(id);
        changed = true;
      }
      const g = this.ix.group(id);
      if (this.state.excluded.delete(g)) changed = true;
    }
    if (changed && !this.state.focus) this.redraw(true, anchor);
  }

  /** setExcluded filters accounts out of the view. */
  setExcluded(excluded: Set<string>): void {
    this.state.excluded = excluded;
    this.redraw(false);
  }

  /** focusOn draws only the nodes with a path to target. */
  focusOn(target: string): void {
    this.state.focus = { target, nodes: this.ix.reaching(target).nodes, near: this.ix.nearest(target, focusNodeLimit) };
    this.highlighted = target;
    this.redraw(false);
    this.select(target);
  }

  /** unfocus leaves focus mode, with the focus's nodes revealed. */
  unfocus(): void {
    const f = this.state.focus;
    if (!f) return;
    this.state.focus = null;
    for (const id of f.near) this.state.shown.add(id);
    this.redraw(false);
    this.select(f.target);
  }

  /** select selects a model node, revealing it, and highlights the paths to it. */
  select(id: string): void {
    if (!this.ix.nodes.has(id)) return;
    if (this.built?.rep(id) !== id) {
      if (this.state.focus) this.unfocusSilently();
      this.state.shown.add(id);
      this.state.excluded.delete(this.ix.group(id));
      this.redraw(true, id);
    }
    const el = this.cy.getElementById(id);
    this.cy.elements(':selected').unselect();
    el.select();
    this.highlightPaths(id);
    this.cy.animate({ center: { eles: el }, zoom: Math.max(this.cy.zoom(), 0.8), duration: 250 });
    this.onSelect({ type: 'node', id });
  }

  private unfocusSilently(): void {
    this.state.focus = null;
  }

  /** highlightPaths marks every drawn element on a path to target, fading the rest. */
  highlightPaths(target: string): void {
    const built = this.built;
    if (!built) return;
    this.highlighted = target;
    const { nodes, edges } = this.ix.reaching(target);
    const ids = new Set<string>();
    for (const id of nodes) {
      const r = built.rep(id);
      if (r) ids.add(r);
    }
    for (const i of edges) {
      const r = built.edgeElement(i);
      if (r) ids.add(r);
    }
    const cy = this.cy;
    cy.batch(() => {
      cy.elements().removeClass('path target').addClass('faded');
      for (const id of ids) {
        const el = cy.getElementById(id);
        el.removeClass('faded').addClass('path');
        el.ancestors().removeClass('faded');
      }
      cy.getElementById(target).addClass('target');
    });
  }

  /** clearHighlight removes the highlight. */
  clearHighlight(): void {
    if (this.highlighted === null) return;
    this.highlighted = null;
    this.cy.elements('.faded, .path, .target').removeClass('faded path target');
  }

  /** fit shows the whole drawn graph. */
  fit(): void {
    this.cy.animate({ fit: { eles: this.cy.elements(), padding: 30 }, duration: 250 });
  }
}

/** mark records a step of the first render (performance.mark), once. */
export function mark(name: string): void {
  if (performance.getEntriesByName(`assumed:${name}`).length === 0) performance.mark(`assumed:${name}`);
}

/** marks are the steps recorded, in ms since the navigation. */
function marks(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of performance.getEntriesByType('mark')) if (m.name.startsWith('assumed:')) out[m.name.slice(8)] = Math.round(m.startTime);
  return out;
}

/** jitter is a position near p, so that nodes added at one place don't coincide. */
function jitter(p: Position): Position {
  return { x: p.x + (Math.random() - 0.5) * 60, y: p.y + (Math.random() - 0.5) * 60 };
}

/**
 * pack lays a big view out fast: each account's nodes in a grid inside
 * its compound, and the accounts (compounds and aggregates) in rows.
 */
function pack(cy: Core, order: Map<string, number>): { x1: number; y1: number; x2: number; y2: number } {
  let maxX = 0;
  let maxY = 0;
  const cellW = 150;
  const cellH = 70;
  const gap = 60;
  // Positions are worked out first and set at once: setting them one by
  // one costs an event each.
  const at = new Map<string, Position>();
  type Item = { w: number; h: number; place: (x: number, y: number) => void };
  const items: Item[] = [];
  // In the accounts' order, whether open or not: an account opened stays
  // about where it was.
  const rank = (n: NodeSingular) => order.get(n.data('account')) ?? order.size;
  const tops = cy.nodes().orphans().toArray() as NodeSingular[];
  tops.sort((a, b) => rank(a) - rank(b));
  tops.forEach((top) => {
    const kids = top.children();
    if (kids.empty()) {
      // Sizes known without measuring: an aggregate's, or a plain node's with its label.
      const agg = top.data('kind') === 'account-agg';
      const w = agg ? aggWidth : cellW;
      const h = agg ? aggHeight : cellH;
      items.push({ w, h, place: (x, y) => at.set(top.id(), { x: x + w / 2, y: y + h / 2 }) });
      return;
    }
    const cols = Math.max(1, Math.ceil(Math.sqrt(kids.length * 1.5)));
    const rows = Math.ceil(kids.length / cols);
    items.push({
      w: cols * cellW + 40,
      h: rows * cellH + 60,
      place: (x, y) =>
        kids.forEach((k, i) => {
          at.set(k.id(), { x: x + 20 + cellW / 2 + (i % cols) * cellW, y: y + 40 + cellH / 2 + Math.floor(i / cols) * cellH });
        }),
    });
  });
  const area = items.reduce((a, it) => a + (it.w + gap) * (it.h + gap), 0);
  const aspect = Math.max(0.5, Math.min(3, cy.width() / Math.max(1, cy.height())));
  const rowWidth = Math.max(Math.sqrt(area * aspect), 400);
  let x = 0;
  let y = 0;
  let rowH = 0;
  for (const it of items) {
    if (x > 0 && x + it.w > rowWidth) {
      x = 0;
      y += rowH + gap;
      rowH = 0;
    }
    it.place(x, y);
    x += it.w + gap;
    rowH = Math.max(rowH, it.h);
    maxX = Math.max(maxX, x - gap);
  }
  maxY = y + rowH;
  cy.nodes()
    .filter((n) => at.has(n.id()))
    .positions((n) => at.get(n.id()) as Position);
  return { x1: 0, y1: 0, x2: maxX, y2: maxY };
}

/**
 * fitBox shows the box: what cy.fit does, without measuring every
 * element (and its label) for the bounding box, which takes seconds on a
 * big view.
 */
function fitBox(cy: Core, b: { x1: number; y1: number; x2: number; y2: number }, padding: number): void {
  const w = Math.max(1, b.x2 - b.x1);
  const h = Math.max(1, b.y2 - b.y1);
  const zoom = Math.max(cy.minZoom(), Math.min(cy.maxZoom(), Math.min((cy.width() - 2 * padding) / w, (cy.height() - 2 * padding) / h)));
  cy.viewport({ zoom, pan: { x: (cy.width() - w * zoom) / 2 - b.x1 * zoom, y: (cy.height() - h * zoom) / 2 - b.y1 * zoom } });
}
