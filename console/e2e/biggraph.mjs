// The console with a big graph (CONSOLE_URL serves one of ~50,000 nodes):
// the first render (the accounts' overview) must take at most
// MAX_FIRST_RENDER_MS, and the console must stay usable: find a role,
// open its account, highlight the paths to it.
import { check, env, main, open, waitRendered, watch } from './lib.mjs';

const maxFirstRender = Number(process.env.MAX_FIRST_RENDER_MS || 3000);

await main('biggraph', async ({ browser, page: first, shots, problems }) => {
  // The first render, in a fresh browser context each time (nothing
  // cached): up to three tries, for a machine busy with other tests at
  // the moment of one; the best counts.
  let page = first;
  let metrics;
  const tries = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) {
      await page.context().close();
      page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
      watch(page, problems);
    }
    await open(page, env('CONSOLE_URL'));
    metrics = await waitRendered(page);
    tries.push(metrics.firstRenderMs);
    console.error(`first render steps (ms since navigation): ${JSON.stringify(metrics.marks)}`);
    if (metrics.firstRenderMs <= maxFirstRender) break;
  }
  await shots.take(page, 'overview');
  check(metrics.graphNodes >= 50000, `the graph has ${metrics.graphNodes} nodes, want 50000 or more`);
  check(metrics.drawnNodes <= 2000, `the first view draws ${metrics.drawnNodes} nodes: a big graph must start aggregated`);
  const best = Math.min(...tries);
  check(best <= maxFirstRender, `first render took ${tries.join(', ')} ms in ${tries.length} tries, more than ${maxFirstRender} ms`);

  // Find a role deep in the graph and select it: its account opens for it.
  const target = env('TARGET_NODE');
  const targetName = target.split('/').pop();
  let t0 = Date.now();
  await page.fill('[data-testid="search"]', target);
  await page.waitForSelector(`[data-testid="search-results"] li[data-id="${target}"]`);
  await page.press('[data-testid="search"]', 'Enter');
  await page.waitForFunction((id) => window.__assumedGraph.getElementById(id).selected(), target);
  const selectMs = Date.now() - t0;
  const paths = await page.evaluate(() => window.__assumedGraph.elements('.path').length);
  check(paths >= 2, `selecting ${target} highlighted ${paths} elements`);
  await page.waitForSelector(`[data-testid="node-detail"][data-node="${target}"]`);
  await page.waitForTimeout(400);
  await shots.take(page, `selected-${targetName}`);

  // Open a whole account from the overview.
  const account = env('EXPAND_ACCOUNT');
  t0 = Date.now();
  await page.evaluate((a) => { window.__assumedGraph.getElementById(`agg::${a}`).emit('tap'); }, account);
  await page.click('[data-testid="expand-account"]');
  await page.waitForFunction((a) => window.__assumedGraph.getElementById(`acct::${a}`).children().length >= 50, account);
  const expandMs = Date.now() - t0;
  await page.waitForTimeout(400);
  await shots.take(page, `expanded-${account}`);

  // Only the paths to the target.
  t0 = Date.now();
  await page.evaluate((id) => { window.__assumedGraph.getElementById(id).emit('tap'); }, target);
  await page.click('[data-testid="focus-paths"]');
  await page.waitForFunction(() => /with a path to/.test(document.querySelector('[data-testid="graph-status"]').textContent));
  const focusMs = Date.now() - t0;
  const focused = await page.evaluate(() => window.__assumedGraph.nodes().length);
  await page.waitForTimeout(600);
  await shots.take(page, 'paths-only');
  // Filter the accounts: none, then one.
  await page.click('text=Back to the whole graph');
  await page.click('[data-testid="accounts-button"]');
  await page.click('.accounts-filter button:has-text("none")');
  await page.waitForFunction(() => window.__assumedGraph.nodes().length === 0);
  await page.fill('.accounts-filter input[type="search"]', '100000000012');
  await page.check('[data-testid="accounts-list"] input[data-account="100000000012"]');
  await page.waitForFunction(() => window.__assumedGraph.nodes().length > 0);
  const left = await page.evaluate(() => window.__assumedGraph.nodes().map((n) => n.data('account')));
  check(left.every((a) => a === '100000000012'), `the filter left accounts ${[...new Set(left)]}`);
  await shots.take(page, 'one-account');
  return { firstRenderMs: best, firstRenderTries: tries, graphNodes: metrics.graphNodes, drawnNodes: metrics.drawnNodes, selectMs, expandMs, focusMs, focusedNodes: focused };
});
