// Supervisor dashboard: sign in, then live tables fed by /api/v1/events.
// The login token is kept in sessionStorage for fetch (Bearer); the
// EventSource rides on the HttpOnly fd_session cookie set at login.
"use strict";

const $ = (sel) => document.querySelector(sel);
const TOKEN = "fd_token";
let source = null;
let refreshTimer = null;

function say(msg) { $("#status").textContent = msg; }

async function api(method, path, body) {
  const headers = { "Authorization": "Bearer " + sessionStorage.getItem(TOKEN) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (resp.status === 401) { signedOut("Your session has ended; please sign in again."); throw new Error("unauthorized"); }
  const data = resp.status === 204 ? null : await resp.json();
  if (!resp.ok) throw new Error(data && data.detail ? data.detail : resp.statusText);
  return data;
}

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function secs(v) {
  v = Math.round(v || 0);
  return v < 60 ? v + " s" : Math.floor(v / 60) + " min " + (v % 60) + " s";
}

function time(v) {
  if (!v) return "";
  const d = new Date(v);
  return isNaN(d) ? "" : d.toLocaleTimeString();
}

function renderQueues(list) {
  const body = $("#queues tbody");
  body.replaceChildren();
  for (const q of list) {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = q.name ? q.name + " (" + q.agency + ")" : q.agency;
    tr.appendChild(th);
    const a = q.agents || {};
    cell(tr, q.waiting, "num");
    cell(tr, secs(q.oldest_wait_seconds), "num");
    cell(tr, a.ready || 0, "num");
    cell(tr, (a.busy || 0) + (a.ringing || 0) + (a.wrap_up || 0), "num");
    cell(tr, a.not_ready || 0, "num");
    cell(tr, q.offered, "num");
    cell(tr, q.answered, "num");
    cell(tr, q.abandoned, "num");
    cell(tr, Math.round((q.service_level || 0) * 100) + " %", "num");
    body.appendChild(tr);
  }
}

function stateButton(td, agent, state, label) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.setAttribute("aria-label", label + ": " + (agent.name || agent.id));
  b.addEventListener("click", async () => {
    try {
      const body = { state };
      if (state === "not_ready") body.reason = "supervisor";
      await api("PUT", "/api/v1/agents/" + encodeURIComponent(agent.id) + "/state", body);
      say((agent.name || agent.id) + " set " + state.replace("_", " ") + ".");
      scheduleRefresh();
    } catch (e) { say("Could not change " + agent.id + ": " + e.message); }
  });
  td.appendChild(b);
}

function renderAgents(list) {
  const body = $("#agents tbody");
  body.replaceChildren();
  for (const a of list) {
    const tr = document.createElement("tr");
    cell(tr, a.id);
    cell(tr, a.name);
    cell(tr, (a.state || "").replace("_", " "), "state-" + a.state);
    cell(tr, a.reason);
    cell(tr, time(a.since));
    cell(tr, a.current_call);
    const td = cell(tr, "");
    if (a.state !== "ready" && a.state !== "logged_out") stateButton(td, a, "ready", "Ready");
    if (a.state === "ready") stateButton(td, a, "not_ready", "Not ready");
    body.appendChild(tr);
  }
}

function renderCalls(list) {
  const body = $("#calls tbody");
  body.replaceChildren();
  for (const c of list) {
    const tr = document.createElement("tr");
    cell(tr, c.call_id);
    cell(tr, c.agency);
    cell(tr, c.state);
    cell(tr, c.agent);
    cell(tr, time(c.started_at));
    cell(tr, c.verified ? "verified" : "unverified");
    body.appendChild(tr);
  }
}

// Events name what changed; the tables are re-read once per burst so the
// page never depends on the shape of each change.
function scheduleRefresh() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(async () => {
    refreshTimer = null;
    try {
      const [q, a, c] = await Promise.all([api("GET", "/api/v1/queues"), api("GET", "/api/v1/agents"), api("GET", "/api/v1/calls")]);
      renderQueues(q); renderAgents(a); renderCalls(c);
    } catch (e) { if (e.message !== "unauthorized") say("Refresh failed: " + e.message); }
  }, 250);
}

function connect() {
  if (source) source.close();
  if (!sessionStorage.getItem(TOKEN)) return; // signed out meanwhile
  source = new EventSource("/api/v1/events");
  source.addEventListener("snapshot", (ev) => {
    const s = JSON.parse(ev.data);
    renderQueues(s.queues); renderAgents(s.agents); renderCalls(s.calls);
    $("#live-state").textContent = "(live)";
  });
  for (const t of ["queue", "agent", "call", "cdr"]) source.addEventListener(t, scheduleRefresh);
  source.onerror = () => {
    $("#live-state").textContent = "(reconnecting…)";
    // The browser retries a dropped stream by itself, but not a refused
    // one: check the session (a 401 signs out) and open a new stream.
    if (source.readyState === EventSource.CLOSED) {
      api("GET", "/api/v1/queues").then(() => setTimeout(connect, 5000)).catch(() => {});
    }
  };
}

function signedIn(id, role) {
  $("#login").hidden = true;
  $("#live").hidden = false;
  $("#logout").hidden = false;
  $("#who").hidden = false;
  $("#who").textContent = "Signed in as " + id + " (" + role + ")";
  say("");
  connect();
}

function signedOut(msg) {
  if (source) { source.close(); source = null; }
  sessionStorage.removeItem(TOKEN);
  $("#login").hidden = false;
  $("#live").hidden = true;
  $("#logout").hidden = true;
  $("#who").hidden = true;
  say(msg || "");
}

$("#login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const id = $("#login-id").value.trim();
  const password = $("#login-password").value;
  try {
    const resp = await fetch("/api/v1/login", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ id, password }),
    });
    const data = await resp.json();
    if (!resp.ok) {
      say(resp.status === 401 ? "Wrong id or password." : data.detail);
      $("#login-password").value = "";
      $("#login-password").focus();
      return;
    }
    sessionStorage.setItem(TOKEN, data.token);
    sessionStorage.setItem(TOKEN + "_who", JSON.stringify({ id: data.id, role: data.role }));
    $("#login-password").value = "";
    signedIn(data.id, data.role);
  } catch (e) { say("Sign-in failed: " + e.message); }
});

$("#logout").addEventListener("click", async () => {
  try { await api("POST", "/api/v1/logout"); } catch (e) { /* signed out either way */ }
  signedOut("Signed out.");
});

(function start() {
  const who = sessionStorage.getItem(TOKEN + "_who");
  if (sessionStorage.getItem(TOKEN) && who) {
    const w = JSON.parse(who);
    signedIn(w.id, w.role);
  } else {
    signedOut();
  }
})();
