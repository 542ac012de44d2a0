// The findings list, linked to the graph: picking a finding selects its
// subject in the graph and shows the finding with its policy document,
// the responsible statement highlighted.
import { h, replaceChildren } from './dom';
import { severities } from './model';
import type { Finding } from './model';
import { renderPolicy } from './policydoc';

/** shortName is the last part of an ARN: "role/foo_bar" → "foo_bar". */
export function shortName(arn: string): string {
  const tail = arn.split(':').pop() ?? arn;
  return tail.split('/').pop() || tail;
}

export class FindingsPanel {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly off = new Set<string>();
  private text = '';
  private picked: Finding | null = null;

  /** onPick is called with the finding the reader picked; onNode with a node of its path. */
  constructor(private readonly findings: Finding[], private readonly onPick: (f: Finding) => void, private readonly onNode: (id: string) => void) {
    const rank = (s: string) => (severities.indexOf(s) < 0 ? severities.length : severities.indexOf(s));
    this.findings = [...findings].sort((a, b) => rank(a.severity) - rank(b.severity) || a.account.localeCompare(b.account) || a.rule.localeCompare(b.rule));
    this.list = h('ul', { className: 'findings-list', 'data-testid': 'findings-list' });
    this.detail = h('div', { className: 'finding-detail', 'data-testid': 'finding-detail', hidden: true });
    const chips = h('div', { className: 'chips' });
    for (const s of severities) {
      const n = this.findings.filter((f) => f.severity === s).length;
      const chip = h('button', { type: 'button', className: 'chip on', 'data-severity': s }, h('span', { className: 'dot', 'data-severity': s }), `${s} ${n}`);
      chip.addEventListener('click', () => {
        if (this.off.has(s)) this.off.delete(s);
        else this.off.add(s);
        chip.classList.toggle('on', !this.off.has(s));
        this.renderList();
      });
      chips.append(chip);
    }
    const filter = h('input', { type: 'search', placeholder: 'filter findings…', className: 'findings-filter' });
    filter.addEventListener('input', () => {
      this.text = filter.value.trim().toLowerCase();
      this.renderList();
    });
    this.el = h('div', { className: 'findings' }, h('div', { className: 'findings-tools' }, chips, filter), this.list, this.detail);
    this.renderList();
  }

  private renderList(): void {
    const shown = this.findings.filter(
      (f) => !this.off.has(f.severity) && (!this.text || `${f.rule} ${f.subject} ${f.message} ${f.account}`.toLowerCase().includes(this.text)),
    );
    if (this.findings.length === 0) {
      replaceChildren(this.list, h('li', { className: 'muted' }, 'No findings: nothing the rules know of is wrong.'));
      return;
    }
    replaceChildren(
      this.list,
      shown.slice(0, 500).map((f) => {
        const li = h(
          'li',
          { className: f === this.picked ? 'finding picked' : 'finding', 'data-testid': 'finding', 'data-rule': f.rule, 'data-severity': f.severity, tabindex: 0 },
          h('span', { className: 'sev', 'data-severity': f.severity }, f.severity),
          h('span', { className: 'rule' }, f.rule),
          h('span', { className: 'subject', title: f.subject }, `${shortName(f.subject)} · ${f.account}`),
          h('div', { className: 'message' }, f.message),
        );
        const pick = () => this.pick(f);
        li.addEventListener('click', pick);
        li.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter') pick();
        });
        return li;
      }),
      shown.length > 500 ? h('li', { className: 'muted' }, `${shown.length - 500} more: filter to see them`) : null,
    );
  }

  /** pick shows a finding and tells the console to select its subject. */
  pick(f: Finding): void {
    this.picked = f;
    this.renderList();
    const ref = f.statement;
    replaceChildren(
      this.detail,
      h('div', { className: 'detail-head' }, h('span', { className: 'sev', 'data-severity': f.severity }, f.severity), h('strong', {}, f.rule), h('button', { type: 'button', className: 'small', onclick: () => this.close() }, 'close')),
      h('p', { className: 'message' }, f.message),
      h('p', {}, h('span', { className: 'label' }, 'subject '), h('code', {}, f.subject)),
      ref ? h('p', { 'data-testid': 'finding-statement' }, h('span', { className: 'label' }, 'where '), `${ref.kind} "${ref.policy}", ${ref.statement}${ref.account ? ` (account ${ref.account})` : ''}`) : null,
      f.fix ? h('p', { className: 'fix' }, h('span', { className: 'label' }, 'fix '), f.fix) : null,
      f.path?.length
        ? h('p', { className: 'path' }, h('span', { className: 'label' }, 'path '), f.path.flatMap((id, i) => [i > 0 ? ' → ' : '', h('a', { href: '#', onclick: (ev: Event) => { ev.preventDefault(); this.onNode(id); } }, shortName(id))]))
        : null,
      f.document ? renderPolicy(f.document, ref?.statement) : null,
    );
    this.detail.hidden = false;
    this.detail.querySelector('[data-testid="highlighted-statement"]')?.scrollIntoView({ block: 'nearest' });
    this.onPick(f);
  }

  private close(): void {
    this.picked = null;
    this.detail.hidden = true;
    this.renderList();
  }
}
