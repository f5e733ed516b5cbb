// Measurements (not tests): production bundle size (gzip) of the first page and
// what dominates it; time to the first product grid and LCP of the catalog in
// headless Chromium against a local stockade; how long a stock change takes to
// reach an open product page. Run: `npm run measure`.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { cleanup, freePort, gql, launchBrowser, ROOT, serveApp, startServer, WORK } from './harness.mjs';

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const p95 = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]; };
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function firstPageJs(dir) {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  return files.map((f) => {
    const buf = readFileSync(join(dir, f));
    return { file: f, raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
  });
}

async function bundle() {
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const plain = join(WORK, 'dist-measure');
  let b = spawnSync(process.execPath, [vite, 'build', '--outDir', plain, '--emptyOutDir', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(b.stderr);
  const first = firstPageJs(plain);
  const total = first.reduce((s, f) => s + f.gzip, 0);
  console.log(`\nBundle: first page JS ${kb(total)} gzip (${kb(first.reduce((s, f) => s + f.raw, 0))} raw) in ${first.length} file(s)`);
  const all = readdirSync(join(plain, 'assets')).filter((f) => f.endsWith('.js'));
  const lazyTotal = all.filter((f) => !first.some((x) => x.file.endsWith(f))).reduce((s, f) => s + gzipSync(readFileSync(join(plain, 'assets', f)), { level: 9 }).length, 0);
  console.log(`  lazily loaded route chunks: ${kb(lazyTotal)} gzip in ${all.length - first.length} files`);
  // Split by package to say what dominates.
  const split = join(WORK, 'dist-measure-split');
  b = spawnSync(process.execPath, [vite, 'build', '--outDir', split, '--emptyOutDir', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MEASURE_CHUNKS: '1' } });
  if (b.status !== 0) throw new Error(b.stderr);
  const parts = firstPageJs(split).map((f) => ({ ...f, name: f.file.replace(/^assets\//, '').replace(/-[\w-]{8}\.js$/, '') })).sort((a, b) => b.gzip - a.gzip);
  console.log('  by package (first page, gzip):');
  for (const p of parts.slice(0, 10)) console.log(`    ${p.name.padEnd(40)} ${kb(p.gzip).padStart(9)}`);
  return total;
}

async function pageTimings(browser, app, runs = 5) {
  const grid = [];
  const lcp = [];
  for (let i = 0; i < runs; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.addInitScript(() => {
      window.__lcp = 0;
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__lcp = e.startTime; }).observe({ type: 'largest-contentful-paint', buffered: true });
      new MutationObserver((_, obs) => {
        if (document.querySelector('[data-testid="product-grid"] li')) { window.__grid = performance.now(); obs.disconnect(); }
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(app.origin + '/');
    await page.waitForFunction(() => window.__grid !== undefined);
    await page.waitForTimeout(500);
    // LCP is final once the user interacts; a click ends it.
    await page.mouse.click(5, 5);
    const r = await page.evaluate(() => ({ grid: window.__grid, lcp: window.__lcp }));
    grid.push(r.grid);
    lcp.push(r.lcp);
    await ctx.close();
  }
  console.log(`\nCatalog page (${runs} fresh contexts, server cache warm after run 1):`);
  const list = (xs) => xs.map((x) => x.toFixed(0)).join(', ');
  console.log(`  first product grid: median ${median(grid).toFixed(0)} ms (runs: ${list(grid)})`);
  console.log(`  LCP:                median ${median(lcp).toFixed(0)} ms (runs: ${list(lcp)})`);
}

async function stockLatency(browser, app, api, runs = 15) {
  const d = await gql(api.url, `{ products(first: 1, sortBy: NAME_ASC) { edges { node { slug variants { id attributes { name value } } } } } }`);
  const p = d.products.edges[0].node;
  const v = p.variants[0];
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${app.origin}/products/${p.slug}`);
  for (const a of v.attributes) await page.getByRole('radiogroup', { name: a.name }).getByRole('radio', { name: new RegExp(`^${a.value}`) }).click();
  await page.getByTestId('stock').waitFor();
  await page.waitForTimeout(1000);
  await page.evaluate(() => {
    const el = document.querySelector('[data-testid="stock"]');
    window.__changes = [];
    new MutationObserver(() => window.__changes.push({ t: Date.now(), text: el.textContent })).observe(el, { childList: true, characterData: true, subtree: true });
  });
  const LEVEL = `query($slug:String!){ product(slug:$slug){ variants { id stockLevels { location { id } version } } } }`;
  const lat = [];
  for (let i = 0; i < runs; i++) {
    const n = i % 2 === 0 ? 3 : 4;
    const lvl = (await gql(api.url, LEVEL, { slug: p.slug }, api.token)).product.variants.find((x) => x.id === v.id).stockLevels[0];
    const before = await page.evaluate(() => window.__changes.length);
    const t0 = Date.now();
    await gql(api.url, `mutation($i:InventoryAdjustInput!){ inventoryAdjust(input:$i){ userErrors { code } } }`,
      { i: { variantId: v.id, locationId: lvl.location.id, setOnHand: n, expectedVersion: lvl.version, reason: 'ADJUSTMENT' } }, api.token);
    await page.waitForFunction((b) => window.__changes.length > b, before, { timeout: 5000 });
    const t = await page.evaluate((b) => window.__changes[b].t, before);
    lat.push(t - t0);
  }
  console.log(`\nStock change -> open product page (${runs} staff adjustments, from sending the mutation to the DOM change):`);
  console.log(`  median ${median(lat)} ms, p95 ${p95(lat)} ms, max ${Math.max(...lat)} ms`);
  await ctx.close();
}

async function main() {
  if (!process.env.SKIP_BUNDLE) await bundle();
  const appPort = await freePort();
  const origin = `http://127.0.0.1:${appPort}`;
  const api = await startServer({ appOrigin: origin });
  const app = await serveApp({ apiUrl: api.url, port: appPort, name: 'measure-app' });
  const browser = await launchBrowser();
  await pageTimings(browser, app);
  await stockLatency(browser, app, api);
  await browser.close();
  api.stop();
  cleanup();
}
main().catch((e) => { console.error(e); cleanup(); process.exit(1); });
