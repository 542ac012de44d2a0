// The search box: find a node by name or ARN and select it.
import { h, replaceChildren } from './dom';
import type { GraphIndex } from './graphindex';
import { nodeLooks } from './colors';

/** renderSearch makes the search box; onPick gets the picked node's ID. */
export function renderSearch(ix: GraphIndex, onPick: (id: string) => void): HTMLElement {
  const input = h('input', { type: 'search', placeholder: 'Find a role, user, resource… (name or ARN)', 'data-testid': 'search', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'find a node' });
  const results = h('ul', { className: 'search-results', 'data-testid': 'search-results', hidden: true });
  let timer = 0;
  let active = 0;
  const items = () => [...results.querySelectorAll('li[data-id]')] as HTMLElement[];
  const mark = () => items().forEach((li, i) => li.classList.toggle('active', i === active));
  const pick = (id: string) => {
    results.hidden = true;
    input.value = ix.nodes.get(id)?.name ?? id;
    onPick(id);
  };
  const update = () => {
    const found = ix.search(input.value);
    active = 0;
    replaceChildren(
      results,
      found.length === 0 && input.value.trim() ? h('li', { className: 'muted' }, 'no node matches') : null,
      found.map((n) =>
        h('li', { 'data-id': n.id, onmousedown: (ev: Event) => { ev.preventDefault(); pick(n.id); } },
          h('span', { className: 'kind', 'data-kind': n.kind }, nodeLooks[n.kind]?.label ?? n.kind), ' ', h('strong', {}, n.name), h('span', { className: 'muted' }, ` ${n.account ?? ''}`)),
      ),
    );
    results.hidden = !input.value.trim();
    mark();
  };
  input.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 120);
  });
  input.addEventListener('keydown', (ev) => {
    const list = items();
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      active = Math.max(0, Math.min(list.length - 1, active + (ev.key === 'ArrowDown' ? 1 : -1)));
      mark();
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      window.clearTimeout(timer);
      update();
      const id = items()[active]?.dataset.id;
      if (id) pick(id);
    } else if (ev.key === 'Escape') {
      results.hidden = true;
    }
  });
  input.addEventListener('blur', () => window.setTimeout(() => (results.hidden = true), 150));
  return h('div', { className: 'search-box' }, input, results);
}
