// Starts a real `stockade` for the E2E run: a fresh DATA_DIR (embedded SQLite, demo
// catalog, built-in test gateway), CORS for the app's origin, and a seeded admin.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "./wd.mjs";

export class Stockade {
  constructor({ bin, port, dataDir, logDir }) {
    this.bin = bin;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.dataDir = dataDir ?? mkdtempSync(join(tmpdir(), "stockade-e2e-"));
    this.logDir = logDir;
    this.proc = null;
    this.starts = 0;
  }

  env() {
    return {
      ...process.env,
      DATA_DIR: this.dataDir,
      LISTEN_ADDR: `127.0.0.1:${this.port}`,
      // The app's origin is tauri://localhost, which the server's CORS_ALLOWED_ORIGINS
      // refuses to parse (it takes only http/https origins): allow any origin. The app
      // sends a bearer token, never cookies, so `*` grants nothing extra.
      CORS_ALLOWED_ORIGINS: "*",
      RATE_LIMIT_BROWSE_PER_MINUTE: "0",
      PAYMENT_GATEWAY: "test",
      DATABASE_URL: "",
      REDIS_URL: "",
      LOG_FORMAT: "pretty",
      RUST_LOG: process.env.E2E_SERVER_LOG ?? "warn",
    };
  }

  async start() {
    this.starts += 1;
    const log = openSync(join(this.logDir, `stockade-${this.starts}.log`), "a");
    const env = this.env();
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    this.proc = spawn(this.bin, ["serve"], { env, stdio: ["ignore", log, log] });
    this.proc.on("exit", (code, sig) => {
      if (this.proc && !this.stopping) console.error(`stockade exited (${code ?? sig})`);
    });
    const until = Date.now() + 60_000;
    for (;;) {
      try {
        const r = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(1000) });
        if (r.ok) return;
      } catch {
        // not up yet
      }
      if (this.proc.exitCode !== null) throw new Error(`stockade did not start; see ${this.logDir}`);
      if (Date.now() > until) throw new Error("stockade did not become ready in 60 s");
      await sleep(200);
    }
  }

  async stop() {
    if (!this.proc) return;
    this.stopping = true;
    const p = this.proc;
    this.proc = null;
    p.kill("SIGTERM");
    const t = setTimeout(() => p.kill("SIGKILL"), 5000);
    await new Promise((r) => (p.exitCode !== null ? r() : p.once("exit", r)));
    clearTimeout(t);
    this.stopping = false;
  }

  createAdmin(email, password) {
    const env = this.env();
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const r = spawnSync(this.bin, ["create-admin", "--email", email, "--password-stdin"], {
      env,
      input: `${password}\n`,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`create-admin failed: ${r.stderr}`);
  }

  async gql(query, variables = {}, token = null) {
    const headers = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await fetch(`${this.url}/graphql`, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(20_000),
    });
    const j = await r.json();
    if (j.errors?.length) throw new Error(`GraphQL: ${JSON.stringify(j.errors)}`);
    return j.data;
  }
}
