// Vigil console: a single page over the engine's JSON API (docs/api.md). The bearer
// token is kept in this tab's session storage and sent with every request; every
// piece of data is put on the page as text (never as HTML). Charts are SVG drawn here.
"use strict";

const TOKEN = "vigil.token";
const WHO = "vigil.who";
let timer = null;

// ---- helpers -------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function when(t) {
  if (!t) return "–";
  return t.slice(0, 10) + " " + t.slice(11, 19);
}

function num(n) {
  if (n === null || n === undefined) return "–";
  return Number(n).toLocaleString("en-US");
}

function rate(n, unit) {
  const units = ["", "k", "M", "G", "T"];
  let i = 0;
  n = Number(n) || 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return (n >= 100 || i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i] + unit;
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  n = Number(n) || 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
}

function scoreBadge(s) {
  const cls = s >= 70 ? "high" : s >= 40 ? "medium" : "low";
  return h("span", { class: "score " + cls, title: "score " + s }, s);
}

function stateChip(s) {
  return h("span", { class: "chip state-" + s }, s);
}

function deviceLink(ip) {
  return h("a", { href: "#/devices/" + encodeURIComponent(ip) }, ip);
}

function table(headers, rows, empty) {
  if (!rows.length) return h("p", { class: "muted" }, empty || "Nothing yet.");
  return h("table", {},
    h("thead", {}, h("tr", {}, headers.map(c => typeof c === "string"
      ? h("th", {}, c) : h("th", { class: c.cls }, c.text)))),
    h("tbody", {}, rows.map(r => h("tr", r.attrs || {}, r.cells.map(c =>
      (c && c.td) ? h("td", { class: c.cls }, c.td) : h("td", {}, c))))));
}

// Replaces what `el` shows (null and false children are skipped).
function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter(c => c !== null && c !== undefined && c !== false));
}

// Inner widths of a full-width card and of a card in a two-column grid, in pixels, so
// charts are drawn at the size they show (text in them stays at its font size).
function fullWidth() {
  return Math.max(300, document.getElementById("main").clientWidth - 44 - 34);
}
function halfWidth() {
  const content = document.getElementById("main").clientWidth - 44;
  return content >= 2 * 420 + 16 ? (content - 16) / 2 - 34 : fullWidth();
}

function card(title, ...body) {
  return h("section", { class: "card" }, title ? h("h2", {}, title) : null, ...body);
}

function tile(label, value, sub, alarm) {
  return h("div", { class: "tile" + (alarm ? " alarm" : "") },
    h("div", { class: "label" }, label), h("div", { class: "value" }, value),
    sub ? h("div", { class: "sub" }, sub) : null);
}

// ---- API -----------------------------------------------------------------------------

class Unauthorized extends Error {}

async function api(path, opts) {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) throw new Unauthorized();
  const o = Object.assign({ headers: {} }, opts || {});
  o.headers["Authorization"] = "Bearer " + token;
  const r = await fetch(path, o);
  if (r.status === 401) {
    sessionStorage.removeItem(TOKEN);
    throw new Unauthorized();
  }
  const body = await r.json().catch(() => ({}));
  if (!r.ok && !(opts && opts.allowError)) {
    throw new Error((body && body.error) || ("HTTP " + r.status));
  }
  return Object.assign(body, { _status: r.status });
}

async function act(id, verb) {
  const who = sessionStorage.getItem(WHO) || "console";
  const r = await api("/api/v1/actions/" + id + "/" + verb, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ by: who }),
    allowError: true,
  });
  const msg = r.ok
    ? "Action " + id + " is now " + r.action.state + "."
    : "Action " + id + ": " + (r.error || "refused");
  if (r.ok) {
    // The API serves the engine's latest view: wait (briefly) until it shows the change.
    for (let i = 0; i < 30; i++) {
      const a = await api("/api/v1/actions/" + id, { allowError: true });
      if (a.state === r.action.state) break;
      await new Promise(res => setTimeout(res, 100));
    }
  }
  sessionStorage.setItem("vigil.message", JSON.stringify({ ok: !!r.ok, msg }));
  route();
}

function actionButtons(a) {
  const out = [];
  if (a.state === "pending") {
    out.push(h("button", { class: "act", type: "button", "data-approve": a.id,
      onclick: ev => { ev.target.disabled = true; act(a.id, "approve"); } }, "Approve"));
  }
  if (a.state === "pending" || a.state === "active" || a.state === "suppressed") {
    out.push(h("button", { class: "act secondary", type: "button", "data-release": a.id,
      onclick: ev => { ev.target.disabled = true; act(a.id, "release"); } }, "Release"));
  }
  return out;
}

function actionsTable(list, empty) {
  return table(["ID", "Action", "State", "Target", "Start", "Expires", "Incident", "Reason", ""],
    list.map(a => ({
      attrs: { id: "action-" + a.id },
      cells: [
        a.id, a.action, { td: stateChip(a.state), cls: "state" },
        a.endpoint ? (a.device + " → " + a.endpoint + (a.dest_port ? ":" + a.dest_port : "")) : a.device,
        when(a.start), when(a.expires),
        h("a", { href: "#/incidents/" + a.incident_id }, a.incident_id),
        { td: a.reason, cls: "wrap" },
        actionButtons(a),
      ],
    })), empty || "No actions.");
}

function flash() {
  const m = sessionStorage.getItem("vigil.message");
  if (!m) return null;
  sessionStorage.removeItem("vigil.message");
  const { ok, msg } = JSON.parse(m);
  return h("div", { class: "message " + (ok ? "ok" : "error"), id: "message" }, msg);
}

// ---- charts --------------------------------------------------------------------------

function lineChart(points, label, W) {
  const H = 150, P = 44;
  const max = Math.max(1, ...points.map(p => p[1]));
  const n = points.length;
  const x = i => P + (n <= 1 ? 0 : (i * (W - P - 8)) / (n - 1));
  const y = v => H - 20 - (v / max) * (H - 34);
  const line = points.map((p, i) => x(i).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" ");
  const area = n ? "M" + x(0) + "," + y(0) + " L" + line.replace(/ /g, " L") +
    " L" + x(n - 1) + "," + y(0) + " Z" : "";
  return svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label },
    svg("line", { class: "axis", x1: P, y1: y(0), x2: W - 8, y2: y(0) }),
    svg("line", { class: "axis", x1: P, y1: y(max), x2: W - 8, y2: y(max) }),
    svg("text", { x: 2, y: y(max) + 4 }, rate(max, "")),
    svg("text", { x: 2, y: y(0) + 4 }, "0"),
    svg("text", { x: P, y: H - 4 }, n > 1 ? Math.round((points[n - 1][0] - points[0][0]) / 60) + " min" : ""),
    n ? svg("path", { class: "area", d: area }) : null,
    n ? svg("polyline", { class: "line", points: line }) : null);
}

function barChart(values, labels, label, W) {
  const H = 150, P = 30;
  const max = Math.max(1, ...values);
  const bw = (W - P - 8) / values.length;
  return svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label },
    svg("line", { class: "axis", x1: P, y1: H - 20, x2: W - 8, y2: H - 20 }),
    svg("text", { x: 2, y: 18 }, num(max)),
    values.map((v, i) => {
      const bh = (v / max) * (H - 40);
      return [
        svg("rect", { class: "bar", x: P + i * bw + 2, y: H - 20 - bh, width: Math.max(1, bw - 4), height: bh },
          svg("title", {}, labels[i] + ": " + num(v))),
        i % (bw < 28 ? 3 : 1) === 0 ? svg("text", { x: P + i * bw + 2, y: H - 6 }, labels[i]) : null,
      ];
    }));
}

// ---- pages ---------------------------------------------------------------------------

async function overview(main) {
  const [s, inc, acts] = await Promise.all([
    api("/api/v1/status?history=true"),
    api("/api/v1/incidents?open=true&limit=20"),
    api("/api/v1/actions?state=pending"),
  ]);
  document.getElementById("sensor").textContent =
    s.sensor + " · " + s.input + (s.live ? " (live)" : " (capture)") + " · packet time " + when(s.packet_time);
  const hist = (s.history || []).map(p => [p.t, p.bps]);
  fill(main,
    h("h1", {}, "Overview"),
    flash(),
    h("div", { class: "grid tiles" },
      tile("Throughput", rate(s.rate.bps, "bit/s"), rate(s.rate.pps, "packets/s")),
      tile("Packets", num(s.packets), bytes(s.bytes)),
      tile("Drops", num(s.drops.total), rate(s.rate.drops_ps, "drops/s"), s.drops.total > 0),
      tile("Open incidents", num(s.incidents.open), num(s.incidents.total) + " in all", s.incidents.open > 0),
      tile("Pending actions", num(s.actions.pending), num(s.actions.active) + " active", s.actions.pending > 0),
      tile("Devices", num(s.devices), num(s.rare_endpoints) + " rare endpoints"),
      tile("Alerts", num(s.alerts), "since the state began")),
    h("div", { class: "grid two" },
      card("Throughput (bit/s, last five minutes)", lineChart(hist, "throughput", halfWidth())),
      card("Workers", table(["Worker", { text: "Packets", cls: "num" }, { text: "Flows active", cls: "num" },
        { text: "Queue", cls: "num" }, { text: "Dropped", cls: "num" }],
        s.workers.map(w => ({ cells: [w.id, { td: num(w.packets), cls: "num" }, { td: num(w.flows_active), cls: "num" },
          { td: num(w.summary_queue_depth + w.record_queue_depth), cls: "num" },
          { td: num(w.records_dropped + w.summary_queue_full), cls: "num" }] }))))),
    card("Open incidents", table(["Score", "Incident", "Devices", "Tactics", "Last"],
      inc.incidents.map(i => ({ cells: [scoreBadge(i.score),
        h("a", { href: "#/incidents/" + i.id }, "Incident " + i.id),
        i.devices.map(d => [deviceLink(d), " "]),
        i.tactics.map(t => h("span", { class: "chip tactic" }, t)), when(i.last)] })), "No open incident.")),
    card("Pending actions", actionsTable(acts.actions, "No action waits for approval.")),
    card("Outputs", table(["Output", "Counters"],
      Object.entries(s.outputs).map(([name, c]) => ({ cells: [name,
        Object.entries(c).map(([k, v]) => h("span", { class: "chip" + (k === "dropped" && v > 0 ? " state-active" : "") },
          k.replace("_", " ") + " " + num(v)))] })),
      "No output is configured.")));
}

async function incidents(main) {
  const r = await api("/api/v1/incidents?limit=500");
  fill(main, h("h1", {}, "Incidents"), card(null,
    table(["Score", "Incident", "Devices", "Tactics", "Breaches", "First", "Last", ""],
      r.incidents.map(i => ({ cells: [scoreBadge(i.score), h("a", { href: "#/incidents/" + i.id }, "Incident " + i.id),
        i.devices.map(d => [deviceLink(d), " "]), i.tactics.map(t => h("span", { class: "chip tactic" }, t)),
        i.alert_count, when(i.first), when(i.last), i.open ? h("span", { class: "chip open" }, "open") : ""] })),
      "No incident.")));
}

function timelineChart(alerts, W) {
  const H = 70, P = 10;
  const ts = alerts.map(a => Date.parse(a.timestamp.replace("+0000", "Z")));
  const t0 = Math.min(...ts), t1 = Math.max(...ts);
  const x = t => P + (t1 === t0 ? (W - 2 * P) / 2 : ((t - t0) / (t1 - t0)) * (W - 2 * P));
  return svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "breaches over time" },
    svg("line", { class: "axis", x1: P, y1: 40, x2: W - P, y2: 40 }),
    alerts.map((a, i) => svg("circle", { cx: x(ts[i]).toFixed(1), cy: 40 - (a.score - 40) / 3, r: 5,
      fill: a.score >= 70 ? "#c0392b" : a.score >= 40 ? "#d68910" : "#2e86c1", "fill-opacity": 0.75 },
      svg("title", {}, when(a.timestamp) + " " + a.model + " (" + a.score + ")"))),
    svg("text", { x: P, y: H - 4 }, when(alerts.length ? alerts.reduce((m, a) => a.timestamp < m ? a.timestamp : m, alerts[0].timestamp) : "")),
    svg("text", { x: W - P, y: H - 4, "text-anchor": "end" }, when(alerts.length ? alerts.reduce((m, a) => a.timestamp > m ? a.timestamp : m, alerts[0].timestamp) : "")));
}

async function incident(main, id) {
  const i = await api("/api/v1/incidents/" + encodeURIComponent(id));
  const alerts = i.alerts.slice().sort((a, b) => a.timestamp < b.timestamp ? -1 : 1);
  fill(main,
    h("h1", {}, scoreBadge(i.score), " Incident " + i.id, " ",
      i.open ? h("span", { class: "chip open" }, "open") : h("span", { class: "chip" }, "closed")),
    flash(),
    h("div", { class: "grid two" },
      card("What happened", h("p", { class: "narrative", id: "incident-narrative" }, i.narrative)),
      card("Facts", h("div", { class: "kv" },
        h("div", {}, "Devices"), h("div", {}, i.devices.map(d => [deviceLink(d), " "])),
        h("div", {}, "Endpoints"), h("div", { class: "wrap" }, i.endpoints.join(", ") || "–"),
        h("div", {}, "First breach"), h("div", {}, when(i.first)),
        h("div", {}, "Last breach"), h("div", {}, when(i.last)),
        h("div", {}, "Breaches"), h("div", {}, num(i.alert_count)),
        h("div", {}, "Tactics"), h("div", { id: "incident-tactics" }, i.tactics.map(t => h("span", { class: "chip tactic" }, t))),
        h("div", {}, "MITRE ATT&CK"), h("div", { id: "incident-mitre" }, i.mitre.map(t => h("span", { class: "chip" }, t))),
        h("div", {}, "Linked"), h("div", {}, i.linked.length
          ? i.linked.map(l => [h("a", { href: "#/incidents/" + l }, "Incident " + l), " "]) : "–")))),
    card("Actions", actionsTable(i.actions, "No action was decided for this incident.")),
    card("Timeline", timelineChart(alerts, fullWidth()),
      h("ol", { class: "timeline", id: "incident-timeline" }, alerts.map(a => h("li", {},
        h("span", { class: "when" }, when(a.timestamp)),
        h("span", {}, scoreBadge(a.score)),
        h("span", {},
          h("div", { class: "model" }, a.model, " ", (a.mitre || []).map(t => h("span", { class: "chip" }, t))),
          h("div", { class: "reason" }, a.device, " → ", a.endpoint, ": ", a.reason)))))));
}

async function devices(main) {
  const r = await api("/api/v1/devices");
  fill(main, h("h1", {}, "Devices"), card(null,
    table(["Device", "Names", "OS", "MAC", { text: "Connections", cls: "num" }, { text: "Endpoints", cls: "num" },
      "First seen", "Last seen", "State"],
      r.devices.map(d => ({ cells: [deviceLink(d.ip), d.names.join(", ") || "–", d.os || "–", d.mac || "–",
        { td: num(d.connections), cls: "num" }, { td: num(d.endpoint_count), cls: "num" },
        when(d.first_seen), when(d.last_seen), d.learning ? "learning" : "baseline"] })),
      "No device learned yet.")));
}

async function device(main, ip) {
  const d = await api("/api/v1/devices/" + encodeURIComponent(ip));
  const p = d.pattern;
  const hours = Array.from({ length: 24 }, (_, i) => String(i).padStart(2, "0") + "h");
  fill(main,
    h("h1", {}, d.ip, d.names.length ? " (" + d.names.join(", ") + ")" : ""),
    h("div", { class: "grid two" },
      card("Who", h("div", { class: "kv" },
        h("div", {}, "MAC"), h("div", {}, d.mac || "–"),
        h("div", {}, "OS"), h("div", {}, d.os || "–"),
        h("div", {}, "First seen"), h("div", {}, when(d.first_seen)),
        h("div", {}, "Last seen"), h("div", {}, when(d.last_seen)),
        h("div", {}, "State"), h("div", {}, d.learning ? "learning (its deviations may not breach yet)" : "baseline learned"),
        h("div", {}, "Connections"), h("div", {}, num(d.connections) + " (" + num(d.failed) + " failed)"),
        h("div", {}, "Bytes out per hour"), h("div", {}, bytes(p.bytes_out_per_hour.mean) + " ± " + bytes(p.bytes_out_per_hour.std)))),
      card("Usual hours (connections started, UTC)", barChart(p.hours, hours, "connections by hour", halfWidth()))),
    card("Usual endpoints", table(["Endpoint", { text: "Connections", cls: "num" }, { text: "Out", cls: "num" },
      { text: "In", cls: "num" }, { text: "Devices", cls: "num" }, "First", "Last"],
      p.endpoints.map(e => ({ cells: [e.endpoint + (e.rare ? " (rare)" : ""), { td: num(e.connections), cls: "num" },
        { td: bytes(e.bytes_out), cls: "num" }, { td: bytes(e.bytes_in), cls: "num" },
        { td: num(e.devices), cls: "num" }, when(e.first_seen), when(e.last_seen)] })), "No external endpoint.")),
    h("div", { class: "grid two" },
      card("Ports and protocols", table(["Port", { text: "Connections", cls: "num" }],
        p.ports.map(x => ({ cells: [x.port, { td: num(x.connections), cls: "num" }] }))),
        table(["Protocol", { text: "Connections", cls: "num" }],
          p.protocols.map(x => ({ cells: [x.protocol, { td: num(x.connections), cls: "num" }] })))),
      card("User agents", table(["User agent", { text: "Seen", cls: "num" }, "Last"],
        p.user_agents.map(u => ({ cells: [{ td: u.value, cls: "wrap mono" }, { td: num(u.count), cls: "num" }, when(u.last_seen)] })),
        "No user agent."))),
    card("Recent breaches", table(["Time", "Score", "Model", "Endpoint", "Incident", "Why"],
      d.breaches.map(b => ({ cells: [when(b.timestamp), scoreBadge(b.score), b.model, b.endpoint,
        h("a", { href: "#/incidents/" + b.incident_id }, b.incident_id), { td: b.reason, cls: "wrap" }] })),
      "No breach.")));
}

async function ai(main) {
  const r = await api("/api/v1/ai");
  const rows = [];
  for (const d of r.devices) {
    for (const s of d.services) {
      rows.push({ cells: [deviceLink(d.device), d.names.join(", ") || "–", s.name, s.provider, s.category,
        { td: h("span", { class: "chip" + (s.policy === "not sanctioned" ? " state-active" : "") }, s.policy) },
        { td: num(s.connections), cls: "num" }, { td: bytes(s.bytes_up), cls: "num" }, { td: bytes(s.bytes_down), cls: "num" },
        when(s.first_seen), when(s.last_seen)] });
    }
  }
  const agents = [];
  for (const d of r.devices) for (const a of d.agents) {
    agents.push({ cells: [deviceLink(d.device), a.name, a.provider, num(a.requests), when(a.last_seen)] });
  }
  fill(main, h("h1", {}, "AI inventory"),
    card("AI services by device", table(["Device", "Name", "Service", "Provider", "Category", "Policy",
      { text: "Conns", cls: "num" }, { text: "Up", cls: "num" }, { text: "Down", cls: "num" }, "First", "Last"],
      rows, "No AI service in use.")),
    card("AI SDKs and agents", table(["Device", "Agent", "Provider", "Requests", "Last"], agents, "None seen.")),
    h("div", { class: "grid two" },
      card("MCP servers", table(["Server", "Name", "Clients", "Requests", "Tools called"],
        r.mcp_servers.map(s => ({ cells: [s.server, s.name || "–", s.clients.map(c => c.client).join(", "), num(s.requests),
          s.tools.map(t => t.tool + " (" + t.calls + ")").join(", ") || "–"] })), "None seen.")),
      card("Local LLM servers", table(["Server", "Name", "APIs", "Models", "Requests"],
        r.llm_servers.map(s => ({ cells: [s.server, s.name || "–", Object.keys(s.apis || {}).join(", "),
          Object.keys(s.models || {}).join(", ") || "–", num(s.requests)] })), "None seen."))));
}

async function actions(main) {
  const r = await api("/api/v1/actions");
  const live = r.actions.filter(a => ["pending", "active", "suppressed"].includes(a.state));
  const done = r.actions.filter(a => !["pending", "active", "suppressed"].includes(a.state));
  fill(main, h("h1", {}, "Actions"), flash(),
    card("Pending and active", actionsTable(live, "No live action.")),
    card("Released and expired", actionsTable(done, "None.")));
}

function login(main) {
  const form = h("form", { class: "card login", id: "login" },
    h("h2", {}, "Sign in to Vigil"),
    h("p", { class: "muted" }, "The API token is in the file the profile's api.token_file names (readable by root only)."),
    h("label", { for: "token" }, "API token"),
    h("input", { id: "token", type: "password", autocomplete: "off", required: true }),
    h("label", { for: "who" }, "Your name (recorded with what you approve or release)"),
    h("input", { id: "who", type: "text", value: sessionStorage.getItem(WHO) || "" }),
    h("button", { class: "act", type: "submit" }, "Sign in"));
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN, document.getElementById("token").value.trim());
    sessionStorage.setItem(WHO, document.getElementById("who").value.trim() || "console");
    try {
      await api("/api/v1/status");
      location.hash = sessionStorage.getItem("vigil.next") || "#/";
    } catch (e) {
      main.prepend(h("div", { class: "message error" }, "That token was refused."));
    }
  });
  fill(main, form);
}

// ---- router --------------------------------------------------------------------------

async function route() {
  clearTimeout(timer);
  const main = document.getElementById("main");
  const hash = location.hash || "#/";
  const parts = hash.slice(2).split("/").map(decodeURIComponent);
  const page = parts[0] || "overview";
  for (const a of document.querySelectorAll("#nav a")) {
    a.classList.toggle("active", a.dataset.nav === page);
  }
  if (page === "login") return login(main);
  try {
    if (page === "overview") await overview(main);
    else if (page === "incidents" && parts[1]) await incident(main, parts[1]);
    else if (page === "incidents") await incidents(main);
    else if (page === "devices" && parts[1]) await device(main, parts[1]);
    else if (page === "devices") await devices(main);
    else if (page === "ai") await ai(main);
    else if (page === "actions") await actions(main);
    else fill(main, h("p", {}, "No such page."));
    document.body.dataset.page = page;
    document.body.dataset.ready = String(Date.now());
    if (page === "overview") timer = setTimeout(route, 3000);
  } catch (e) {
    if (e instanceof Unauthorized) {
      sessionStorage.setItem("vigil.next", hash);
      location.hash = "#/login";
      return;
    }
    fill(main, h("div", { class: "message error", id: "error" }, String(e.message || e)));
    document.body.dataset.ready = String(Date.now());
  }
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", () => {
  document.getElementById("logout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN);
    location.hash = "#/login";
  });
  route();
});
