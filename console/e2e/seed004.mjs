// The console of a real assumed server holding seed 004's world: the
// cross-account edge in the graph, explain of a refusal, a finding's
// statement highlighted, and signing in with an account's access key.
import { check, env, main, open, waitRendered, watch } from './lib.mjs';

const roleA = env('ROLE_A');
const roleB = env('ROLE_B');
const maxFirstRender = Number(process.env.MAX_FIRST_RENDER_MS || 3000);

await main('seed004', async ({ browser, page, shots, problems }) => {
  // Load with the token: it moves to sessionStorage, out of the address bar.
  await open(page, env('CONSOLE_URL'));
  const metrics = await waitRendered(page);
  check(!page.url().includes('token'), `the token stayed in the address bar: ${page.url()}`);
  check(await page.evaluate(() => !!sessionStorage.getItem('assumed.console.token')), 'the token is not in sessionStorage');
  check(metrics.firstRenderMs <= maxFirstRender, `first render took ${metrics.firstRenderMs} ms`);
  await page.waitForTimeout(300);
  await shots.take(page, 'graph');

  // The graph holds B's bar → A's foo_bar, a cross-account can-assume edge.
  const edge = await page.evaluate(([from, to]) => {
    const e = window.__assumedGraph.edges().filter((e) => e.source().id() === from && e.target().id() === to && e.data('kind') === 'can-assume');
    return e.nonempty() ? { id: e.id(), cross: e.data('cross') } : null;
  }, [roleB, roleA]);
  check(edge, `the graph has no can-assume edge ${roleB} → ${roleA}`);
  check(edge.cross === 'yes', `the edge ${roleB} → ${roleA} is not marked cross-account`);
  const legend = await page.textContent('[data-testid="legend"]');
  check(/can assume/.test(legend) && /cross-account \(\d+\)/.test(legend), `the legend lacks the edge kinds: ${legend}`);
  await page.evaluate((id) => { window.__assumedGraph.getElementById(id).emit('tap'); }, edge.id);
  await page.waitForSelector(`[data-testid="edge-detail"][data-from="${roleB}"][data-to="${roleA}"]`);
  const edgeText = await page.textContent('[data-testid="edge-detail"]');
  check(/cross-account/.test(edgeText), `the edge's details don't say cross-account: ${edgeText}`);
  await shots.take(page, 'edge');

  // Find foo_bar: the paths to it (from bar) are highlighted.
  await page.fill('[data-testid="search"]', 'foo_bar');
  await page.waitForSelector(`[data-testid="search-results"] li[data-id="${roleA}"]`);
  await page.press('[data-testid="search"]', 'Enter');
  await page.waitForSelector(`[data-testid="node-detail"][data-node="${roleA}"]`);
  const onPath = await page.evaluate((id) => window.__assumedGraph.getElementById(id).hasClass('path'), roleB);
  check(onPath, 'bar is not highlighted on a path to foo_bar');
  const waysIn = await page.textContent('[data-testid="node-detail"]');
  check(/Ways in/.test(waysIn) && /\bbar\b/.test(waysIn), `foo_bar's ways in don't list bar: ${waysIn}`);
  await shots.take(page, 'paths-to-foo_bar');

  // Explain: B's intern may not assume A's foo_bar.
  await page.click('[data-testid="tab-explain"]');
  await page.fill('[data-testid="explain-as"]', env('DENIED_PRINCIPAL'));
  await page.check('[data-testid="explain-mode-assume"]');
  await page.fill('[data-testid="explain-assume"]', roleA);
  await page.click('[data-testid="explain-add-context"]');
  await page.fill('.context-row .ctx-key', 'aws:SourceIp');
  await page.selectOption('.context-row .ctx-type', 'ip');
  await page.fill('.context-row .ctx-values', '192.0.2.10');
  await page.click('[data-testid="explain-submit"]');
  await page.waitForSelector('[data-testid="trace-decision"], [data-testid="explain-error"]');
  const explainError = await page.$('[data-testid="explain-error"]');
  check(!explainError, `explain failed: ${explainError && (await explainError.textContent())}`);
  const decision = (await page.textContent('[data-testid="trace-decision"]')).trim();
  check(decision === 'implicitDeny' || decision === 'explicitDeny', `decision ${decision}, want a denial`);
  const deciding = page.locator('[data-testid="deciding-statement"]');
  check((await deciding.count()) === 1, `${await deciding.count()} deciding statements shown`);
  check(await deciding.isVisible(), 'the deciding statement is not visible');
  const decidingText = await deciding.textContent();
  const want = env('DENYING_STATEMENT');
  check(decidingText.includes(want), `the deciding statement shown is ${decidingText}, want ${want}`);
  check((await page.textContent('[data-testid="trace-deciding"]')).includes(want), 'the trace head does not name the deciding statement');
  const context = await page.textContent('[data-testid="trace"] .context');
  check(context.includes('aws:SourceIp') && context.includes('192.0.2.10'), `the request context doesn't hold the key given: ${context}`);
  await deciding.scrollIntoViewIfNeeded();
  await shots.take(page, 'explain-denied');

  // A finding: foo_bar trusts B's whole account. Pick it: foo_bar is
  // selected in the graph, the trust statement highlighted in its document.
  await page.click('[data-testid="tab-findings"]');
  const finding = page.locator(`[data-testid="finding"]:has(.subject[title="${roleA}"])`).first();
  check((await finding.count()) === 1, `no finding about ${roleA}: ${await page.textContent('[data-testid="findings"]')}`);
  const rule = await finding.getAttribute('data-rule');
  await finding.click();
  const hl = page.locator('[data-testid="finding-detail"] [data-testid="highlighted-statement"]');
  await hl.waitFor({ state: 'visible' });
  const hlText = await hl.textContent();
  check(hlText.includes(env('TRUSTED_PRINCIPAL')), `the highlighted statement is not the trust of B's account: ${hlText}`);
  const selected = await page.evaluate(() => window.__assumedGraph.$('node:selected').map((n) => n.id()));
  check(selected.length === 1 && selected[0] === roleA, `selected in the graph: ${selected}, want ${roleA}`);
  check(await page.evaluate((id) => window.__assumedGraph.getElementById(id).hasClass('target'), roleA), 'foo_bar is not highlighted');
  await shots.take(page, 'finding');

  // Signing in with B's root access key: B's view only.
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const p2 = await ctx.newPage();
  watch(p2, problems);
  await open(p2, env('CONSOLE_PLAIN_URL'));
  await p2.waitForSelector('[data-testid="signin"]');
  await p2.fill('[data-testid="signin-access-key-id"]', env('ACCOUNT_B_KEY_ID'));
  await p2.fill('[data-testid="signin-secret-access-key"]', 'not-the-secret');
  await p2.click('[data-testid="signin-key-submit"]');
  await p2.waitForSelector('[data-testid="signin-error"]:not([hidden])');
  const refusal = (await p2.textContent('[data-testid="signin-error"]')).trim();
  check(refusal.length > 0, 'a wrong secret shows no message');
  await shots.take(p2, 'signin-refused');
  await p2.fill('[data-testid="signin-secret-access-key"]', env('ACCOUNT_B_SECRET'));
  await p2.click('[data-testid="signin-key-submit"]');
  await waitRendered(p2);
  const scope = await p2.textContent('[data-testid="scope"]');
  check(scope.includes(env('ACCOUNT_B')), `signed in with B's key, the scope is ${scope}`);
  check(await p2.evaluate((id) => window.__assumedGraph.getElementById(id).nonempty(), roleB), 'B\'s view has no bar');
  await p2.waitForTimeout(300);
  await shots.take(p2, 'account-b-view');
  return { firstRenderMs: metrics.firstRenderMs, decision, finding: rule, signInRefusal: refusal };
});
