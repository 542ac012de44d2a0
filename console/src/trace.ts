// The trace of one decision, as POST /_assumed/explain answers it: the
// decision and the rule, then each account's side, policy by policy,
// statement by statement, condition by condition, with the statement
// that decided marked.
import { h } from './dom';
import type { ConditionTrace, PolicyTrace, StatementTrace, Trace } from './model';

/** decisionBadge shows a decision in its colour. */
export function decisionBadge(decision: string, testid?: string): HTMLElement {
  return h('span', { className: `decision decision-${decision}`, 'data-testid': testid }, decision);
}

function row(label: string, value: string | Node | undefined): HTMLElement | null {
  if (value === undefined || value === '') return null;
  return h('div', { className: 'kv' }, h('dt', {}, label), h('dd', {}, value));
}

/** renderTrace shows a whole trace. */
export function renderTrace(t: Trace): HTMLElement {
  const d = t.deciding;
  const decidingText = d ? [d.accountId && `account ${d.accountId}`, d.kind, d.policy && `"${d.policy}"`, d.statement, d.condition].filter(Boolean).join(', ') : '';
  return h(
    'div',
    { className: 'trace', 'data-testid': 'trace' },
    h('div', { className: 'trace-head' }, decisionBadge(t.decision, 'trace-decision'), h('span', { className: 'trace-rule', 'data-testid': 'trace-rule' }, t.rule)),
    h(
      'dl',
      { className: 'kvs' },
      row('principal', `${t.principal.arn} (${t.principal.type})`),
      row('action', t.action),
      row('resource', t.resource),
      row('owner', t.resourceAccount),
      row('deciding', decidingText ? h('span', { 'data-testid': 'trace-deciding' }, decidingText) : undefined),
      row('reason', t.reason ? h('span', { 'data-testid': 'trace-reason' }, t.reason) : undefined),
      row('fix', t.fix ? h('span', { className: 'fix', 'data-testid': 'trace-fix' }, t.fix) : undefined),
    ),
    t.warnings?.length ? h('ul', { className: 'warnings' }, t.warnings.map((w) => h('li', {}, w))) : null,
    t.context?.length
      ? h('details', { className: 'context' }, h('summary', {}, `request context (${t.context.length} keys)`), h('table', {}, t.context.map((c) => h('tr', {}, h('td', {}, c.key), h('td', {}, c.values.join(', '))))))
      : null,
    (t.accounts ?? []).map((a) =>
      h(
        'section',
        { className: 'trace-account' },
        h('h4', {}, `account ${a.accountId}`, h('span', { className: 'muted' }, ` · ${a.side} · `), decisionBadge(a.decision)),
        a.note ? h('p', { className: 'note' }, a.note) : null,
        (a.policies ?? []).length === 0 ? h('p', { className: 'muted' }, 'no policies consulted') : null,
        (a.policies ?? []).map(renderPolicyTrace),
      ),
    ),
  );
}

function renderPolicyTrace(p: PolicyTrace): HTMLElement {
  const statements = p.statements ?? [];
  const decides = statements.some((s) => s.deciding);
  return h(
    'details',
    { className: 'trace-policy', open: decides || statements.length <= 4 },
    h('summary', {}, h('span', { className: 'policy-kind' }, p.kind), ` "${p.name}" `, decisionBadge(p.decision)),
    statements.map(renderStatementTrace),
  );
}

function renderStatementTrace(s: StatementTrace): HTMLElement {
  const label = s.sid ? `statement "${s.sid}"` : `statement ${s.number}`;
  const el = h(
    'div',
    { className: s.deciding ? 'trace-stmt deciding' : 'trace-stmt', 'data-statement': s.number },
    h(
      'div',
      { className: 'stmt-head' },
      s.deciding ? h('span', { className: 'deciding-mark', title: 'this statement decided' }, '▶ deciding') : null,
      h('strong', {}, label),
      h('span', { className: `effect effect-${s.effect}` }, s.effect),
      h('span', { className: 'outcome' }, s.outcome),
    ),
    s.reason ? h('div', { className: 'stmt-reason' }, s.reason) : null,
    s.conditions?.length ? renderConditions(s.conditions) : null,
  );
  if (s.deciding) el.setAttribute('data-testid', 'deciding-statement');
  return el;
}

function renderConditions(cs: ConditionTrace[]): HTMLElement {
  return h(
    'table',
    { className: 'conditions' },
    h('tr', {}, h('th', {}, 'condition'), h('th', {}, 'policy'), h('th', {}, 'request'), h('th', {}, 'result')),
    cs.map((c) =>
      h(
        'tr',
        { className: `cond-${c.result}` },
        h('td', {}, `${c.operator} ${c.key}`),
        h('td', {}, (c.policyValues ?? []).join(', ')),
        h('td', {}, c.present ? (c.requestValues ?? []).join(', ') : h('em', {}, 'absent')),
        h('td', {}, c.result),
      ),
    ),
  );
}
