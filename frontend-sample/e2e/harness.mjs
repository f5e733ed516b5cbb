// Test harness: starts a real `stockade` (fresh DATA_DIR, embedded SQLite, test
// gateway), builds the storefront against it and serves it with `vite preview`,
// and drives Debian's Chromium with playwright-core. No browser downloads.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WORK = join(ROOT, 'e2e', '.work');
export const SHOTS = join(ROOT, 'e2e', 'screenshots');
export const PORT_MIN = Number(process.env.E2E_PORT_MIN ?? 18100);
export const PORT_MAX = Number(process.env.E2E_PORT_MAX ?? 18199);
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

export function stockadeBin() {
  if (process.env.STOCKADE_BIN) return process.env.STOCKADE_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? join(ROOT, '..', 'target');
  const built = join(target, 'debug', 'stockade');
  if (existsSync(built)) return built;
  return '/work/bin/stockade';
}

const children = [];
export function cleanup() {
  for (const c of children.splice(0)) {
    if (c.exitCode === null) {
      try { process.kill(-c.pid, 'SIGTERM'); } catch { /* gone */ }
    }
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130); });

const usedPorts = new Set();
function tryPort(port) {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}
/** A free port in our range (not handed out before in this run). */
export async function freePort() {
  for (let p = PORT_MIN; p <= PORT_MAX; p++) {
    if (usedPorts.has(p)) continue;
    if (await tryPort(p)) { usedPorts.add(p); return p; }
  }
  throw new Error(`no free port in ${PORT_MIN}-${PORT_MAX}`);
}

function spawnLogged(cmd, args, opts, name) {
  const c = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(c);
  let log = '';
  const keep = (d) => { log = (log + d.toString()).slice(-20000); };
  c.stdout.on('data', keep);
  c.stderr.on('data', keep);
  c.log = () => log;
  c.name = name;
  return c;
}

async function waitHttp(url, child, timeoutMs = 60000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${child.name} exited (${child.exitCode}):\n${child.log()}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up:\n${child.log()}`);
}

export const ADMIN = { email: 'boss@e2e.test', password: 'quiet-River-stone-7781' };

/** Starts a stockade with a fresh database; returns its GraphQL URL and an admin token. */
export async function startServer({ appOrigin, env = {} }) {
  const bin = stockadeBin();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'stockade-e2e-'));
  const baseEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    LISTEN_ADDR: `127.0.0.1:${port}`,
    CORS_ALLOWED_ORIGINS: appOrigin,
    RATE_LIMIT_BROWSE_PER_MINUTE: '0',
    RATE_LIMIT_CHECKOUT_PER_MINUTE: '600',
    RATE_LIMIT_CHECKOUT_ACCOUNT_PER_MINUTE: '600',
    RATE_LIMIT_AUTH_PER_MINUTE: '600',
    RATE_LIMIT_AUTH_ACCOUNT_PER_MINUTE: '600',
    STOREFRONT_URL: `${appOrigin}/`,
    LOG_FORMAT: 'json',
    RUST_LOG: 'warn',
    ...env,
  };
  delete baseEnv.DATABASE_URL;
  delete baseEnv.REDIS_URL;
  const admin = spawnSync(bin, ['create-admin', '--email', ADMIN.email, '--password-stdin'], { env: baseEnv, input: `${ADMIN.password}\n`, encoding: 'utf8' });
  if (admin.status !== 0) throw new Error(`create-admin failed: ${admin.stderr}${admin.stdout}`);
  const child = spawnLogged(bin, ['serve'], { env: baseEnv }, `stockade:${port}`);
  const base = `http://127.0.0.1:${port}`;
  await waitHttp(`${base}/readyz`, child);
  const url = `${base}/graphql`;
  const tok = await gql(url, `mutation($e:String!,$p:String!){ tokenCreate(email:$e,password:$p){ accessToken userErrors{ code message } } }`, { e: ADMIN.email, p: ADMIN.password });
  const token = tok.tokenCreate.accessToken;
  if (!token) throw new Error(`admin sign-in failed: ${JSON.stringify(tok)}`);
  const server = { url, base, token, dataDir, child };
  const kill = async () => {
    const c = server.child;
    if (c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    try { process.kill(-c.pid, 'SIGTERM'); } catch { /* gone */ }
    await exited;
  };
  /** Stops the server, waits `downMs`, starts it again on the same port and data. */
  server.restart = async (downMs = 0) => {
    await kill();
    await new Promise((r) => setTimeout(r, downMs));
    server.child = spawnLogged(bin, ['serve'], { env: baseEnv }, `stockade:${port}`);
    await waitHttp(`${base}/readyz`, server.child);
  };
  server.stop = () => { try { process.kill(-server.child.pid, 'SIGTERM'); } catch { /* gone */ } rmSync(dataDir, { recursive: true, force: true }); };
  return server;
}

/** A GraphQL call from the test (not the app): throws on any error. */
export async function gql(url, query, variables = {}, token = null) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const j = await r.json();
  if (j.errors) throw new Error(`GraphQL error: ${JSON.stringify(j.errors)}`);
  return j.data;
}

/** Builds the app for one API URL and serves it with `vite preview` on `port`. */
export async function serveApp({ apiUrl, port, name }) {
  const outDir = join(WORK, `dist-${name}`);
  mkdirSync(WORK, { recursive: true });
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const b = spawnSync(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: ROOT, env: { ...process.env, VITE_API_URL: apiUrl }, encoding: 'utf8',
  });
  if (b.status !== 0) throw new Error(`vite build failed:\n${b.stdout}${b.stderr}`);
  const child = spawnLogged(process.execPath, [vite, 'preview', '--outDir', outDir, '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: ROOT }, `preview:${port}`);
  const origin = `http://127.0.0.1:${port}`;
  await waitHttp(origin, child);
  return { origin, child };
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export function ensureShots() {
  mkdirSync(SHOTS, { recursive: true });
}

/**
 * A webhook receiver on a free port of our range: keeps every POST (headers and the
 * raw body, exactly as signed) and answers 200, so the server counts it delivered.
 */
export async function startWebhookReceiver() {
  const port = await freePort();
  const received = [];
  const server = createHttpServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json = null;
      try { json = JSON.parse(body); } catch { /* kept raw */ }
      received.push({ at: Date.now(), method: req.method, path: req.url, headers: req.headers, body, json });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    /** The first delivery `match` accepts, polling until `timeoutMs`. */
    async waitFor(match, timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.find(match);
        if (hit) return hit;
        if (Date.now() > until) throw new Error(`no matching webhook within ${timeoutMs} ms (${received.length} received)`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }),
  };
}

/**
 * Checks a `Stockade-Signature` header (`t=<unix seconds>,v1=<hex>`): some v1 is the
 * HMAC-SHA256 of `"<t>.<raw body>"` under `secret`, and t is within five minutes.
 * Returns the problem in words, or null when it holds.
 */
export function signatureProblem(header, body, secret, nowSecs = Math.floor(Date.now() / 1000)) {
  if (!header) return 'no signature header';
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const sigs = parts.filter(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/.test(v ?? '')).map(([, v]) => Buffer.from(v, 'hex'));
  if (!t || !/^\d+$/.test(t) || sigs.length === 0) return `malformed signature header: ${header}`;
  if (Math.abs(nowSecs - Number(t)) > 300) return `timestamp ${t} is more than five minutes from now (${nowSecs})`;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return sigs.some((s) => timingSafeEqual(s, expected)) ? null : 'no v1 signature matches';
}
