// The accounts filter: which accounts the graph draws.
import { h, replaceChildren } from './dom';
import type { GraphIndex } from './graphindex';
import { accountColor } from './colors';

/** AccountsFilter is the popover listing the accounts with a checkbox each. */
export class AccountsFilter {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private text = '';
  private timer = 0;

  constructor(private readonly ix: GraphIndex, private excluded: Set<string>, private readonly onChange: (excluded: Set<string>) => void) {
    const find = h('input', { type: 'search', placeholder: 'filter accounts…', 'aria-label': 'filter accounts' });
    find.addEventListener('input', () => {
      this.text = find.value.trim().toLowerCase();
      this.render();
    });
    this.list = h('ul', { className: 'accounts-list', 'data-testid': 'accounts-list' });
    this.el = h(
      'div',
      {},
      h('div', { className: 'filter-head' }, find,
        h('button', { type: 'button', className: 'small', onclick: () => this.setAll(false) }, 'all'),
        h('button', { type: 'button', className: 'small', onclick: () => this.setAll(true) }, 'none')),
      this.list,
    );
    this.render();
  }

  /** set replaces the excluded accounts (after a change made elsewhere). */
  set(excluded: Set<string>): void {
    this.excluded = new Set(excluded);
    this.render();
  }

  private visible(): string[] {
    return this.ix.groups.filter((g) => !this.text || this.ix.groupLabel(g).toLowerCase().includes(this.text));
  }

  private setAll(exclude: boolean): void {
    for (const g of this.visible()) {
      if (exclude) this.excluded.add(g);
      else this.excluded.delete(g);
    }
    this.render();
    this.changed();
  }

  private changed(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.onChange(new Set(this.excluded)), 200);
  }

  private render(): void {
    const groups = this.visible();
    replaceChildren(
      this.list,
      groups.slice(0, 1500).map((g) => {
        const box = h('input', { type: 'checkbox', checked: !this.excluded.has(g), 'data-account': g });
        box.addEventListener('change', () => {
          if (box.checked) this.excluded.delete(g);
          else this.excluded.add(g);
          this.changed();
        });
        const dot = h('span', { className: 'swatch' });
        dot.style.setProperty('background-color', accountColor(g));
        return h('li', {}, h('label', {}, box, dot, this.ix.groupLabel(g), h('span', { className: 'muted' }, ` ${this.ix.byGroup.get(g)?.length ?? 0}`)));
      }),
      groups.length > 1500 ? h('li', { className: 'muted' }, `${groups.length - 1500} more: filter to see them`) : null,
    );
  }
}
