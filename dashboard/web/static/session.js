// Shared by the pages: sign-in, the API with the bearer token, and the live
// event stream. The login token is kept in sessionStorage for fetch
// (Bearer); the EventSource rides on the HttpOnly fd_session cookie set at
// login, since an EventSource cannot send headers.
"use strict";

const fd = (() => {
  const TOKEN = "fd_token";
  const WHO = "fd_who";
  const $ = (sel) => document.querySelector(sel);
  let source = null;
  let hooks = { signedIn() {}, signedOut() {} };

  function say(msg) { $("#status").textContent = msg; }

  async function api(method, path, body) {
    const headers = { "Authorization": "Bearer " + sessionStorage.getItem(TOKEN) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (resp.status === 401) {
      signedOut("Your session has ended; please sign in again.");
      throw new Error("unauthorized");
    }
    const data = resp.status === 204 ? null : await resp.json();
    if (!resp.ok) throw new Error(data && data.detail ? data.detail : resp.statusText);
    return data;
  }

  // stream opens /api/v1/events (or path, e.g. the wallboard view):
  // onSnapshot gets the first event's data, onChange the type and data of
  // each later event.
  function stream(onSnapshot, onChange, path) {
    if (source) source.close();
    if (!sessionStorage.getItem(TOKEN)) return; // signed out meanwhile
    const live = $("#live-state");
    source = new EventSource(path || "/api/v1/events");
    source.addEventListener("snapshot", (ev) => {
      onSnapshot(JSON.parse(ev.data));
      if (live) live.textContent = "(live)";
    });
    for (const t of ["queue", "agent", "call", "cdr", "delta"]) {
      source.addEventListener(t, (ev) => onChange(t, JSON.parse(ev.data)));
    }
    source.onerror = () => {
      if (live) live.textContent = "(reconnecting…)";
      // The browser retries a dropped stream by itself, but not a refused
      // one: check the session (a 401 signs out) and open a new stream.
      if (source.readyState === EventSource.CLOSED) {
        api("GET", "/api/v1/queues").then(() => setTimeout(() => stream(onSnapshot, onChange, path), 5000)).catch(() => {});
      }
    };
  }

  function show(signedInView) {
    $("#login").hidden = signedInView;
    $("#live").hidden = !signedInView;
    $("#logout").hidden = !signedInView;
    $("#who").hidden = !signedInView;
  }

  function signedIn(who) {
    show(true);
    $("#who").textContent = "Signed in as " + who.id + " (" + who.role + ")";
    say("");
    hooks.signedIn(who);
  }

  function signedOut(msg) {
    if (source) { source.close(); source = null; }
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(WHO);
    show(false);
    say(msg || "");
    hooks.signedOut();
  }

  async function login(ev) {
    ev.preventDefault();
    const id = $("#login-id").value.trim();
    const password = $("#login-password").value;
    try {
      const resp = await fetch("/api/v1/login", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ id, password }),
      });
      const data = await resp.json();
      $("#login-password").value = "";
      if (!resp.ok) {
        say(resp.status === 401 ? "Wrong id or password." : data.detail);
        $("#login-password").focus();
        return;
      }
      const who = { id: data.id, role: data.role };
      sessionStorage.setItem(TOKEN, data.token);
      sessionStorage.setItem(WHO, JSON.stringify(who));
      signedIn(who);
    } catch (e) { say("Sign-in failed: " + e.message); }
  }

  // start wires the login form and the sign-out button, and resumes a
  // session this tab already has.
  function start(h) {
    hooks = h;
    $("#login").addEventListener("submit", login);
    $("#logout").addEventListener("click", async () => {
      try { await api("POST", "/api/v1/logout"); } catch (e) { /* signed out either way */ }
      signedOut("Signed out.");
    });
    const who = sessionStorage.getItem(WHO);
    if (sessionStorage.getItem(TOKEN) && who) signedIn(JSON.parse(who));
    else signedOut();
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
    return isNaN(d) || d.getFullYear() < 2000 ? "" : d.toLocaleTimeString();
  }

  function stateName(s) { return (s || "").replace("_", " "); }

  return { $, say, api, stream, start, cell, secs, time, stateName };
})();
