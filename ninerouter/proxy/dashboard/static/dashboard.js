// ninerouter dashboard: plain JavaScript over the admin API (/api/...), same origin only.
//
// Rules kept throughout: every value from the server is rendered with textContent (el() below),
// never as HTML; secrets arrive masked and are never rebuilt; every write sends JSON with
// Content-Type: application/json (the /api guard refuses anything else).
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const VIEWS = ["providers", "pools", "combos", "settings", "usage"];
  const STRATEGIES = ["fill-first", "round-robin", "sticky"];
  const state = {
    loggedIn: false,
    settings: {},
    connections: [],
    nodes: [],
    pools: [],
    combos: [],
  };

  // --- HTTP -------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message, retryAfter) {
      super(message);
      this.status = status;
      this.retryAfter = retryAfter;
      this.handled = false;
    }
  }

  /** Calls the admin API. A 401 (session gone) shows the login form unless `login401` is false. */
  async function api(method, path, body, { login401 = true } = {}) {
    const init = {
      method,
      mode: "same-origin",
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
      headers: { Accept: "application/json" },
    };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body === undefined ? {} : body);
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (_e) {
      throw new ApiError(0, "Cannot reach ninerouter. Is it still running?");
    }
    const text = await resp.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (_e) {
        data = null;
      }
    }
    if (!resp.ok) {
      const message =
        data && typeof data.error === "string" ? data.error : `HTTP ${resp.status} from ${path}`;
      const err = new ApiError(resp.status, message, resp.headers.get("Retry-After"));
      if (resp.status === 401 && login401) {
        err.handled = true;
        showLogin("Your session has ended. Log in again.");
      }
      throw err;
    }
    return data;
  }

  const enc = encodeURIComponent;

  // --- DOM helpers (text only, never HTML) ------------------------------------------------------

  /** el("td", {class: "num", text: 3}, child, ...): attributes and text set as data, not markup. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "class") node.className = value;
      else if (key.startsWith("on") && typeof value === "function") {
        node.addEventListener(key.slice(2), value);
      } else if (typeof value === "boolean") node[key] = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function table(caption, headers, rows, empty, rowClass) {
    if (!rows.length) return el("p", { class: "empty", text: empty });
    return el(
      "table",
      {},
      el("caption", { class: "sr-only", text: caption }),
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          headers.map((h) =>
            el("th", { scope: "col", class: h.endsWith(" ") ? "num" : null, text: h.trim() }),
          ),
        ),
      ),
      el(
        "tbody",
        {},
        rows.map((cells, i) =>
          el(
            "tr",
            { class: rowClass ? rowClass(i) : null },
            cells.map((c, j) =>
              el("td", { class: headers[j].endsWith(" ") ? "num" : null }, c === "" ? "—" : c),
            ),
          ),
        ),
      ),
    );
  }

  function replace(target, ...nodes) {
    target.replaceChildren(...nodes);
  }

  function badge(text, kind) {
    return el("span", { class: `badge ${kind}`, text });
  }

  function statusBadge(status) {
    if (!status) return badge("unknown", "off");
    const kind = { active: "ok", ok: "ok", error: "bad", unknown: "off" }[status] || "warn";
    return badge(status, kind);
  }

  function when(iso) {
    if (!iso) return "";
    const t = Date.parse(iso);
    return Number.isNaN(t) ? String(iso) : new Date(t).toLocaleString();
  }

  function num(value) {
    if (value === null || value === undefined || value === "") return "";
    return typeof value === "number" ? value.toLocaleString() : String(value);
  }

  function notify(message) {
    $("error").textContent = "";
    $("notice").textContent = message;
  }

  function fail(err) {
    if (err && err.handled) return;
    $("notice").textContent = "";
    $("error").textContent = err && err.message ? err.message : String(err);
  }

  function clearMessages() {
    $("notice").textContent = "";
    $("error").textContent = "";
  }

  /** Runs fn with `button` disabled; errors are shown in the page's error area. */
  async function busy(button, fn) {
    if (button) button.disabled = true;
    try {
      return await fn();
    } catch (err) {
      fail(err);
      return undefined;
    } finally {
      if (button) button.disabled = false;
    }
  }

  function onSubmit(formId, fn) {
    const form = $(formId);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      busy(form.querySelector('button[type="submit"]'), () => fn(form));
    });
  }

  function wholeNumber(input, label, { min = 0, optional = false } = {}) {
    const raw = input.value.trim();
    if (raw === "" && optional) return null;
    const value = Number(raw);
    if (raw === "" || !Number.isInteger(value) || value < min) {
      input.focus();
      throw new Error(`${label} must be a whole number of at least ${min}.`);
    }
    return value;
  }

  // --- Login and navigation ---------------------------------------------------------------------

  function showOnly(id) {
    for (const section of document.querySelectorAll("main > section")) {
      section.hidden = section.id !== id;
    }
  }

  function showLogin(message) {
    state.loggedIn = false;
    $("nav").hidden = true;
    $("logout").hidden = true;
    clearMessages();
    showOnly("view-login");
    $("login-error").textContent = message || "";
    $("login-password").focus();
  }

  function currentView() {
    const name = location.hash.replace(/^#/, "");
    return VIEWS.includes(name) ? name : "providers";
  }

  async function route() {
    const view = currentView();
    clearMessages();
    showOnly(`view-${view}`);
    for (const link of document.querySelectorAll("#nav a")) {
      if (link.dataset.view === view) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    $(`${view}-title`).focus();
    try {
      await LOADERS[view]();
    } catch (err) {
      fail(err);
    }
  }

  async function boot() {
    try {
      state.settings = await api("GET", "/api/settings", undefined, { login401: false });
    } catch (err) {
      if (err.status === 401) {
        showLogin("");
        return;
      }
      showOnly("view-loading");
      fail(err);
      return;
    }
    state.loggedIn = true;
    $("nav").hidden = false;
    $("logout").hidden = false;
    await route();
  }

  onSubmit("login-form", async () => {
    const input = $("login-password");
    $("login-error").textContent = "";
    try {
      await api("POST", "/api/auth/login", { password: input.value }, { login401: false });
    } catch (err) {
      $("login-error").textContent = `Login failed: ${err.message}`;
      input.select();
      return;
    }
    input.value = "";
    await boot();
  });

  $("logout").addEventListener("click", () =>
    busy($("logout"), async () => {
      await api("POST", "/api/auth/logout", {}, { login401: false });
      showLogin("You are logged out.");
    }),
  );

  window.addEventListener("hashchange", () => {
    if (state.loggedIn) route();
  });

  // --- Providers and connections ----------------------------------------------------------------

  const registry = new Map(); // provider id -> {name, prefix, regions, hint}
  for (const option of $("conn-provider").querySelectorAll("optgroup:first-child option")) {
    registry.set(option.value, {
      name: option.textContent,
      prefix: option.dataset.prefix || option.value,
      regions: (option.dataset.regions || "").split(",").filter(Boolean),
      hint: option.dataset.hint || "",
    });
  }

  function providerOf(conn) {
    const known = registry.get(conn.provider);
    if (known) return { label: known.name, prefix: known.prefix, detail: "" };
    const specific = conn.providerSpecificData || {};
    const node = state.nodes.find((n) => n.id === conn.provider);
    const kind = String(conn.provider).startsWith("anthropic-compatible")
      ? "Anthropic-compatible"
      : "OpenAI-compatible";
    const name = (node && node.name) || specific.nodeName || specific.prefix || conn.provider;
    return {
      label: `${kind}: ${name}`,
      prefix: (node && node.prefix) || specific.prefix || "",
      detail: (node && node.baseUrl) || specific.baseUrl || "",
    };
  }

  function coolingOf(conn) {
    const now = Date.now();
    const out = [];
    for (const [key, value] of Object.entries(conn)) {
      if (!key.startsWith("modelLock_") || typeof value !== "string") continue;
      const until = Date.parse(value);
      if (Number.isNaN(until) || until <= now) continue;
      const model = key.slice("modelLock_".length);
      out.push(`${model === "__all" ? "all models" : model} until ${new Date(until).toLocaleTimeString()}`);
    }
    return out.join(", ");
  }

  async function loadProviders() {
    const [conns, nodes, pools] = await Promise.all([
      api("GET", "/api/providers"),
      api("GET", "/api/provider-nodes"),
      api("GET", "/api/proxy-pools"),
    ]);
    state.connections = conns.connections || [];
    state.nodes = nodes.nodes || [];
    state.pools = pools.proxyPools || [];
    renderNodeOptions();
    renderConnections();
  }

  function renderNodeOptions() {
    const select = $("conn-provider");
    const chosen = select.value;
    replace(
      $("node-options"),
      ...state.nodes.map((node) =>
        el("option", { value: node.id, text: `${node.name} (${node.prefix}/ → ${node.baseUrl})` }),
      ),
    );
    if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
    updateConnectionForm();
  }

  function activeToggle(conn) {
    const text = el("span", { text: conn.isActive ? "on" : "off" });
    const box = el("input", {
      type: "checkbox",
      checked: Boolean(conn.isActive),
      "aria-label": `Active: ${conn.name}`,
      onchange: async () => {
        box.disabled = true;
        try {
          const res = await api("PUT", `/api/providers/${enc(conn.id)}`, { isActive: box.checked });
          Object.assign(conn, res.connection);
          box.checked = Boolean(conn.isActive);
          text.textContent = conn.isActive ? "on" : "off";
          const row = box.closest("tr");
          if (row) row.classList.toggle("inactive", !conn.isActive);
          notify(`Connection ${conn.name} is now ${conn.isActive ? "active" : "inactive"}.`);
        } catch (err) {
          box.checked = !box.checked;
          fail(err);
        } finally {
          box.disabled = false;
        }
      },
    });
    return el("label", { class: "toggle" }, box, text);
  }

  function poolSelect(conn) {
    const specific = conn.providerSpecificData || {};
    const current = specific.proxyPoolId || conn.proxyPoolId || "";
    const options = [el("option", { value: "", text: "none" })];
    for (const pool of state.pools) {
      options.push(el("option", { value: pool.id, text: pool.name, selected: pool.id === current }));
    }
    if (current && !state.pools.some((p) => p.id === current)) {
      options.push(el("option", { value: current, text: "(missing pool)", selected: true }));
    }
    const select = el(
      "select",
      {
        "aria-label": `Proxy pool for ${conn.name}`,
        onchange: () =>
          busy(select, async () => {
            const res = await api("PUT", `/api/providers/${enc(conn.id)}`, {
              proxyPoolId: select.value || null,
            });
            Object.assign(conn, res.connection);
            const pool = state.pools.find((p) => p.id === select.value);
            notify(`${conn.name} now uses ${pool ? `proxy pool ${pool.name}` : "no proxy pool"}.`);
          }),
      },
      options,
    );
    const direct = specific.connectionProxyUrl;
    return el(
      "div",
      {},
      select,
      direct ? el("span", { class: "sub", text: `own proxy: ${direct}` }) : null,
    );
  }

  function renderConnections() {
    const rows = state.connections.map((conn) => {
      const provider = providerOf(conn);
      const key = conn.apiKey || (conn.authType === "oauth" ? "OAuth" : "");
      const problems = [conn.lastError, conn.nrLockReason].filter(Boolean).join("; ");
      return [
        el("span", {}, el("strong", { text: conn.name }), el("span", { class: "sub", text: conn.id })),
        el(
          "span",
          {},
          provider.label,
          provider.prefix ? el("span", { class: "sub", text: `models: ${provider.prefix}/…` }) : null,
          provider.detail ? el("span", { class: "sub", text: provider.detail }) : null,
        ),
        num(conn.priority),
        el("code", { text: key }),
        statusBadge(conn.testStatus),
        activeToggle(conn),
        coolingOf(conn) || (conn.backoffLevel ? `backoff level ${conn.backoffLevel}` : ""),
        problems ? el("span", { class: "err-text", text: problems }) : "",
        poolSelect(conn),
        el(
          "div",
          { class: "actions" },
          el("button", {
            type: "button",
            class: "danger small",
            text: "Delete",
            "aria-label": `Delete connection ${conn.name}`,
            onclick: (ev) => deleteConnection(conn, ev.currentTarget),
          }),
        ),
      ];
    });
    replace(
      $("connections"),
      table(
        "Connections",
        ["Name", "Provider", "Priority ", "Key", "Status", "Active", "Cooling", "Last error", "Proxy", "Actions"],
        rows,
        "No connections yet: add one below.",
        (i) => (state.connections[i].isActive ? "" : "inactive"),
      ),
    );
  }

  function deleteConnection(conn, button) {
    if (!window.confirm(`Delete connection "${conn.name}"? This cannot be undone.`)) return;
    busy(button, async () => {
      await api("DELETE", `/api/providers/${enc(conn.id)}`);
      notify(`Deleted connection ${conn.name}.`);
      await loadProviders();
    });
  }

  function updateConnectionForm() {
    const value = $("conn-provider").value;
    const custom = value === "openai-compatible" || value === "anthropic-compatible";
    $("conn-custom").hidden = !custom;
    $("conn-base-url").required = custom;
    $("conn-prefix").required = custom;
    const spec = registry.get(value);
    const regions = spec ? spec.regions : [];
    $("conn-region-field").hidden = regions.length === 0;
    replace($("conn-region"), ...regions.map((r) => el("option", { value: r, text: r })));
    $("conn-key-hint").textContent = spec && spec.hint ? `Keys of ${spec.name} start with ${spec.hint}` : "";
  }

  $("conn-provider").addEventListener("change", updateConnectionForm);

  onSubmit("add-connection", async (form) => {
    const provider = $("conn-provider").value;
    const body = { provider, name: $("conn-name").value.trim(), apiKey: $("conn-key").value.trim() };
    const priority = wholeNumber($("conn-priority"), "Priority", { min: 1, optional: true });
    if (priority !== null) body.priority = priority;
    if (!$("conn-custom").hidden) {
      body.baseUrl = $("conn-base-url").value.trim();
      body.prefix = $("conn-prefix").value.trim();
    }
    if (!$("conn-region-field").hidden && $("conn-region").value) body.region = $("conn-region").value;
    const res = await api("POST", "/api/providers", body);
    form.reset();
    $("conn-provider").value = provider;
    notify(`Added connection ${res.connection.name} (key ${res.connection.apiKey || "none"}).`);
    await loadProviders();
  });

  // --- Proxy pools ------------------------------------------------------------------------------

  async function loadPools() {
    const res = await api("GET", "/api/proxy-pools?includeUsage=true");
    state.pools = res.proxyPools || [];
    renderPools();
  }

  function renderPools() {
    const rows = state.pools.map((pool) => [
      el("span", {}, el("strong", { text: pool.name }), el("span", { class: "sub", text: pool.id })),
      el("span", {}, el("code", { text: pool.proxyUrl }), pool.noProxy ? el("span", { class: "sub", text: `no proxy: ${pool.noProxy}` }) : null),
      pool.type || "http",
      pool.isActive ? "yes" : badge("no", "off"),
      statusBadge(pool.testStatus),
      pool.latencyMs === null || pool.latencyMs === undefined ? "" : `${num(Math.round(pool.latencyMs))} ms`,
      when(pool.lastTestedAt),
      pool.lastError ? el("span", { class: "err-text", text: pool.lastError }) : "",
      num(pool.boundConnectionCount),
      el(
        "div",
        { class: "actions" },
        el("button", {
          type: "button",
          class: "secondary small",
          text: "Test",
          "aria-label": `Test proxy ${pool.name}`,
          onclick: (ev) => testPool(pool, ev.currentTarget),
        }),
        el("button", {
          type: "button",
          class: "danger small",
          text: "Delete",
          "aria-label": `Delete proxy ${pool.name}`,
          onclick: (ev) => deletePool(pool, ev.currentTarget),
        }),
      ),
    ]);
    replace(
      $("pools"),
      table(
        "Proxy pools",
        ["Name", "Proxy", "Type", "Active", "Status", "Latency ", "Last tested", "Last error", "Accounts ", "Actions"],
        rows,
        "No proxy pools yet: add or import some below.",
      ),
    );
  }

  async function runTest(pool) {
    const res = await api("POST", `/api/proxy-pools/${enc(pool.id)}/test`, {});
    const latency = typeof res.latencyMs === "number" ? `, ${Math.round(res.latencyMs)} ms` : "";
    const why = res.error ? `: ${res.error}` : "";
    return { ok: res.testStatus === "active", text: `${pool.name}: ${res.testStatus}${latency}${why}` };
  }

  function testPool(pool, button) {
    const label = button.textContent;
    button.textContent = "Testing…";
    busy(button, async () => {
      try {
        const result = await runTest(pool);
        if (result.ok) notify(result.text);
        else fail(new Error(result.text));
      } finally {
        button.textContent = label;
      }
      await loadPools();
    });
  }

  $("pools-test-all").addEventListener("click", (ev) =>
    busy(ev.currentTarget, async () => {
      const pools = state.pools.slice();
      let done = 0;
      let failed = 0;
      const worker = async () => {
        while (pools.length) {
          const pool = pools.shift();
          try {
            if (!(await runTest(pool)).ok) failed += 1;
          } catch (err) {
            if (err.handled) throw err;
            failed += 1;
          }
          done += 1;
          notify(`Tested ${done} of ${state.pools.length}…`);
        }
      };
      await Promise.all([worker(), worker(), worker()]);
      await loadPools();
      notify(`Tested ${done} proxies: ${done - failed} working, ${failed} not.`);
    }),
  );

  $("pools-refresh").addEventListener("click", (ev) => busy(ev.currentTarget, loadPools));

  function deletePool(pool, button) {
    if (!window.confirm(`Delete proxy pool "${pool.name}"?`)) return;
    busy(button, async () => {
      await api("DELETE", `/api/proxy-pools/${enc(pool.id)}`);
      notify(`Deleted proxy pool ${pool.name}.`);
      await loadPools();
    });
  }

  /** "host:port" of a proxy line in any accepted form, never its credentials. */
  function hostPort(line) {
    let rest = line;
    const scheme = rest.indexOf("://");
    if (scheme >= 0) rest = rest.slice(scheme + 3);
    const at = rest.lastIndexOf("@");
    if (at >= 0) rest = rest.slice(at + 1);
    rest = rest.split("/")[0];
    const v6 = rest.match(/^\[[^\]]*\](:\d+)?/);
    if (v6) return v6[0];
    return rest.split(":").slice(0, 2).join(":").slice(0, 200) || "proxy";
  }

  onSubmit("add-pool", async (form) => {
    const proxyUrl = $("pool-url").value.trim();
    const body = { name: $("pool-name").value.trim() || hostPort(proxyUrl), proxyUrl };
    const noProxy = $("pool-no-proxy").value.trim();
    if (noProxy) body.noProxy = noProxy;
    const res = await api("POST", "/api/proxy-pools", body);
    form.reset();
    notify(`Added proxy pool ${res.proxyPool.name} (${res.proxyPool.proxyUrl}).`);
    await loadPools();
  });

  onSubmit("import-pools", async () => {
    const lines = $("import-lines").value.split(/\r?\n/);
    const results = $("import-results");
    const progress = $("import-progress");
    results.replaceChildren();
    const seen = new Map();
    const todo = [];
    lines.forEach((raw, i) => {
      const line = raw.replace(/^\ufeff/, "").trim();
      if (!line || line.startsWith("#")) return;
      if (seen.has(line)) {
        results.append(el("li", { class: "skip", value: i + 1, text: `line ${i + 1}: duplicate of line ${seen.get(line)}, skipped` }));
        return;
      }
      seen.set(line, i + 1);
      todo.push([i + 1, line]);
    });
    if (!todo.length) {
      progress.textContent = "Nothing to import: paste one proxy a line.";
      return;
    }
    let added = 0;
    const refused = [];
    for (const [number, line] of todo) {
      progress.textContent = `Importing ${added + 1} of ${todo.length}…`;
      let item;
      try {
        const res = await api("POST", "/api/proxy-pools", { name: hostPort(line), proxyUrl: line });
        added += 1;
        item = el("li", { class: "ok", value: number, text: `line ${number}: added ${res.proxyPool.name} (${res.proxyPool.proxyUrl})` });
      } catch (err) {
        if (err.handled) throw err;
        item = el("li", { class: "bad", value: number, text: `line ${number}: ${err.message}` });
        refused.push(line);
      }
      results.append(item);
    }
    const failed = todo.length - added;
    progress.textContent = `Imported ${added} of ${todo.length} proxies${failed ? `; ${failed} refused (see below, left in the box to fix)` : ""}.`;
    $("import-lines").value = refused.join("\n");
    await loadPools();
  });

  // --- Combos -----------------------------------------------------------------------------------

  async function loadCombos() {
    const [combos, settings] = await Promise.all([api("GET", "/api/combos"), api("GET", "/api/settings")]);
    state.combos = combos.combos || [];
    state.settings = settings;
    renderCombos();
  }

  function comboStrategyOf(name) {
    const own = ((state.settings.comboStrategies || {})[name] || {}).fallbackStrategy;
    return own || `global (${state.settings.comboStrategy || "fallback"})`;
  }

  function renderCombos() {
    const rows = state.combos.map((combo) => [
      el("strong", { text: combo.name }),
      el("ol", {}, (combo.models || []).map((m) => el("li", {}, el("code", { text: m })))),
      comboStrategyOf(combo.name),
      el(
        "div",
        { class: "actions" },
        el("button", {
          type: "button",
          class: "danger small",
          text: "Delete",
          "aria-label": `Delete combo ${combo.name}`,
          onclick: (ev) => deleteCombo(combo, ev.currentTarget),
        }),
      ),
    ]);
    replace($("combos"), table("Combos", ["Name", "Models (in order)", "Strategy", "Actions"], rows, "No combos yet."));
    const list = $("model-options");
    for (const old of list.querySelectorAll("option[data-combo]")) old.remove();
    for (const combo of state.combos) list.append(el("option", { value: combo.name, "data-combo": "1" }));
  }

  function deleteCombo(combo, button) {
    if (!window.confirm(`Delete combo "${combo.name}"?`)) return;
    busy(button, async () => {
      await api("DELETE", `/api/combos/${enc(combo.id)}`);
      notify(`Deleted combo ${combo.name}.`);
      await loadCombos();
    });
  }

  $("combo-model-add").addEventListener("click", () => {
    const pick = $("combo-model-pick");
    const model = pick.value.trim();
    if (!model) return;
    const area = $("combo-models");
    area.value = `${area.value.replace(/\s+$/, "")}${area.value.trim() ? "\n" : ""}${model}`;
    pick.value = "";
    pick.focus();
  });

  onSubmit("add-combo", async (form) => {
    const models = $("combo-models").value.split(/\r?\n/).map((m) => m.trim()).filter(Boolean);
    const body = { name: $("combo-name").value.trim(), models };
    if ($("combo-strategy").value) body.strategy = $("combo-strategy").value;
    const combo = await api("POST", "/api/combos", body);
    form.reset();
    notify(`Created combo ${combo.name} with ${combo.models.length} model(s).`);
    await loadCombos();
  });

  // --- Settings ---------------------------------------------------------------------------------

  async function loadSettings() {
    const [settings, conns, nodes] = await Promise.all([
      api("GET", "/api/settings"),
      api("GET", "/api/providers"),
      api("GET", "/api/provider-nodes"),
    ]);
    state.settings = settings;
    state.connections = conns.connections || [];
    state.nodes = nodes.nodes || [];
    renderSettings();
  }

  function renderSettings() {
    const s = state.settings;
    $("pw-state").textContent = s.hasPassword
      ? "A password is set."
      : "No password is set yet: the current password is the default one (123456), which works only from this machine.";
    $("pw-current").required = Boolean(s.hasPassword);
    $("set-combo-strategy").value = s.comboStrategy || "fallback";
    $("set-combo-limit").value = s.comboStickyRoundRobinLimit ?? 1;
    $("set-fallback-strategy").value = s.fallbackStrategy || "fill-first";
    $("set-sticky-limit").value = s.stickyRoundRobinLimit ?? 3;
    $("set-rtk").checked = Boolean(s.rtkEnabled);
    const throttle = s.throttle && typeof s.throttle === "object" ? s.throttle : {};
    $("set-min-interval").value = throttle.minIntervalMs ?? 0;
    $("set-max-concurrent").value = throttle.maxConcurrent ?? 0;
    $("set-max-wait").value = throttle.maxWaitMs ?? "";
    $("set-proxy-enabled").checked = Boolean(s.outboundProxyEnabled);
    $("set-proxy-url").value = s.outboundProxyUrl || "";
    $("set-proxy-url").dataset.shown = s.outboundProxyUrl || "";
    $("set-no-proxy").value = s.outboundNoProxy || "";
    renderProviderStrategies();
  }

  function renderProviderStrategies() {
    const overrides = state.settings.providerStrategies || {};
    const ids = [...new Set([...state.connections.map((c) => c.provider), ...Object.keys(overrides)])];
    const rows = ids.map((id) => {
      const own = overrides[id] || {};
      const label = providerOf({ provider: id, providerSpecificData: {} }).label;
      const select = el(
        "select",
        { "aria-label": `Account strategy for ${label}`, "data-provider": id, "data-field": "strategy" },
        el("option", { value: "", text: `global (${state.settings.fallbackStrategy || "fill-first"})` }),
        STRATEGIES.map((s) => el("option", { value: s, text: s, selected: own.fallbackStrategy === s })),
      );
      const limit = el("input", {
        type: "number",
        min: "1",
        step: "1",
        value: own.stickyRoundRobinLimit ?? "",
        placeholder: "global",
        "aria-label": `Round-robin requests per account for ${label}`,
        "data-provider": id,
        "data-field": "limit",
      });
      return [el("span", {}, label, el("span", { class: "sub", text: id })), select, limit];
    });
    replace(
      $("provider-strategies"),
      table("Per-provider strategies", ["Provider", "Strategy", "Round-robin requests per account"], rows, "No providers in use yet."),
    );
  }

  async function patchSettings(body, message) {
    state.settings = await api("PATCH", "/api/settings", body);
    renderSettings();
    notify(message);
  }

  onSubmit("settings-password", async (form) => {
    const current = $("pw-current").value;
    const next = $("pw-new").value;
    if (next !== $("pw-confirm").value) {
      $("pw-confirm").focus();
      throw new Error("The two new passwords differ.");
    }
    try {
      state.settings = await api(
        "PATCH",
        "/api/settings",
        { currentPassword: current, newPassword: next },
        { login401: false },
      );
    } catch (err) {
      if (err.status === 401) throw new Error(`Password not changed: ${err.message}`);
      throw err;
    }
    form.reset();
    renderSettings();
    notify("Password changed. Every other session has been logged out.");
  });

  onSubmit("settings-routing", () =>
    patchSettings(
      {
        comboStrategy: $("set-combo-strategy").value,
        comboStickyRoundRobinLimit: wholeNumber($("set-combo-limit"), "Combo requests per step", { min: 1 }),
        fallbackStrategy: $("set-fallback-strategy").value,
        stickyRoundRobinLimit: wholeNumber($("set-sticky-limit"), "Requests per account", { min: 1 }),
      },
      "Routing settings saved.",
    ),
  );

  onSubmit("settings-providers", () => {
    const next = JSON.parse(JSON.stringify(state.settings.providerStrategies || {}));
    for (const select of document.querySelectorAll('#provider-strategies select[data-field="strategy"]')) {
      const id = select.dataset.provider;
      const limitInput = [...document.querySelectorAll('#provider-strategies input[data-field="limit"]')].find(
        (i) => i.dataset.provider === id,
      );
      const entry = { ...(next[id] || {}) };
      if (select.value) entry.fallbackStrategy = select.value;
      else delete entry.fallbackStrategy;
      const limit = limitInput ? wholeNumber(limitInput, "Requests per account", { min: 1, optional: true }) : null;
      if (limit !== null) entry.stickyRoundRobinLimit = limit;
      else delete entry.stickyRoundRobinLimit;
      if (Object.keys(entry).length) next[id] = entry;
      else delete next[id];
    }
    return patchSettings({ providerStrategies: next }, "Per-provider strategies saved.");
  });

  onSubmit("settings-rtk", () =>
    patchSettings(
      { rtkEnabled: $("set-rtk").checked },
      `Token saver ${$("set-rtk").checked ? "enabled" : "disabled"}.`,
    ),
  );

  onSubmit("settings-throttle", () => {
    const current = state.settings.throttle && typeof state.settings.throttle === "object" ? state.settings.throttle : {};
    const throttle = {
      ...current,
      minIntervalMs: wholeNumber($("set-min-interval"), "Minimum interval"),
      maxConcurrent: wholeNumber($("set-max-concurrent"), "Requests at once"),
    };
    const wait = wholeNumber($("set-max-wait"), "Longest wait", { optional: true });
    if (wait === null) delete throttle.maxWaitMs;
    else throttle.maxWaitMs = wait;
    return patchSettings({ throttle }, "Throttle saved.");
  });

  onSubmit("settings-proxy", () => {
    const input = $("set-proxy-url");
    const url = input.value.trim();
    const enabled = $("set-proxy-enabled").checked;
    if (enabled && !url) {
      input.focus();
      throw new Error("Enter the proxy URL, or turn the global proxy off.");
    }
    const body = { outboundProxyEnabled: enabled, outboundNoProxy: $("set-no-proxy").value.trim() };
    // The URL arrives masked; send it only when the user typed a new one.
    if (url !== input.dataset.shown) body.outboundProxyUrl = url;
    return patchSettings(body, `Global proxy ${enabled ? "enabled" : "disabled"}.`);
  });

  // --- Usage ------------------------------------------------------------------------------------

  async function loadUsage() {
    const period = $("usage-period").value;
    const data = await api("GET", `/api/usage/stats?period=${enc(period)}`);
    const totals = [
      ["Requests", data.totalRequests],
      ["Errors", data.totalErrors],
      ["Prompt tokens", data.totalPromptTokens],
      ["Completion tokens", data.totalCompletionTokens],
    ];
    replace(
      $("usage-totals"),
      ...totals.map(([label, value]) => el("div", {}, el("dt", { text: label }), el("dd", { text: num(value || 0) }))),
    );
    const sections = [
      ["By combo", data.byCombo, "Combo"],
      ["By account", data.byAccount, "Account"],
      ["By model", data.byModel, "Model"],
      ["By provider", data.byProvider, "Provider"],
    ];
    replace(
      $("usage-tables"),
      ...sections.flatMap(([title, rows, keyName]) => [
        el("h3", { text: title }),
        el(
          "div",
          { class: "table-wrap" },
          table(
            title,
            [keyName, "Requests ", "Errors ", "Prompt tokens ", "Completion tokens ", "Avg latency (ms) ", "p50 TTFT (ms) "],
            (rows || []).map((r) => [
              r.key,
              num(r.requests),
              num(r.errors),
              num(r.promptTokens),
              num(r.completionTokens),
              num(r.avgLatencyMs),
              num(r.p50TtftMs),
            ]),
            "No requests in this period.",
          ),
        ),
      ]),
    );
  }

  $("usage-period").addEventListener("change", () => loadUsage().catch(fail));
  $("usage-refresh").addEventListener("click", (ev) => busy(ev.currentTarget, loadUsage));

  const LOADERS = {
    providers: loadProviders,
    pools: loadPools,
    combos: loadCombos,
    settings: loadSettings,
    usage: loadUsage,
  };

  updateConnectionForm();
  boot();
})();
