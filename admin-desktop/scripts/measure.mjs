// Measurements for README.md (not a test): cold start to the sign-in screen, time to
// the first inventory rows, RSS of the app and its web view idle and after scrolling
// through every variant, and API stock change -> row updated.
//
//   xvfb-run -a -s "-screen 0 1280x800x24" node scripts/measure.mjs SERVER EMAIL PASSWORD
//
// SERVER is a running stockade (seed 10,000 variants with scripts/seed-variants.mjs;
// start it with CORS_ALLOWED_ORIGINS='*'). Needs tauri-driver and the app built with
// `cargo build -p stockade-admin --features custom-protocol`.
import { execSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { sleep, WebDriver } from "../e2e/wd.mjs";

const [server = "http://127.0.0.1:8000", email, password] = process.argv.slice(2);
const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, "../..");
const APP = process.env.E2E_APP ?? join(process.env.CARGO_TARGET_DIR ?? join(REPO, "target"), "debug", "stockade-admin");
const PORT = 18254;
const home = mkdtempSync(join(tmpdir(), "stockade-admin-measure-"));
const driver = spawn("tauri-driver", ["--port", String(PORT), "--native-port", "18255"], {
  stdio: "ignore",
  env: { ...process.env, XDG_DATA_HOME: join(home, "d"), XDG_CONFIG_HOME: join(home, "c"), XDG_CACHE_HOME: join(home, "k"), STOCKADE_ADMIN_DATA_DIR: join(home, "a") },
});
const wd = new WebDriver(`http://127.0.0.1:${PORT}`);
await wd.until(async () => (await fetch(`http://127.0.0.1:${PORT}/status`)).ok, "tauri-driver", 20_000, 200);

/** RSS (MiB) of the app and every process under it (the WebKit web and network processes). */
function rss() {
  const rows = execSync("ps -eo pid=,ppid=,rss=,comm=", { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .map(([pid, ppid, kb, ...c]) => ({ pid: +pid, ppid: +ppid, kb: +kb, comm: c.join(" ") }));
  const app = rows.filter((r) => r.comm.startsWith("stockade-admin"));
  const ids = new Set(app.map((r) => r.pid));
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of rows) if (!ids.has(r.pid) && ids.has(r.ppid)) (ids.add(r.pid), (grew = true));
  }
  const mine = rows.filter((r) => ids.has(r.pid));
  return {
    totalMiB: Math.round(mine.reduce((s, r) => s + r.kb, 0) / 1024),
    byProcess: mine.map((r) => `${r.comm}:${Math.round(r.kb / 1024)}`).join(" "),
  };
}

const out = {};
try {
  let t0 = Date.now();
  await wd.start(APP);
  await wd.waitFor("form[aria-label='Sign in'] input[name=password]", { timeout: 30_000 });
  out.coldStartToSignInMs = Date.now() - t0;
  await wd.fill("input[name=server]", server);
  await wd.fill("input[name=email]", email);
  await wd.fill("input[name=password]", password);
  // Timed inside the page: sign-in click, then Inventory as soon as it can be
  // clicked -> first inventory rows on screen (sign-in included).
  out.signInToFirstRowsMs = await wd.execAsync(`const done = arguments[arguments.length - 1];
    const t0 = performance.now();
    document.querySelector("form[aria-label='Sign in'] button[type=submit]").click();
    (function poll() {
      const nav = document.querySelector("[data-nav=inventory]:not(.current)");
      if (nav) nav.click();
      if (document.querySelector("[data-testid=inventory-grid] [data-sku]")) done(Math.round(performance.now() - t0));
      else setTimeout(poll, 5);
    })();`);
  await wd.waitFor("[data-testid=live-indicator][data-state=live]", { timeout: 20_000 });
  await wd.clickCss("[data-nav=inventory]");
  await wd.waitFor("[data-testid=inventory-grid] [data-sku]", { timeout: 30_000 });
  // A search over 10,000 variants: keystroke -> filtered rows (250 ms debounce included).
  out.searchToRowsMs = await wd.execAsync(`const done = arguments[arguments.length - 1];
    const input = document.querySelector("[data-testid=inventory-search]");
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
    const t0 = performance.now();
    set.call(input, "OLI-L");
    input.dispatchEvent(new Event("input", { bubbles: true }));
    (function poll() {
      const rows = [...document.querySelectorAll("[data-testid=inventory-grid] [data-sku]")];
      if (rows.length > 0 && rows.every((r) => r.dataset.sku.includes("OLI-L"))) done(Math.round(performance.now() - t0));
      else setTimeout(poll, 5);
    })();`);
  await wd.execAsync(`const done = arguments[arguments.length - 1];
    const input = document.querySelector("[data-testid=inventory-search]");
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(input, "");
    input.dispatchEvent(new Event("input", { bubbles: true }));
    setTimeout(() => done(true), 1500);`);
  await sleep(5000);
  out.rssIdle = rss();
  t0 = Date.now();
  // Scroll like a user holding PageDown, until every variant is loaded and seen.
  for (;;) {
    const s = await wd.exec(`const g = document.querySelector('[data-testid=inventory-grid]');
      g.scrollTop += 2000; return [g.scrollTop + g.clientHeight >= g.scrollHeight - 5, document.querySelector('[data-testid=inventory-count]').textContent];`);
    if (s[0] && !s[1].includes("+")) break;
    if (Date.now() - t0 > 300_000) throw new Error("scrolling took over 5 minutes");
    await sleep(30);
  }
  out.scrollAllMs = Date.now() - t0; // paced by WebDriver round trips, 2000 px a step
  out.rows = await wd.exec("return document.querySelector('[data-testid=inventory-count]').textContent");
  await sleep(3000);
  out.rssAfterScroll = rss();

  // Stock change latency: adjust a visible variant through the API, time until the row shows it.
  const token = (
    await (
      await fetch(`${server}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: `mutation($e:String!,$p:String!){tokenCreate(email:$e,password:$p){accessToken}}`, variables: { e: email, p: password } }),
      })
    ).json()
  ).data.tokenCreate.accessToken;
  const gql = async (query, variables) =>
    (
      await (
        await fetch(`${server}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
        })
      ).json()
    ).data;
  const sku = await wd.exec("const r = document.querySelectorAll('[data-testid=inventory-grid] [data-sku]'); return r[r.length - 5].dataset.sku");
  const lat = [];
  for (let i = 0; i < 10; i++) {
    const inv = await gql(`query($s:String){inventory(filter:{search:$s},first:1){nodes{onHand variant{id} levels{version location{id}}}}}`, { s: sku });
    const n = inv.inventory.nodes[0];
    const lv = n.levels[0];
    const target = n.onHand + 1;
    const t = Date.now();
    await gql(`mutation($i:InventoryAdjustInput!){inventoryAdjust(input:$i){userErrors{code}}}`, {
      i: { variantId: n.variant.id, locationId: lv.location.id, delta: 1, expectedVersion: lv.version },
    });
    await wd.until(
      async () => (await wd.exec(`const c = document.querySelector('[data-sku="${sku}"] [data-col=onHand]'); return c && +c.textContent`)) === target,
      "row updated",
      5000,
      5,
    );
    lat.push(Date.now() - t);
  }
  lat.sort((a, b) => a - b);
  out.stockChangeToRowMs = { min: lat[0], median: lat[5], max: lat[9] };
} catch (err) {
  const { writeFileSync } = await import("node:fs");
  writeFileSync("/tmp/measure-failed.png", await wd.screenshot().catch(() => Buffer.alloc(0)));
  console.error(`measure failed (screenshot /tmp/measure-failed.png): ${err.message}`);
} finally {
  await wd.quit();
  driver.kill();
}
console.log(JSON.stringify(out, null, 2));
process.exit(0);
