// The details panel: what the reader selected in the graph (a node, an
// account, an edge or the edges an aggregate merges), with the actions
// that go from there.
import { h } from './dom';
import type { Condition, GraphEdge, GraphNode } from './model';
import type { GraphIndex } from './graphindex';
import type { Prefill } from './explainform';
import type { Selection } from './graphview';
import { edgeLooks, nodeLooks } from './colors';

/** What the details panel can ask the console to do. */
export interface DetailActions {
  select(id: string): void;
  focus(id: string): void;
  neighbours(id: string): void;
  expand(group: string): void;
  collapse(group: string): void;
  only(group: string): void;
  explain(p: Prefill): void;
}

const assumeKinds = new Set(['can-assume', 'can-assume-with-web-identity', 'pod-identity']);
const principalKinds = new Set(['user', 'role', 'account', 'oidc-provider']);

/** renderDetails shows a selection. */
export function renderDetails(ix: GraphIndex, sel: Selection | null, act: DetailActions, expanded: (g: string) => boolean): HTMLElement {
  if (!sel) {
    return h(
      'div',
      { className: 'hint' },
      h('p', {}, 'Click a node to see who can reach it: every path to it is highlighted.'),
      h('p', {}, 'Double-click an account to open it, a node to draw its neighbours. Pick a finding to see its statement, or ask "why" in Explain.'),
      h('p', { className: 'muted small' }, 'Drawn with Cytoscape.js and fCoSE: ', h('a', { href: 'licenses.txt', target: '_blank', rel: 'noopener' }, 'licenses'), '.'),
    );
  }
  if (sel.type === 'group') return renderGroup(ix, sel.group, act, expanded(sel.group));
  if (sel.type === 'edges') return renderEdges(ix, sel.edges, act);
  const n = ix.nodes.get(sel.id);
  return n ? renderNode(ix, n, act) : h('p', {}, sel.id);
}

function kindBadge(kind: string): HTMLElement {
  return h('span', { className: 'kind', 'data-kind': kind }, nodeLooks[kind]?.label ?? kind);
}

function nodeLink(ix: GraphIndex, id: string, act: DetailActions): HTMLElement {
  const n = ix.nodes.get(id);
  return h('a', { href: '#', title: id, onclick: (ev: Event) => { ev.preventDefault(); act.select(id); } }, n ? `${n.name}` : id, n?.account ? h('span', { className: 'muted' }, ` (${n.account})`) : null);
}

function renderNode(ix: GraphIndex, n: GraphNode, act: DetailActions): HTMLElement {
  const reach = ix.reaching(n.id).nodes.size - 1;
  const ins = ix.in.get(n.id) ?? [];
  const outs = ix.out.get(n.id) ?? [];
  return h(
    'div',
    { className: 'node-detail', 'data-testid': 'node-detail', 'data-node': n.id },
    h('h3', {}, kindBadge(n.kind), ' ', n.name, n.admin ? h('span', { className: 'admin', title: 'allows every action on every resource' }, ' admin') : null),
    n.arn ? h('p', {}, h('code', { className: 'arn' }, n.arn)) : null,
    h('dl', { className: 'kvs' },
      n.account ? kv('account', ix.groupLabel(n.account)) : null,
      n.cluster ? kv('cluster', n.cluster) : null,
      n.namespace ? kv('namespace', n.namespace) : null,
      n.serviceAccount ? kv('service account', n.serviceAccount) : null,
      kv('reached by', `${reach} node${reach === 1 ? '' : 's'} (every path highlighted)`),
    ),
    h('div', { className: 'buttons' },
      h('button', { type: 'button', onclick: () => act.focus(n.id), 'data-testid': 'focus-paths' }, 'Paths to here only'),
      h('button', { type: 'button', onclick: () => act.neighbours(n.id) }, 'Draw neighbours'),
      principalKinds.has(n.kind) ? h('button', { type: 'button', onclick: () => act.explain({ as: n.arn ?? n.id }) }, 'Explain as…') : null,
      n.kind === 'role' ? h('button', { type: 'button', onclick: () => act.explain({ assume: n.arn ?? n.id }) }, 'Explain assuming it…') : null,
    ),
    edgeList(ix, 'Ways in', ins, 'from', act),
    edgeList(ix, 'Ways out', outs, 'to', act),
  );
}

function kv(k: string, v: string | Node): HTMLElement {
  return h('div', { className: 'kv' }, h('dt', {}, k), h('dd', {}, v));
}

function edgeList(ix: GraphIndex, title: string, idx: number[], end: 'from' | 'to', act: DetailActions): HTMLElement | null {
  if (idx.length === 0) return null;
  return h(
    'section',
    { className: 'edge-list' },
    h('h4', {}, `${title} (${idx.length})`),
    h('ul', {}, idx.slice(0, 100).map((i) => {
      const e = ix.edges[i];
      return h('li', {}, h('span', { className: 'edge-kind', 'data-kind': e.kind }, edgeLooks[e.kind]?.label ?? e.kind), ' ', nodeLink(ix, e[end], act), e.crossAccount ? h('span', { className: 'cross' }, ' cross-account') : null, e.requires?.length ? h('span', { className: 'requires' }, ` requires ${e.requires.map((c) => c.key).join(', ')}`) : null);
    })),
    idx.length > 100 ? h('p', { className: 'muted' }, `and ${idx.length - 100} more`) : null,
  );
}

function renderGroup(ix: GraphIndex, g: string, act: DetailActions, open: boolean): HTMLElement {
  let crossIn = 0;
  let crossOut = 0;
  for (const n of ix.byGroup.get(g) ?? []) {
    for (const i of ix.in.get(n.id) ?? []) if (ix.group(ix.edges[i].from) !== g) crossIn++;
    for (const i of ix.out.get(n.id) ?? []) if (ix.group(ix.edges[i].to) !== g) crossOut++;
  }
  return h(
    'div',
    { className: 'group-detail', 'data-testid': 'group-detail' },
    h('h3', {}, kindBadge('account'), ' ', ix.groupLabel(g)),
    h('p', {}, ix.counts(g)),
    h('dl', { className: 'kvs' }, kv('edges in from other accounts', String(crossIn)), kv('edges out to other accounts', String(crossOut))),
    h('div', { className: 'buttons' },
      open ? h('button', { type: 'button', onclick: () => act.collapse(g) }, 'Collapse') : h('button', { type: 'button', onclick: () => act.expand(g), 'data-testid': 'expand-account' }, 'Open account'),
      h('button', { type: 'button', onclick: () => act.only(g) }, 'Only this account'),
    ),
  );
}

function conditions(title: string, cs: Condition[] | undefined): HTMLElement | null {
  if (!cs?.length) return null;
  return h('div', { className: 'conds' }, h('span', { className: 'label' }, title), h('ul', {}, cs.map((c) => h('li', {}, h('code', {}, `${c.operator} ${c.key}`), ' ', c.values.join(', ')))));
}

function renderEdge(ix: GraphIndex, e: GraphEdge, act: DetailActions): HTMLElement {
  const prefill: Prefill = assumeKinds.has(e.kind) ? { as: e.from, assume: ix.nodes.get(e.to)?.arn ?? e.to } : { as: e.from, action: e.actions?.[0], resource: ix.nodes.get(e.to)?.arn ?? e.to };
  return h(
    'li',
    { className: 'edge-detail', 'data-testid': 'edge-detail', 'data-from': e.from, 'data-to': e.to, 'data-kind': e.kind },
    h('div', {}, nodeLink(ix, e.from, act), ' → ', nodeLink(ix, e.to, act)),
    h('div', {}, h('span', { className: 'edge-kind', 'data-kind': e.kind }, edgeLooks[e.kind]?.label ?? e.kind), e.crossAccount ? h('span', { className: 'cross' }, ' cross-account') : null, e.actions?.length ? h('span', { className: 'muted' }, ` ${e.actions.join(', ')}`) : null),
    e.statements?.length
      ? h('ul', { className: 'stmts' }, e.statements.map((s) => h('li', {}, `${s.kind} "${s.policy}", ${s.statement}`, s.account ? h('span', { className: 'muted' }, ` (account ${s.account})`) : null, s.effect ? ` ${s.effect}` : '')))
      : null,
    conditions('requires in the request', e.requires),
    conditions('met by the principal', e.conditions),
    e.note ? h('p', { className: 'note' }, e.note) : null,
    h('button', { type: 'button', className: 'small', onclick: () => act.explain(prefill) }, 'Explain'),
  );
}

function renderEdges(ix: GraphIndex, idx: number[], act: DetailActions): HTMLElement {
  return h(
    'div',
    { className: 'edges-detail' },
    h('h3', {}, idx.length === 1 ? 'Edge' : `${idx.length} edges`),
    h('ul', {}, idx.slice(0, 100).map((i) => renderEdge(ix, ix.edges[i], act))),
    idx.length > 100 ? h('p', { className: 'muted' }, `and ${idx.length - 100} more`) : null,
  );
}
