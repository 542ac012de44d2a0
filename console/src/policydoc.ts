// A policy document, pretty-printed, with one statement highlighted: the
// statement a finding or a trace names as `statement "Sid"` or
// `statement N` (1-based).
import { h } from './dom';

/** StatementRef is which statement to find: by Sid, or by number. */
type Which = { sid: string } | { number: number } | null;

/** parseStatementRef reads `statement "Sid"` or `statement N`. */
export function parseStatementRef(ref: string | undefined): Which {
  if (!ref) return null;
  const bySid = /^statement\s+(".*")$/.exec(ref.trim());
  if (bySid) {
    try {
      return { sid: JSON.parse(bySid[1]) as string };
    } catch {
      return { sid: bySid[1].slice(1, -1) };
    }
  }
  const byNumber = /^statement\s+(\d+)$/.exec(ref.trim());
  return byNumber ? { number: Number(byNumber[1]) } : null;
}

/** parseDocument reads a stored document: JSON, or URL-encoded JSON. */
function parseDocument(doc: string): Record<string, unknown> | null {
  for (const text of [doc, safeDecode(doc)]) {
    try {
      const v = JSON.parse(text) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // Try the next form.
    }
  }
  return null;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function indent(text: string, by: number): string {
  const pad = ' '.repeat(by);
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

function matches(stmt: unknown, index: number, which: Which): boolean {
  if (!which) return false;
  if ('number' in which) return which.number === index + 1;
  return !!stmt && typeof stmt === 'object' && (stmt as { Sid?: unknown }).Sid === which.sid;
}

/**
 * renderPolicy shows a document with the statement ref names highlighted
 * (class "stmt highlighted", data-testid "highlighted-statement").
 */
export function renderPolicy(doc: string, ref?: string): HTMLElement {
  const which = parseStatementRef(ref);
  const parsed = parseDocument(doc);
  if (!parsed) {
    return h('div', {}, h('p', { className: 'muted' }, 'The document is not JSON; shown as stored.'), h('pre', { className: 'policy' }, doc));
  }
  const pre = h('pre', { className: 'policy', 'data-testid': 'policy-document' });
  const keys = Object.keys(parsed);
  pre.append('{\n');
  keys.forEach((k, ki) => {
    const last = ki === keys.length - 1;
    const v = parsed[k];
    pre.append(`  ${JSON.stringify(k)}: `);
    if (k === 'Statement' && v && typeof v === 'object') {
      const list = Array.isArray(v) ? v : [v];
      if (Array.isArray(v)) pre.append('[');
      list.forEach((s, i) => {
        const text = indent(JSON.stringify(s, null, 2), Array.isArray(v) ? 4 : 2).trimStart();
        const lead = Array.isArray(v) ? '    ' : '  ';
        const comma = Array.isArray(v) && i < list.length - 1 ? ',' : '';
        const hit = matches(s, i, which);
        const span = h('span', { className: hit ? 'stmt highlighted' : 'stmt', 'data-statement': i + 1 }, lead + text + comma);
        if (hit) span.setAttribute('data-testid', 'highlighted-statement');
        // A block of its own (see styles.css): no newline after it.
        pre.append(span);
      });
      if (Array.isArray(v)) pre.append('  ]');
    } else {
      pre.append(indent(JSON.stringify(v, null, 2), 2).trimStart());
    }
    pre.append(last ? '\n' : ',\n');
  });
  pre.append('}');
  return pre;
}
