// Helpers of the console's end-to-end scripts: a headless Debian Chromium
// driven by playwright-core, page errors and Content-Security-Policy
// violations collected (any fails the run), screenshots kept, and the
// result printed as one JSON line for the Go test that runs the script.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** env returns a required environment variable. */
export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

/** launch starts the browser. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** watch collects a page's errors: uncaught exceptions, console errors, CSP violations. */
export function watch(page, problems) {
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // A refused sign-in answers 401 or 403, which the browser logs.
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 40[13]/.test(m.text())) {
      problems.push(`console error: ${m.text()}`);
    }
  });
}

/** Shots saves screenshots into ARTIFACTS, and remembers their paths. */
export class Shots {
  constructor(prefix) {
    this.dir = env('ARTIFACTS');
    this.prefix = prefix;
    this.paths = [];
    mkdirSync(this.dir, { recursive: true });
  }

  async take(page, name) {
    const path = join(this.dir, `${this.prefix}-${String(this.paths.length + 1).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path });
    this.paths.push(path);
    return path;
  }
}

/** check throws when cond is false. */
export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** open loads the console's page, failing with the server's answer unless it is 200. */
export async function open(page, url) {
  const res = await page.goto(url);
  if (!res || !res.ok()) {
    const body = res ? (await res.text()).slice(0, 500) : '';
    throw new Error(`GET ${url.replace(/#.*/, '')}: ${res ? res.status() : 'no answer'} ${body}`);
  }
  return res;
}

/** waitRendered waits for the graph's first render and returns its time (ms since navigation). */
export async function waitRendered(page, timeout = 30000) {
  await page.waitForSelector('#graph[data-rendered="true"]', { timeout });
  return page.evaluate(() => window.__assumedMetrics);
}

/**
 * main runs a scenario with a browser, prints its result as the last
 * line ("RESULT {json}"), and exits non-zero on failure, with a
 * screenshot of the moment.
 */
export async function main(prefix, scenario) {
  const shots = new Shots(prefix);
  const problems = [];
  const browser = await launch();
  let page;
  const result = { ok: false, screenshots: shots.paths };
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    watch(page, problems);
    Object.assign(result, await scenario({ browser, context, page, shots, problems }));
    check(problems.length === 0, `the page reported problems:\n${problems.join('\n')}`);
    result.ok = true;
  } catch (e) {
    result.error = e instanceof Error ? e.stack || e.message : String(e);
    if (problems.length) result.problems = problems;
    if (page) await shots.take(page, 'failure').catch(() => {});
  } finally {
    await browser.close();
  }
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(result.ok ? 0 : 1);
}
