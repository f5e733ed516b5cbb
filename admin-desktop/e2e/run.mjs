// End-to-end: the real app binary driven through tauri-driver + WebKitWebDriver
// against a real `stockade` started here (fresh DATA_DIR, SQLite, test gateway,
// admin from `stockade create-admin`). Run under X (CI: xvfb-run). Screenshots of
// each screen go to e2e/screenshots/.
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { checkOps, OPS } from "./ops.mjs";
import { Stockade } from "./server.mjs";
import { sleep, WebDriver } from "./wd.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const APP_DIR = resolve(HERE, "..");
const REPO = resolve(APP_DIR, "..");
const TARGET = process.env.CARGO_TARGET_DIR ? resolve(REPO, process.env.CARGO_TARGET_DIR) : join(REPO, "target");
const APP = process.env.E2E_APP ?? join(TARGET, "debug", "stockade-admin");
const BIN = process.env.STOCKADE_BIN ?? join(TARGET, "debug", "stockade");
const SERVER_PORT = Number(process.env.E2E_SERVER_PORT ?? 18210);
const DRIVER_PORT = Number(process.env.E2E_DRIVER_PORT ?? 18244);
const NATIVE_PORT = Number(process.env.E2E_NATIVE_PORT ?? 18245);
const SHOTS = join(HERE, "screenshots");
const RUN = join(HERE, ".run");
const CI = process.env.CI === "true";
const ADMIN = { email: "admin@e2e.test", password: "correct horse battery staple" };

function skip(why) {
  if (CI) {
    console.error(`E2E cannot run: ${why} (CI=true: nothing may be skipped)`);
    process.exit(1);
  }
  console.log(`E2E skipped: ${why}`);
  process.exit(0);
}

function which(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).stdout.trim() || null;
}

const tauriDriver = process.env.TAURI_DRIVER ?? which("tauri-driver") ?? join(process.env.HOME ?? "", ".cargo/bin/tauri-driver");
if (!existsSync(tauriDriver)) skip("tauri-driver is not installed (cargo install tauri-driver --version 2.1.0 --locked)");
if (!which("WebKitWebDriver")) skip("WebKitWebDriver is missing (apt-get install webkit2gtk-driver)");
if (!process.env.DISPLAY) skip("no X display (run under xvfb-run)");
if (!existsSync(APP)) skip(`the app is not built: ${APP}`);
if (!existsSync(BIN)) skip(`the server is not built: ${BIN}`);
checkOps(join(REPO, "schema.graphql"));

rmSync(SHOTS, { recursive: true, force: true });
mkdirSync(SHOTS, { recursive: true });
rmSync(RUN, { recursive: true, force: true });
mkdirSync(RUN, { recursive: true });

const server = new Stockade({ bin: BIN, port: SERVER_PORT, logDir: RUN });
const wd = new WebDriver(`http://127.0.0.1:${DRIVER_PORT}`);
let driver = null;
const results = [];
const measures = {};
let shotN = 0;

async function shot(name) {
  shotN += 1;
  const file = join(SHOTS, `${String(shotN).padStart(2, "0")}-${name}.png`);
  try {
    // Let WebKit paint the last change first (under Xvfb a capture can lag a frame).
    await sleep(300);
    writeFileSync(file, await wd.screenshot());
  } catch (err) {
    console.error(`screenshot ${name} failed: ${err.message}`);
  }
}

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true, ms: Date.now() - t0 });
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    results.push({ name, ok: false, ms: Date.now() - t0, err });
    console.log(`FAIL ${name}: ${err.stack ?? err}`);
    await shot(`FAILED-${name.replace(/\W+/g, "-")}`);
    throw err;
  }
}

const cell = (sku, col) =>
  wd.exec(
    `const r = document.querySelector('[data-sku="' + arguments[0] + '"] [data-col="' + arguments[1] + '"]');
     return r ? parseInt(r.textContent, 10) : null;`,
    [sku, col],
  );

async function level(token, sku) {
  const d = await server.gql(OPS.inventory, { search: sku, first: 5 }, token);
  const row = d.inventory.nodes.find((n) => n.sku === sku);
  if (!row) throw new Error(`${sku} not in the API's inventory`);
  return row;
}

async function main() {
  await server.start();
  server.createAdmin(ADMIN.email, ADMIN.password);
  const signed = await server.gql(OPS.signIn, ADMIN);
  const token = signed.tokenCreate.accessToken;
  if (!token) throw new Error("admin cannot sign in through the API");

  // Two stocked variants: one for the inventory stories, one for the payment story.
  const inv = await server.gql(OPS.inventory, { first: 100 }, token);
  const stocked = inv.inventory.nodes.filter((n) => n.levels.length > 0 && n.available >= 10 && n.reserved === 0);
  const [A, B] = stocked;
  if (!A || !B) throw new Error("the demo catalog has no stocked variants");
  const loc = A.levels[0].location;

  const home = mkdtempSync(join(tmpdir(), "stockade-admin-e2e-home-"));
  const log = openSync(join(RUN, "tauri-driver.log"), "a");
  driver = spawn(tauriDriver, ["--port", String(DRIVER_PORT), "--native-port", String(NATIVE_PORT)], {
    stdio: ["ignore", log, log],
    env: {
      ...process.env,
      XDG_DATA_HOME: join(home, "data"),
      XDG_CONFIG_HOME: join(home, "config"),
      XDG_CACHE_HOME: join(home, "cache"),
      STOCKADE_ADMIN_DATA_DIR: join(home, "app"),
    },
  });
  await wd.until(async () => (await fetch(`http://127.0.0.1:${DRIVER_PORT}/status`)).ok, "tauri-driver up", 20_000, 200);

  await step("app starts on the sign-in screen", async () => {
    const t0 = Date.now();
    await wd.start(APP);
    await wd.waitFor("form[aria-label='Sign in'] input[name=password]", { timeout: 30_000 });
    measures.coldStartToSignInMs = Date.now() - t0;
    await shot("sign-in");
  });

  await step("1. sign in, find a SKU, adjust it; the API agrees", async () => {
    await wd.fill("input[name=server]", server.url);
    await wd.fill("input[name=email]", ADMIN.email);
    await wd.fill("input[name=password]", "wrong password");
    await wd.clickCss("form[aria-label='Sign in'] button[type=submit]");
    const err = await wd.waitFor("[data-testid=signin-error]");
    const msg = await wd.text(err);
    if (!/wrong email or password/i.test(msg)) throw new Error(`wrong-password message: ${msg}`);
    await shot("sign-in-wrong-password");
    await wd.fill("input[name=password]", ADMIN.password);
    await wd.clickCss("form[aria-label='Sign in'] button[type=submit]");
    await wd.waitFor("[data-nav=home]", { timeout: 20_000 });
    await wd.waitFor("[data-testid=live-indicator][data-state=live]", { timeout: 20_000 });
    await sleep(500);
    await shot("home");

    await wd.clickCss("[data-nav=inventory]");
    await wd.waitFor("[data-testid=inventory-grid] [data-sku]");
    await shot("inventory");
    await wd.fill("[data-testid=inventory-search]", A.sku);
    await wd.until(
      async () => {
        const n = await wd.exec("return document.querySelectorAll('[data-testid=inventory-grid] [data-sku]').length");
        const first = await wd.exec("const r = document.querySelector('[data-testid=inventory-grid] [data-sku]'); return r && r.dataset.sku");
        return n >= 1 && first === A.sku;
      },
      `search finds ${A.sku}`,
    );
    await wd.clickCss(`[data-sku="${A.sku}"] button`);
    await wd.waitFor("[data-testid=variant-panel]");
    await shot("variant-panel");
    await wd.clickCss(`[data-testid=variant-panel] tr[data-location="${loc.code}"] button`);
    await wd.waitFor("[data-testid=adjust-dialog]");
    await wd.fill("[data-testid=adjust-dialog] input[name=amount]", "5");
    await wd.fill("[data-testid=adjust-dialog] input[name=note]", "e2e recount");
    await shot("adjust-dialog");
    await wd.clickCss("[data-testid=adjust-dialog] button[type=submit]");
    await wd.waitGone("[data-testid=adjust-dialog]");
    await wd.until(async () => (await cell(A.sku, "onHand")) === A.onHand + 5, "row shows on hand + 5");
    const api = await level(token, A.sku);
    if (api.onHand !== A.onHand + 5) throw new Error(`API on hand ${api.onHand}, expected ${A.onHand + 5}`);
    await shot("adjusted");
  });

  await step("2. a colleague's change meanwhile: conflict dialog, re-apply on the fresh version", async () => {
    await wd.clickCss(`[data-testid=variant-panel] tr[data-location="${loc.code}"] button`);
    await wd.waitFor("[data-testid=adjust-dialog]");
    const before = await level(token, A.sku);
    const lv = before.levels.find((l) => l.location.id === loc.id);
    const colleague = await server.gql(
      OPS.adjust,
      { input: { variantId: A.variant.id, locationId: loc.id, delta: 2, reason: "RESTOCK", expectedVersion: lv.version, note: "colleague" } },
      token,
    );
    if (colleague.inventoryAdjust.userErrors.length) throw new Error(JSON.stringify(colleague.inventoryAdjust.userErrors));
    await wd.fill("[data-testid=adjust-dialog] input[name=amount]", "3");
    await wd.clickCss("[data-testid=adjust-dialog] button[type=submit]");
    const now = await wd.waitFor("[data-testid=conflict-now]");
    const nowText = await wd.text(now);
    if (!nowText.includes(String(lv.onHand + 2))) throw new Error(`conflict shows "${nowText}", expected on hand ${lv.onHand + 2}`);
    await shot("conflict-dialog");
    await wd.clickButton(/apply on current numbers/i, "[data-testid=conflict-dialog]");
    await wd.waitGone("[data-testid=conflict-dialog]");
    const after = await level(token, A.sku);
    if (after.onHand !== before.onHand + 5) throw new Error(`API on hand ${after.onHand}, expected ${before.onHand + 5}`);
    await wd.until(async () => (await cell(A.sku, "onHand")) === after.onHand, "row shows the re-applied count");
  });

  await step("3. a shopper's cart holds units: the row updates live", async () => {
    const reservedBefore = await cell(A.sku, "reserved");
    const t0 = Date.now();
    const cart = await server.gql(OPS.cartCreate, { lines: [{ variantId: A.variant.id, quantity: 2 }] });
    if (cart.cartCreate.userErrors.length) throw new Error(JSON.stringify(cart.cartCreate.userErrors));
    const tApi = Date.now();
    await wd.until(async () => (await cell(A.sku, "reserved")) === reservedBefore + 2, "row reserved + 2", 5_000, 20);
    measures.stockChangeToRowMs = Date.now() - tApi;
    measures.stockChangeToRowIncludingMutationMs = Date.now() - t0;
    await shot("live-update");
  });

  await step("4. a declined payment arrives in the queue live; cancel it in the app", async () => {
    await wd.clickCss("[data-nav=payments]");
    await wd.waitFor("[role=tab][data-kind=FAILED]");
    const stockBefore = await level(token, B.sku);
    const cart = (await server.gql(OPS.cartCreate, { lines: [{ variantId: B.variant.id, quantity: 1 }] })).cartCreate;
    const start = await server.gql(OPS.checkoutStart, {
      cartId: cart.cart.id,
      cartToken: cart.cartToken,
      email: "shopper@e2e.test",
      address: { name: "Sam Shopper", line1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", country: "US" },
    });
    if (start.checkoutStart.userErrors.length) throw new Error(JSON.stringify(start.checkoutStart.userErrors));
    const done = (await server.gql(OPS.checkoutComplete, { cartId: cart.cart.id, cartToken: cart.cartToken, key: randomUUID() }))
      .checkoutComplete;
    if (!done.order) throw new Error(JSON.stringify(done));
    const intent = (await server.gql(OPS.payIntent, { orderId: done.order.id, token: done.orderToken })).paymentIntentCreate;
    const paid = (await server.gql(OPS.payConfirm, { secret: intent.clientSecret, card: "4000000000000002" })).testPaymentConfirm;
    if (paid.order?.status !== "PAYMENT_FAILED") throw new Error(`after decline: ${JSON.stringify(paid)}`);
    const t0 = Date.now();
    const item = await wd.waitFor(`[data-testid=issue-list] [data-order="${done.order.number}"]`, { timeout: 15_000 });
    measures.declinedToQueueMs = Date.now() - t0;
    await shot("payments-queue");
    await wd.click(item);
    await wd.waitFor("[data-testid=order-view]");
    await shot("payment-detail");
    await wd.clickButton(/^Cancel order/, "[data-testid=payment-actions]");
    await shot("payment-cancel-confirm");
    await wd.clickButton(new RegExp(`^Yes, cancel ${done.order.number}`), "[data-testid=payment-actions]");
    const out = await wd.waitFor("[data-testid=outcome]");
    const outText = await wd.text(out);
    if (!/cancelled/i.test(outText)) throw new Error(`outcome: ${outText}`);
    await wd.waitGone(`[data-testid=issue-list] [data-order="${done.order.number}"]`, { timeout: 10_000 });
    await shot("payment-cancelled");
    const o = (await server.gql(OPS.order, { id: done.order.id }, token)).order;
    if (o.status !== "CANCELLED") throw new Error(`API says ${o.status}`);
    const stockAfter = await level(token, B.sku);
    if (stockAfter.reserved !== stockBefore.reserved || stockAfter.onHand !== stockBefore.onHand) {
      throw new Error(
        `stock not released: before ${stockBefore.onHand}/${stockBefore.reserved}, after ${stockAfter.onHand}/${stockAfter.reserved}`,
      );
    }
  });

  await step("5. server stops: offline banner; it comes back: the app recovers", async () => {
    await server.stop();
    await wd.waitFor("[data-testid=offline-banner]", { timeout: 30_000 });
    await wd.waitFor("[data-testid=live-indicator][data-state=offline]", { timeout: 30_000 });
    await shot("offline");
    await server.start();
    const t0 = Date.now();
    await wd.waitGone("[data-testid=offline-banner]", { timeout: 45_000 });
    await wd.waitFor("[data-testid=live-indicator][data-state=live]", { timeout: 30_000 });
    measures.recoveryAfterRestartMs = Date.now() - t0;
    await wd.clickCss("[data-nav=inventory]");
    const search = await wd.waitFor("[data-testid=inventory-search]");
    const kept = await wd.exec("return arguments[0].value", [{ "element-6066-11e4-a52e-4f735466cecf": search }]);
    if (kept !== A.sku) throw new Error(`search input lost: "${kept}"`);
    await shot("recovered");
  });
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  if (!results.some((r) => !r.ok)) console.error(`E2E setup failed: ${err.stack ?? err}`);
} finally {
  await wd.quit();
  driver?.kill("SIGTERM");
  await server.stop().catch(() => undefined);
}
console.log(`\n${results.filter((r) => r.ok).length}/${results.length} E2E steps passed; screenshots in ${SHOTS}`);
console.log(`measures: ${JSON.stringify(measures)}`);
process.exit(failed ? 1 : 0);
