// A small W3C WebDriver client over fetch, for tauri-driver (which forwards to
// WebKitWebDriver). tauri-driver sometimes drops its link to WebKitWebDriver: a
// failed transport is retried once.
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class WebDriver {
  constructor(base) {
    this.base = base.replace(/\/+$/, "");
    this.session = null;
  }

  async cmd(method, path, body, { retry = true } = {}) {
    const url = `${this.base}${path}`;
    let res;
    try {
      res = await fetch(url, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      if (retry) {
        await sleep(500);
        return this.cmd(method, path, body, { retry: false });
      }
      throw new Error(`WebDriver ${method} ${path}: ${err.message}`);
    }
    const json = await res.json().catch(() => ({}));
    if (!res.ok) {
      const v = json.value ?? {};
      const e = new Error(`WebDriver ${method} ${path}: ${res.status} ${v.error ?? ""} ${v.message ?? ""}`);
      e.wdError = v.error;
      throw e;
    }
    return json.value;
  }

  async start(application, env = {}) {
    const caps = {
      capabilities: {
        alwaysMatch: { browserName: "wry", "tauri:options": { application, env } },
      },
    };
    const v = await this.cmd("POST", "/session", caps, { retry: false });
    this.session = v.sessionId;
    return v;
  }

  async quit() {
    if (!this.session) return;
    await this.cmd("DELETE", `/session/${this.session}`).catch(() => undefined);
    this.session = null;
  }

  s(path) {
    return `/session/${this.session}${path}`;
  }

  async findAll(css) {
    const v = await this.cmd("POST", this.s("/elements"), { using: "css selector", value: css });
    return v.map((e) => e[ELEMENT]);
  }

  async find(css) {
    const all = await this.findAll(css);
    return all[0] ?? null;
  }

  /** Waits until `css` matches a visible element; returns its id. */
  async waitFor(css, { timeout = 15_000, visible = true } = {}) {
    const until = Date.now() + timeout;
    for (;;) {
      const ids = await this.findAll(css).catch(() => []);
      for (const id of ids) {
        if (!visible || (await this.displayed(id).catch(() => false))) return id;
      }
      if (Date.now() > until) throw new Error(`timed out waiting for ${css}`);
      await sleep(100);
    }
  }

  async waitGone(css, { timeout = 15_000 } = {}) {
    const until = Date.now() + timeout;
    while ((await this.findAll(css).catch(() => [])).length > 0) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${css} to go`);
      await sleep(100);
    }
  }

  async until(fn, what, timeout = 15_000, every = 100) {
    const until = Date.now() + timeout;
    let last;
    for (;;) {
      last = await fn().catch((e) => e);
      if (last && !(last instanceof Error)) return last;
      if (Date.now() > until) throw new Error(`timed out: ${what}${last instanceof Error ? ` (${last.message})` : ""}`);
      await sleep(every);
    }
  }

  displayed(id) {
    return this.cmd("GET", this.s(`/element/${id}/displayed`));
  }

  click(id) {
    return this.cmd("POST", this.s(`/element/${id}/click`), {});
  }

  clear(id) {
    return this.cmd("POST", this.s(`/element/${id}/clear`), {});
  }

  type(id, text) {
    return this.cmd("POST", this.s(`/element/${id}/value`), { text });
  }

  text(id) {
    return this.cmd("GET", this.s(`/element/${id}/text`));
  }

  exec(script, args = []) {
    return this.cmd("POST", this.s("/execute/sync"), { script, args });
  }

  execAsync(script, args = []) {
    return this.cmd("POST", this.s("/execute/async"), { script, args });
  }

  async screenshot() {
    const b64 = await this.cmd("GET", this.s("/screenshot"));
    return Buffer.from(b64, "base64");
  }

  async clickCss(css, opts) {
    const id = await this.waitFor(css, opts);
    await this.click(id);
    return id;
  }

  async fill(css, text) {
    const id = await this.waitFor(css);
    await this.clear(id);
    await this.type(id, text);
    return id;
  }

  /** Clicks the first button whose text matches `re` (optionally inside `scope` CSS). */
  async clickButton(re, scope = "body") {
    const id = await this.until(async () => {
      const ids = await this.findAll(`${scope} button`);
      for (const b of ids) {
        const t = await this.text(b).catch(() => "");
        if (re.test(t) && (await this.displayed(b).catch(() => false))) return b;
      }
      return null;
    }, `button ${re}`);
    await this.click(id);
    return id;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
