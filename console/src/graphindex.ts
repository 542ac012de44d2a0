// GraphIndex is the whole access graph as the server sent it, indexed
// for the console: nodes by ID and by account, edges in and out of each
// node, and the walk backwards from a node that finds every path to it.
import type { Graph, GraphEdge, GraphNode } from './model';

/** The group of the nodes that belong to no account (service principals). */
export const noAccount = 'services';

export class GraphIndex {
  readonly nodes = new Map<string, GraphNode>();
  readonly edges: GraphEdge[];
  private adjOut: Map<string, number[]> | null = null;
  private adjIn: Map<string, number[]> | null = null;
  private countsCache = new Map<string, string>();
  /** Nodes by the group they are drawn in: their account, or noAccount. */
  readonly byGroup = new Map<string, GraphNode[]>();
  /** The groups, the graph's accounts first, in order. */
  readonly groups: string[];
  /** Account names by ID, from the account nodes. */
  readonly accountNames = new Map<string, string>();
  readonly accounts: string[];

  constructor(g: Graph) {
    this.edges = g.edges ?? [];
    this.accounts = [...(g.accounts ?? [])];
    for (const n of g.nodes ?? []) {
      this.nodes.set(n.id, n);
      if (n.kind === 'account' && n.account && n.name && n.name !== n.account) this.accountNames.set(n.account, n.name);
    }
    // An edge may name a node the list lacks: stand in for it.
    for (const e of this.edges) {
      if (!this.nodes.has(e.from)) this.nodes.set(e.from, { id: e.from, kind: 'external-account', name: e.from });
      if (!this.nodes.has(e.to)) this.nodes.set(e.to, { id: e.to, kind: 'external-account', name: e.to });
    }
    for (const n of this.nodes.values()) {
      const g = groupOf(n);
      let list = this.byGroup.get(g);
      if (!list) this.byGroup.set(g, (list = []));
      list.push(n);
    }
    const known = new Set(this.accounts);
    const extra = [...this.byGroup.keys()].filter((k) => !known.has(k)).sort();
    this.groups = [...this.accounts.filter((a) => this.byGroup.has(a)), ...extra];
  }

  /** out are the edges (indexes) out of each node, built on first use. */
  get out(): Map<string, number[]> {
    if (!this.adjOut) this.adjacency();
    return this.adjOut as Map<string, number[]>;
  }

  /** in are the edges (indexes) into each node, built on first use. */
  get in(): Map<string, number[]> {
    if (!this.adjIn) this.adjacency();
    return this.adjIn as Map<string, number[]>;
  }

  /** adjacency indexes the edges: not needed for the first view of a big graph. */
  private adjacency(): void {
    const out = new Map<string, number[]>();
    const inn = new Map<string, number[]>();
    this.edges.forEach((e, i) => {
      push(out, e.from, i);
      push(inn, e.to, i);
    });
    this.adjOut = out;
    this.adjIn = inn;
  }

  /** group is the group a node is drawn in. */
  group(id: string): string {
    const n = this.nodes.get(id);
    return n ? groupOf(n) : noAccount;
  }

  /** groupLabel names a group: the account's name and ID. */
  groupLabel(g: string): string {
    const name = this.accountNames.get(g);
    return name ? `${name} (${g})` : g;
  }

  /** neighbours are the nodes one edge away, either way. */
  neighbours(id: string): string[] {
    const out = new Set<string>();
    for (const i of this.out.get(id) ?? []) out.add(this.edges[i].to);
    for (const i of this.in.get(id) ?? []) out.add(this.edges[i].from);
    out.delete(id);
    return [...out];
  }

  /**
   * reaching walks the edges backwards from target: the nodes with a
   * path to it (target included), and the edges on those paths.
   */
  reaching(target: string): { nodes: Set<string>; edges: number[] } {
    const nodes = new Set<string>([target]);
    const queue = [target];
    while (queue.length > 0) {
      const id = queue.pop() as string;
      for (const i of this.in.get(id) ?? []) {
        const from = this.edges[i].from;
        if (!nodes.has(from)) {
          nodes.add(from);
          queue.push(from);
        }
      }
    }
    const edges: number[] = [];
    for (const id of nodes) {
      for (const i of this.in.get(id) ?? []) {
        if (nodes.has(this.edges[i].from)) edges.push(i);
      }
    }
    return { nodes, edges };
  }

  /**
   * nearest are up to limit nodes with a path to target, the nearest
   * first (breadth first, backwards): target itself, then what reaches it
   * in one step, in two…
   */
  nearest(target: string, limit: number): Set<string> {
    const seen = new Set<string>([target]);
    const queue = [target];
    for (let head = 0; head < queue.length && seen.size < limit; head++) {
      for (const i of this.in.get(queue[head]) ?? []) {
        const from = this.edges[i].from;
        if (seen.has(from)) continue;
        seen.add(from);
        queue.push(from);
        if (seen.size >= limit) break;
      }
    }
    return seen;
  }

  /** search finds up to limit nodes whose name or ARN contains q. */
  search(q: string, limit = 20): GraphNode[] {
    const needle = q.trim().toLowerCase();
    if (!needle) return [];
    const exact: GraphNode[] = [];
    const rest: GraphNode[] = [];
    for (const n of this.nodes.values()) {
      const name = n.name.toLowerCase();
      if (name === needle || n.id.toLowerCase() === needle) exact.push(n);
      else if (name.includes(needle) || n.id.toLowerCase().includes(needle)) {
        rest.push(n);
        if (exact.length + rest.length >= limit * 5) break;
      }
    }
    return [...exact, ...rest].slice(0, limit);
  }

  /** counts summarizes a group's nodes by kind: "50 roles · 2 users". */
  counts(g: string): string {
    const cached = this.countsCache.get(g);
    if (cached !== undefined) return cached;
    const byKind = new Map<string, number>();
    for (const n of this.byGroup.get(g) ?? []) {
      if (n.kind === 'account') continue;
      byKind.set(n.kind, (byKind.get(n.kind) ?? 0) + 1);
    }
    const text = [...byKind.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, c]) => `${c} ${plural(k, c)}`)
      .join(' · ');
    this.countsCache.set(g, text);
    return text;
  }
}

function push(m: Map<string, number[]>, k: string, v: number): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function groupOf(n: GraphNode): string {
  return n.account || noAccount;
}

/** plural names a kind for a count: "role", "roles". */
export function plural(kind: string, n: number): string {
  const word = kind.replace(/-/g, ' ');
  return n === 1 ? word : word.endsWith('s') ? word : `${word}s`;
}
