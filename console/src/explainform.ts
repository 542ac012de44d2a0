// The explain form: a principal, and a role to assume (with an external
// ID) or an action on a resource, with condition keys for the request's
// context; it POSTs the query to /_assumed/explain and shows the trace.
import { h, replaceChildren } from './dom';
import { contextTypes } from './model';
import type { ContextEntry, Query } from './model';
import { explain } from './api';
import { renderTrace } from './trace';

/** What the form may be filled with from elsewhere in the console. */
export interface Prefill {
  as?: string;
  assume?: string;
  action?: string;
  resource?: string;
}

export class ExplainForm {
  readonly el: HTMLElement;
  private readonly as: HTMLInputElement;
  private readonly modeAssume: HTMLInputElement;
  private readonly modeAction: HTMLInputElement;
  private readonly assume: HTMLInputElement;
  private readonly externalId: HTMLInputElement;
  private readonly action: HTMLInputElement;
  private readonly resource: HTMLInputElement;
  private readonly contextRows: HTMLElement;
  private readonly result: HTMLElement;
  private readonly submit: HTMLButtonElement;

  /** principals and roles feed the fields' suggestions. */
  constructor(principals: string[], roles: string[]) {
    this.as = h('input', { type: 'text', required: true, list: 'explain-principals', placeholder: 'arn:aws:iam::222222222222:role/bar', 'data-testid': 'explain-as', autocomplete: 'off', spellcheck: 'false' });
    this.modeAssume = h('input', { type: 'radio', name: 'explain-mode', value: 'assume', checked: true, 'data-testid': 'explain-mode-assume' });
    this.modeAction = h('input', { type: 'radio', name: 'explain-mode', value: 'action', 'data-testid': 'explain-mode-action' });
    this.assume = h('input', { type: 'text', list: 'explain-roles', placeholder: 'arn:aws:iam::111111111111:role/foo_bar', 'data-testid': 'explain-assume', autocomplete: 'off', spellcheck: 'false' });
    this.externalId = h('input', { type: 'text', placeholder: 'optional', 'data-testid': 'explain-external-id', autocomplete: 'off' });
    this.action = h('input', { type: 'text', placeholder: 's3:GetObject', 'data-testid': 'explain-action', autocomplete: 'off', spellcheck: 'false' });
    this.resource = h('input', { type: 'text', placeholder: 'arn:aws:s3:::bucket/key (default *)', 'data-testid': 'explain-resource', autocomplete: 'off', spellcheck: 'false' });
    this.contextRows = h('div', { className: 'context-rows' });
    this.result = h('div', { className: 'explain-result', 'aria-live': 'polite' });
    this.submit = h('button', { type: 'submit', className: 'primary', 'data-testid': 'explain-submit' }, 'Explain');
    const assumeFields = h('div', { className: 'mode-fields' }, field('Role to assume', this.assume), field('External ID', this.externalId));
    const actionFields = h('div', { className: 'mode-fields', hidden: true }, field('Action', this.action), field('Resource', this.resource));
    const syncMode = () => {
      assumeFields.hidden = !this.modeAssume.checked;
      actionFields.hidden = this.modeAssume.checked;
    };
    this.modeAssume.addEventListener('change', syncMode);
    this.modeAction.addEventListener('change', syncMode);
    const form = h(
      'form',
      { className: 'explain-form', 'data-testid': 'explain-form', novalidate: true },
      field('Principal (ARN)', this.as),
      h('div', { className: 'modes' }, h('label', {}, this.modeAssume, ' assume a role'), h('label', {}, this.modeAction, ' perform an action')),
      assumeFields,
      actionFields,
      h('div', { className: 'context-head' }, h('span', {}, 'Context keys'), h('button', { type: 'button', className: 'small', 'data-testid': 'explain-add-context', onclick: () => this.addContextRow() }, '+ key')),
      this.contextRows,
      h('div', { className: 'actions' }, this.submit),
      datalist('explain-principals', principals),
      datalist('explain-roles', roles),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.run();
    });
    this.el = h('div', {}, form, this.result);
  }

  /** prefill fills the form (an assumption when assume is given). */
  prefill(p: Prefill): void {
    if (p.as !== undefined) this.as.value = p.as;
    if (p.assume !== undefined) {
      this.assume.value = p.assume;
      this.modeAssume.checked = true;
    } else if (p.action !== undefined || p.resource !== undefined) {
      this.action.value = p.action ?? this.action.value;
      this.resource.value = p.resource ?? this.resource.value;
      this.modeAction.checked = true;
    }
    this.modeAssume.dispatchEvent(new Event('change'));
  }

  private addContextRow(entry?: ContextEntry): void {
    const key = h('input', { type: 'text', placeholder: 'aws:SourceIp', className: 'ctx-key', value: entry?.key ?? '', autocomplete: 'off', spellcheck: 'false' });
    const type = h('select', { className: 'ctx-type' }, contextTypes.map((t) => h('option', { value: t }, t)));
    type.value = entry?.type ?? 'string';
    const values = h('input', { type: 'text', placeholder: 'value, value…', className: 'ctx-values', value: entry?.values.join(', ') ?? '', autocomplete: 'off' });
    const row = h('div', { className: 'context-row' }, key, type, values);
    row.append(h('button', { type: 'button', className: 'small', title: 'remove', onclick: () => row.remove() }, '×'));
    this.contextRows.append(row);
  }

  /** query reads the form. */
  private query(): Query {
    const q: Query = { as: this.as.value.trim() };
    if (this.modeAssume.checked) {
      q.assume = this.assume.value.trim();
      if (this.externalId.value !== '') q.externalId = this.externalId.value;
    } else {
      q.action = this.action.value.trim();
      if (this.resource.value.trim() !== '') q.resource = this.resource.value.trim();
    }
    const context: ContextEntry[] = [];
    for (const row of this.contextRows.querySelectorAll('.context-row')) {
      const key = (row.querySelector('.ctx-key') as HTMLInputElement).value.trim();
      if (!key) continue;
      const type = (row.querySelector('.ctx-type') as HTMLSelectElement).value;
      const raw = (row.querySelector('.ctx-values') as HTMLInputElement).value;
      const values = type.endsWith('List') ? raw.split(',').map((v) => v.trim()).filter((v) => v !== '') : [raw.trim()];
      context.push({ key, type, values });
    }
    if (context.length > 0) q.context = context;
    return q;
  }

  /** run sends the query and shows the trace or the error. */
  async run(): Promise<void> {
    const q = this.query();
    if (!q.as || (this.modeAssume.checked ? !q.assume : !q.action)) {
      replaceChildren(this.result, h('p', { className: 'error', 'data-testid': 'explain-error' }, this.modeAssume.checked ? 'Give a principal and a role to assume.' : 'Give a principal and an action.'));
      return;
    }
    this.submit.disabled = true;
    replaceChildren(this.result, h('p', { className: 'muted' }, 'Explaining…'));
    try {
      const t = await explain(q);
      replaceChildren(this.result, renderTrace(t));
    } catch (e) {
      const err = e as Error & { code?: string };
      replaceChildren(this.result, h('p', { className: 'error', 'data-testid': 'explain-error' }, err.code ? `${err.code}: ${err.message}` : err.message));
    } finally {
      this.submit.disabled = false;
    }
  }
}

function field(label: string, input: HTMLElement): HTMLElement {
  return h('label', { className: 'field' }, h('span', {}, label), input);
}

function datalist(id: string, values: string[]): HTMLElement {
  // A browser slows down on a huge datalist: suggest the first ones only.
  return h('datalist', { id }, values.slice(0, 3000).map((v) => h('option', { value: v })));
}
