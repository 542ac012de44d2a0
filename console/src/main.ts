// The console's entry point: sign in, fetch the graph and the findings,
// and wire the graph, the search box, the filter and the side panel's
// tabs (details, findings, explain) together.
import './styles.css';
import { byId, h, replaceChildren } from './dom';
import { takeTokenFromFragment, getToken, setToken } from './auth';
import * as api from './api';
import { ApiError } from './api';
import { GraphIndex } from './graphindex';
import { GraphView, mark } from './graphview';
import type { Selection } from './graphview';
import { groupPrefix } from './view';
import { renderDetails } from './details';
import type { DetailActions } from './details';
import { FindingsPanel } from './findings';
import type { Finding, WhoAmI } from './model';
import { ExplainForm } from './explainform';
import { renderLegend } from './legend';
import { renderSearch } from './search';
import { AccountsFilter } from './accountsfilter';
import { showSignIn } from './signin';

type Tab = 'details' | 'findings' | 'explain';

function signInAgain(message: string): void {
  setToken('');
  byId('app').hidden = true;
  showSignIn(byId('signin'), message, () => location.reload());
}

function fatal(message: string): void {
  const el = byId('fatal');
  replaceChildren(el, h('p', { 'data-testid': 'fatal' }, message));
  el.hidden = false;
}

async function boot(): Promise<void> {
  takeTokenFromFragment();
  if (!getToken()) {
    byId('app').hidden = true;
    showSignIn(byId('signin'), '', () => {
      byId('signin').hidden = true;
      byId('app').hidden = false;
      void boot();
    });
    return;
  }
  // All three at once: the graph and the findings need no answer of whoami.
  const pending = Promise.allSettled([api.graph(), api.findings()]);
  let who: WhoAmI;
  try {
    who = await api.whoami();
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return signInAgain(`The token was refused: ${e.message}`);
    return fatal(`Cannot start the console: ${(e as Error).message}`);
  }
  byId('signin').hidden = true;
  byId('app').hidden = false;
  renderWho(who);
  mark('whoami');
  const [graph, findings] = await pending;
  mark('graph-fetched');
  if (graph.status === 'rejected') {
    const e = graph.reason as Error;
    if (e instanceof ApiError && e.status === 401) return signInAgain(`The token was refused: ${e.message}`);
    return fatal(`Cannot load the graph: ${e.message}`);
  }
  const ix = new GraphIndex(graph.value);
  mark('graph-indexed');
  start(ix, findings.status === 'fulfilled' ? findings.value : (findings.reason as Error), who);
}

function renderWho(who: WhoAmI): void {
  replaceChildren(
    byId('who'),
    h('span', { className: 'scope', 'data-testid': 'scope' }, who.scope === 'all' ? 'all accounts' : `account ${who.account}`),
    h('button', { type: 'button', className: 'small', onclick: () => { setToken(''); location.reload(); } }, 'Sign out'),
  );
}

function start(ix: GraphIndex, findings: Finding[] | Error, who: WhoAmI): void {
  const view = new GraphView(byId('graph'), ix);
  const tabs = new Map<Tab, HTMLElement>([['details', byId('tab-details')], ['findings', byId('tab-findings')], ['explain', byId('tab-explain')]]);
  const tabButtons = new Map<Tab, HTMLButtonElement>();
  const showTab = (t: Tab) => {
    if (t === 'explain') explainForm();
    for (const [k, el] of tabs) el.hidden = k !== t;
    for (const [k, b] of tabButtons) b.classList.toggle('on', k === t);
  };
  const findingCount = findings instanceof Error ? '!' : String(findings.length);
  for (const [t, label] of [['details', 'Details'], ['findings', `Findings (${findingCount})`], ['explain', 'Explain']] as [Tab, string][]) {
    const b = h('button', { type: 'button', 'data-testid': `tab-${t}`, onclick: () => showTab(t) }, label);
    tabButtons.set(t, b);
  }
  replaceChildren(byId('tabs'), [...tabButtons.values()]);
  showTab('details');

  // The explain form is made when first shown: its suggestions list the
  // principals and roles of a graph that may hold 50,000 of them.
  let form: ExplainForm | null = null;
  const explainForm = (): ExplainForm => {
    if (form) return form;
    const principals: string[] = [];
    const roles: string[] = [];
    for (const n of ix.nodes.values()) {
      if (!n.arn) continue;
      if (n.kind === 'role') roles.push(n.arn);
      if (n.kind === 'role' || n.kind === 'user' || n.kind === 'oidc-provider' || n.kind === 'account') principals.push(n.arn);
    }
    form = new ExplainForm(principals, roles);
    replaceChildren(byId('tab-explain'), form.el);
    return form;
  };

  const filter = new AccountsFilter(ix, view.state.excluded, (ex) => view.setExcluded(ex));
  const actions: DetailActions = {
    select: (id) => view.select(id),
    focus: (id) => view.focusOn(id),
    neighbours: (id) => view.reveal([id, ...ix.neighbours(id)], id),
    expand: (g) => view.expandGroup(g),
    collapse: (g) => view.collapseGroup(g),
    only: (g) => {
      const ex = new Set(ix.groups.filter((x) => x !== g));
      filter.set(ex);
      view.setExcluded(ex);
      view.expandGroup(g);
    },
    explain: (p) => {
      explainForm().prefill(p);
      showTab('explain');
    },
  };
  const expanded = (g: string) => view.cy.getElementById(groupPrefix + g).nonempty();
  let lastSel: Selection | null = null;
  // A finding picked selects its subject: the findings tab stays.
  let stay = false;
  view.onSelect = (sel) => {
    lastSel = sel;
    replaceChildren(byId('tab-details'), renderDetails(ix, sel, actions, expanded));
    if (sel && !stay) showTab('details');
  };
  view.onRedraw = (summary) => {
    replaceChildren(byId('status'), h('span', {}, summary), view.state.focus ? h('button', { type: 'button', className: 'small', onclick: () => view.unfocus() }, 'Back to the whole graph') : null);
    if (lastSel?.type === 'group') replaceChildren(byId('tab-details'), renderDetails(ix, lastSel, actions, expanded));
  };
  replaceChildren(byId('tab-details'), renderDetails(ix, null, actions, expanded));

  if (findings instanceof Error) {
    replaceChildren(byId('tab-findings'), h('p', { className: 'error' }, `Cannot load the findings: ${findings.message}`));
  } else {
    const panel = new FindingsPanel(
      findings,
      (f) => {
        const subject = ix.nodes.has(f.subject) ? f.subject : [...ix.nodes.values()].find((n) => n.arn === f.subject)?.id;
        stay = true;
        try {
          if (f.path?.length) view.reveal(f.path.filter((id) => ix.nodes.has(id)));
          if (subject) view.select(subject);
        } finally {
          stay = false;
        }
        showTab('findings');
      },
      (id) => view.select(id),
    );
    replaceChildren(byId('tab-findings'), panel.el);
  }

  replaceChildren(byId('search'), renderSearch(ix, (id) => view.select(id)));
  const filterEl = byId('accounts-filter');
  replaceChildren(filterEl, filter.el);
  const big = ix.nodes.size > 5000;
  replaceChildren(
    byId('toolbar'),
    h('button', { type: 'button', onclick: () => { filterEl.hidden = !filterEl.hidden; }, 'data-testid': 'accounts-button' }, `Accounts (${ix.groups.length})`),
    h('button', { type: 'button', onclick: () => view.collapseAll(), title: 'one node per account' }, 'Overview'),
    h('button', { type: 'button', onclick: () => view.expandAll(), disabled: big, title: big ? 'too many nodes to draw at once: open accounts one by one' : 'draw every node' }, 'Open all'),
    h('button', { type: 'button', onclick: () => { view.clearHighlight(); view.cy.elements(':selected').unselect(); } }, 'Clear'),
    h('button', { type: 'button', onclick: () => view.fit() }, 'Fit'),
  );
  replaceChildren(byId('legend'), renderLegend(ix));
  view.start(who.scope === 'account' ? who.account : undefined);
}

void boot().catch((e: unknown) => fatal(`The console failed: ${(e as Error).message}`));
