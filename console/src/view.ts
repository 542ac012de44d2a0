// The view decides what of the whole graph is drawn. A big graph (50,000
// nodes) can't be drawn at once, so each account is either expanded (a
// compound node holding the nodes the reader asked for) or collapsed into
// one aggregate node standing for the rest of its nodes, with the edges
// to and from them merged into one edge per pair and kind, with a count.
// In focus mode only the nodes with a path to one node are drawn.
import type { ElementDefinition } from 'cytoscape';
import { GraphIndex } from './graphindex';
import { accountColor, accountTint, edgeLooks, nodeLooks } from './colors';

/** What the reader chose to see. */
export interface ViewState {
  /** The nodes drawn one by one; the others of their account are aggregated. */
  shown: Set<string>;
  /** The groups (accounts) filtered out. */
  excluded: Set<string>;
  /** Focus mode: only the nodes with a path to target. */
  /**
   * Focus mode: only the nodes with a path to target; those nearest to
   * it (near) one by one, the others aggregated by account.
   */
  focus: { target: string; nodes: Set<string>; near: Set<string> } | null;
  /** The account whose every link is drawn, even in a thinned overview. */
  spotlight: string | null;
}

/** Prefixes of the IDs of the elements the view makes up. */
export const groupPrefix = 'acct::';
export const aggPrefix = 'agg::';
const edgePrefix = 'e::';
const aggEdgePrefix = 'ae::';

/** Views with more account aggregates than this are drawn for speed. */
export const fastLimit = 300;

/** The most links between collapsed accounts a view draws (see thinLinks). */
export const maxAccountLinks = 800;

/** The drawn graph, and how the model maps onto it. */
export interface Built {
  elements: ElementDefinition[];
  /** rep is the element that stands for a node (itself or its account's aggregate), or null when not drawn. */
  rep: (id: string) => string | null;
  /** edgeElement is the element that draws model edge i, or null. */
  edgeElement: (i: number) => string | null;
  /** members are the model edges each aggregate edge merges. */
  members: Map<string, number[]>;
  nodeCount: number;
  /** Links between collapsed accounts: how many, how many drawn. */
  links: number;
  linksDrawn: number;
}

/** edgeId is the element ID of a model edge drawn as itself. */
export const edgeId = (i: number) => edgePrefix + i;

/** modelEdge is the model edge index of an element ID, or -1. */
export const modelEdge = (id: string) => (id.startsWith(edgePrefix) ? Number(id.slice(edgePrefix.length)) : -1);

/** build makes the elements to draw for a state. */
export function build(ix: GraphIndex, st: ViewState): Built {
  const groupsWithShown = new Set<string>();
  const hiddenCount = new Map<string, number>();
  const aggIds = new Map(ix.groups.map((g) => [g, aggPrefix + g]));
  const focus = st.focus;
  const rep = (id: string): string | null => {
    const g = ix.group(id);
    if (focus) return !focus.nodes.has(id) ? null : focus.near.has(id) ? id : (aggIds.get(g) ?? null);
    if (st.excluded.has(g)) return null;
    return st.shown.has(id) ? id : (aggIds.get(g) ?? null);
  };
  const elements: ElementDefinition[] = [];
  const pushNode = (id: string, g: string) => {
    const n = ix.nodes.get(id);
    if (!n) return;
    groupsWithShown.add(g);
    elements.push({
      group: 'nodes',
      data: {
        id: n.id,
        parent: groupPrefix + g,
        label: n.admin ? `★ ${n.name}` : n.name,
        kind: n.kind,
        account: g,
        admin: n.admin ? 'yes' : 'no',
        acolor: accountColor(g),
        color: nodeLooks[n.kind]?.color ?? '#94a3b8',
        shape: nodeLooks[n.kind]?.shape ?? 'ellipse',
      },
    });
  };
  // Only the nodes drawn one by one are visited: an overview of 50,000
  // nodes costs a count per account.
  if (focus) {
    for (const id of focus.nodes) {
      const g = ix.group(id);
      if (focus.near.has(id)) pushNode(id, g);
      else hiddenCount.set(g, (hiddenCount.get(g) ?? 0) + 1);
    }
  } else {
    const shownIn = new Map<string, number>();
    for (const id of st.shown) {
      const g = ix.group(id);
      if (st.excluded.has(g) || !ix.nodes.has(id)) continue;
      shownIn.set(g, (shownIn.get(g) ?? 0) + 1);
    }
    for (const g of ix.groups) {
      if (st.excluded.has(g)) continue;
      const all = ix.byGroup.get(g) ?? [];
      const shown = shownIn.get(g) ?? 0;
      if (shown < all.length) hiddenCount.set(g, all.length - shown);
      if (shown === 0) continue;
      for (const n of all) if (st.shown.has(n.id)) pushNode(n.id, g);
    }
  }
  for (const g of groupsWithShown) {
    elements.push({
      group: 'nodes',
      data: { id: groupPrefix + g, label: ix.groupLabel(g), kind: 'account-group', account: g, acolor: accountColor(g), tint: accountTint(g), color: accountTint(g), shape: 'round-rectangle' },
    });
  }
  // A view this big is drawn for speed: straight edges without arrows
  // between aggregates, and their labels only once zoomed in.
  const fast = hiddenCount.size > fastLimit;
  for (const [g, count] of hiddenCount) {
    const inside = groupsWithShown.has(g);
    const what = st.focus ? `${count} more with a path` : ix.counts(g);
    const label = inside ? `+${count} more` : `${ix.accountNames.get(g) ?? g}\n${ix.accountNames.has(g) ? g + '\n' : ''}${what}`;
    elements.push({
      group: 'nodes',
      data: {
        id: aggPrefix + g,
        parent: inside ? groupPrefix + g : undefined,
        label,
        kind: 'account-agg',
        account: g,
        count,
        size: Math.round(36 + 12 * Math.log2(count + 1)),
        acolor: accountColor(g),
        tint: accountTint(g),
        color: accountTint(g),
        shape: 'round-rectangle',
        fast: fast && !inside ? 'yes' : 'no',
      },
    });
  }
  const edgeData = (kind: string) => {
    const look = edgeLooks[kind];
    return { color: look?.color ?? '#64748b', lstyle: look?.style ?? 'solid', arrow: look?.arrow ?? 'triangle' };
  };
  const members = new Map<string, number[]>();
  const edgeEl: (string | null)[] = new Array(ix.edges.length).fill(null);
  ix.edges.forEach((e, i) => {
    const from = rep(e.from);
    const to = rep(e.to);
    if (from === null || to === null) return;
    if (from === e.from && to === e.to) {
      edgeEl[i] = edgeId(i);
      elements.push({
        group: 'edges',
        data: { id: edgeId(i), source: from, target: to, kind: e.kind, cross: e.crossAccount ? 'yes' : 'no', ...edgeData(e.kind) },
      });
      return;
    }
    if (from === to) return; // inside one aggregate
    const id = `${aggEdgePrefix}${from}::${to}::${e.kind}`;
    edgeEl[i] = id;
    const list = members.get(id);
    if (list) {
      list.push(i);
      return;
    }
    members.set(id, [i]);
    elements.push({
      group: 'edges',
      data: { id, source: from, target: to, kind: e.kind, cross: ix.group(e.from) !== ix.group(e.to) ? 'yes' : 'no', aggregate: fast ? 'fast' : 'yes', ...edgeData(e.kind) },
    });
  });
  for (const el of elements) {
    const list = el.group === 'edges' ? members.get(el.data.id as string) : undefined;
    if (list) {
      el.data.count = list.length;
      el.data.label = list.length > 1 ? String(list.length) : '';
      el.data.weight = Math.min(8, 1.5 + Math.log2(list.length));
    }
  }
  const links = thinLinks(elements, members, st.spotlight, groupsWithShown);
  const nodeCount = links.kept.reduce((c, el) => (el.group === 'nodes' && !String(el.data.id).startsWith(groupPrefix) ? c + 1 : c), 0);
  return { elements: links.kept, rep, edgeElement: (i) => edgeEl[i] ?? null, members, nodeCount, links: links.total, linksDrawn: links.drawn };
}

/**
 * thinLinks keeps, of the edges between two aggregates, the
 * maxAccountLinks that merge the most edges, and every link of the
 * spotlit account and of the open ones: a thousand accounts' links drawn
 * at once would be a slow hairball.
 */
function thinLinks(elements: ElementDefinition[], members: Map<string, number[]>, spotlight: string | null, open: Set<string>) {
  const between = elements.filter((el) => el.group === 'edges' && String(el.data.source).startsWith(aggPrefix) && String(el.data.target).startsWith(aggPrefix));
  if (between.length <= maxAccountLinks) return { kept: elements, total: between.length, drawn: between.length };
  const always = (el: ElementDefinition) => {
    const a = String(el.data.source).slice(aggPrefix.length);
    const b = String(el.data.target).slice(aggPrefix.length);
    return a === spotlight || b === spotlight || open.has(a) || open.has(b);
  };
  const ranked = between.filter((el) => !always(el)).sort((x, y) => (members.get(String(y.data.id))?.length ?? 0) - (members.get(String(x.data.id))?.length ?? 0));
  const dropped = new Set(ranked.slice(maxAccountLinks).map((el) => String(el.data.id)));
  return { kept: elements.filter((el) => !dropped.has(String(el.data.id))), total: between.length, drawn: between.length - dropped.size };
}
