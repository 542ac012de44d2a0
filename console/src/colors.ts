// The console's colours: one hue per account (stable for an account ID),
// one colour and shape per node kind, one colour and line style per edge
// kind. The graph's style sheet and the legend both read them.

/** accountHue is a stable hue for an account ID. */
export function accountHue(account: string): number {
  let h = 2166136261;
  for (let i = 0; i < account.length; i++) {
    h ^= account.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  // Spread over 24 well-separated hues.
  return ((h >>> 0) % 24) * 15;
}

/** accountColor is an account's strong colour (borders). */
export const accountColor = (account: string) => `hsl(${accountHue(account)}, 55%, 45%)`;

/** accountTint is an account's light colour (backgrounds). */
export const accountTint = (account: string) => `hsl(${accountHue(account)}, 60%, 96%)`;

/** How a node kind is drawn. */
export interface NodeLook {
  label: string;
  color: string;
  shape: string;
}

/** The node kinds (analyze's) and how each is drawn. */
export const nodeLooks: Record<string, NodeLook> = {
  role: { label: 'role', color: '#2563eb', shape: 'round-rectangle' },
  user: { label: 'user', color: '#16a34a', shape: 'ellipse' },
  group: { label: 'group', color: '#0d9488', shape: 'round-hexagon' },
  account: { label: 'account root', color: '#334155', shape: 'star' },
  'oidc-provider': { label: 'OIDC provider', color: '#7c3aed', shape: 'round-diamond' },
  cluster: { label: 'EKS cluster', color: '#ea580c', shape: 'round-octagon' },
  'service-account': { label: 'service account', color: '#d97706', shape: 'round-triangle' },
  'pod-identity-association': { label: 'Pod Identity association', color: '#a16207', shape: 'round-tag' },
  resource: { label: 'resource', color: '#db2777', shape: 'barrel' },
  service: { label: 'AWS service', color: '#64748b', shape: 'round-pentagon' },
  'external-account': { label: 'external account', color: '#b91c1c', shape: 'vee' },
};

/** How an edge kind is drawn. */
export interface EdgeLook {
  label: string;
  color: string;
  style: 'solid' | 'dashed' | 'dotted';
  arrow: string;
}

/** The edge kinds (analyze's) and how each is drawn. */
export const edgeLooks: Record<string, EdgeLook> = {
  'can-assume': { label: 'can assume', color: '#2563eb', style: 'solid', arrow: 'triangle' },
  'can-assume-with-web-identity': { label: 'can assume with web identity', color: '#7c3aed', style: 'dashed', arrow: 'triangle' },
  'pod-identity': { label: 'Pod Identity', color: '#ea580c', style: 'dashed', arrow: 'triangle' },
  'can-access': { label: 'can access (resource policy)', color: '#db2777', style: 'solid', arrow: 'square' },
  'member-of': { label: 'member of', color: '#0d9488', style: 'dotted', arrow: 'circle' },
  'issues-tokens-for': { label: 'issues tokens for', color: '#7c3aed', style: 'dotted', arrow: 'vee' },
  'associated-with': { label: 'associated with', color: '#a16207', style: 'dotted', arrow: 'vee' },
};

/** The colour of cross-account edges' outline. */
export const crossAccountColor = '#f59e0b';
