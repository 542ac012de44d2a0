// The JSON the console reads and sends: the shapes of the Go types it
// mirrors (internal/analyze's Graph and Finding, internal/authz's Trace,
// internal/explain's Query). Field names must stay the Go JSON names.

/** A node of the access graph (analyze.Node). */
export interface GraphNode {
  id: string;
  kind: string;
  account?: string;
  name: string;
  arn?: string;
  admin?: boolean;
  cluster?: string;
  namespace?: string;
  serviceAccount?: string;
}

/** One statement of one policy (analyze.StatementRef). */
export interface StatementRef {
  account?: string;
  kind: string;
  policy: string;
  /** `statement "Sid"` or `statement N`, 1-based. */
  statement: string;
  effect?: string;
}

/** One condition of a statement (analyze.Condition). */
export interface Condition {
  operator: string;
  key: string;
  values: string[];
}

/** One way in: from can reach to (analyze.Edge). */
export interface GraphEdge {
  from: string;
  to: string;
  kind: string;
  actions?: string[];
  crossAccount?: boolean;
  statements?: StatementRef[];
  requires?: Condition[];
  conditions?: Condition[];
  note?: string;
}

/** The access graph (analyze.Graph). */
export interface Graph {
  generatedAt?: string;
  accounts: string[];
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** One mistake found (analyze.Finding). */
export interface Finding {
  rule: string;
  severity: string;
  account: string;
  subject: string;
  statement?: StatementRef;
  message: string;
  fix: string;
  document?: string;
  path?: string[];
}

/** The severities, most severe first. */
export const severities = ['critical', 'high', 'medium', 'low', 'info'];

/** One condition key of an explain query (explain.ContextEntry). */
export interface ContextEntry {
  key: string;
  type?: string;
  values: string[];
}

/** An explain request (explain.Query). */
export interface Query {
  as: string;
  action?: string;
  resource?: string;
  assume?: string;
  externalId?: string;
  context?: ContextEntry[];
}

/** The types a context entry may have, as explain accepts them. */
export const contextTypes = [
  'string', 'stringList', 'numeric', 'numericList', 'boolean', 'booleanList',
  'ip', 'ipList', 'date', 'dateList', 'binary', 'binaryList',
];

/** One condition, evaluated (authz.ConditionTrace). */
export interface ConditionTrace {
  operator: string;
  key: string;
  policyValues: string[] | null;
  requestValues: string[] | null;
  present: boolean;
  result: string;
}

/** One statement, evaluated (authz.StatementTrace). */
export interface StatementTrace {
  number: number;
  sid?: string;
  effect: string;
  outcome: string;
  reason: string;
  deciding?: boolean;
  conditions?: ConditionTrace[];
}

/** One policy consulted (authz.PolicyTrace). */
export interface PolicyTrace {
  kind: string;
  name: string;
  accountId?: string;
  decision: string;
  statements: StatementTrace[] | null;
}

/** One account's side of a decision (authz.AccountTrace). */
export interface AccountTrace {
  accountId: string;
  side: string;
  decision: string;
  policies: PolicyTrace[] | null;
  note?: string;
}

/** What decided (authz.Deciding). */
export interface Deciding {
  accountId?: string;
  kind?: string;
  policy?: string;
  statement?: string;
  condition?: string;
}

/** The story of one decision (authz.Trace). */
export interface Trace {
  decision: string;
  principal: { arn: string; accountId?: string; type: string; id?: string };
  action: string;
  resource: string;
  resourceAccount?: string;
  context?: { key: string; values: string[] }[];
  accounts: AccountTrace[] | null;
  deciding?: Deciding;
  rule: string;
  reason?: string;
  fix?: string;
  warnings?: string[];
}

/** Who the console's token lets the reader see. */
export interface WhoAmI {
  scope: 'all' | 'account';
  account?: string;
}
