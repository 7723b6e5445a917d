// Supervisor wallboard: agency tiles, the last hour's charts, agents with
// actions, calls in progress. Fed by /api/v1/events?view=wallboard: a
// snapshot, then at most one delta a second with what changed. Times come
// as Unix seconds, so waits and times in state are counted up here, once a
// second, without asking the server.
"use strict";

(() => {
  const { $, cell } = fd;
  const WALLBOARD = "/api/v1/events?view=wallboard";
  const board = { states: [], queues: new Map(), agents: new Map(), calls: new Map(), history: [], skew: 0 };
  const charts = {};
  let ticker = null;

  const nowSecs = () => Date.now() / 1000 + board.skew;
  const since = (t) => (t ? Math.max(0, nowSecs() - t) : 0);
  const clock = (v) => {
    v = Math.floor(v);
    const h = Math.floor(v / 3600), m = Math.floor((v % 3600) / 60), s = v % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s).padStart(2, "0");
  };
  const pct = (v) => Math.round((v || 0) * 100) + " %";

  function count(q, ...states) {
    let n = 0;
    for (const s of states) n += q.agents[board.states.indexOf(s)] || 0;
    return n;
  }

  // level is the colour of a tile: a caller past the answer target or a
  // service level under its goal is a breach; nearing the target a warning.
  function level(q) {
    const oldest = q.oldest_since ? since(q.oldest_since) : 0;
    const target = q.sl_secs || 20;
    if (oldest > target || (q.offered > 0 && q.sl < q.sl_goal)) return "breach";
    if (oldest > target * 0.75) return "warn";
    return "ok";
  }

  function figure(parent, label, value, cls) {
    const div = document.createElement("div");
    div.className = "figure" + (cls ? " " + cls : "");
    const v = document.createElement("span");
    v.className = "value";
    v.textContent = value;
    const l = document.createElement("span");
    l.className = "label";
    l.textContent = label;
    div.append(v, l);
    parent.appendChild(div);
    return v;
  }

  function renderQueues() {
    const box = $("#queues");
    box.replaceChildren();
    for (const q of board.queues.values()) {
      const tile = document.createElement("article");
      tile.className = "tile " + level(q) + (q.open ? "" : " closed");
      tile.dataset.agency = q.id;
      const h = document.createElement("h3");
      h.textContent = q.name || q.id;
      if (!q.open) h.textContent += " (closed)";
      tile.appendChild(h);
      const main = document.createElement("div");
      main.className = "figures";
      figure(main, "waiting", q.waiting, "waiting");
      const oldest = figure(main, "oldest wait", q.oldest_since ? clock(since(q.oldest_since)) : "–", "oldest");
      oldest.dataset.since = q.oldest_since || "";
      const slCls = q.offered > 0 && q.sl < q.sl_goal ? "sl below" : "sl";
      figure(main, "service level, goal " + pct(q.sl_goal) + " / " + q.sl_secs + " s", pct(q.sl), slCls);
      figure(main, "avg speed of answer", Math.round(q.asa) + " s", "asa");
      figure(main, "abandoned", q.offered ? pct(q.abandoned / q.offered) : "0 %", "abandon");
      figure(main, "offered / answered", q.offered + " / " + q.answered, "counts");
      tile.appendChild(main);
      const ag = document.createElement("p");
      ag.className = "agents-line";
      ag.textContent = "Agents: " + count(q, "ready") + " ready · " + count(q, "ringing", "busy") + " on call · " +
        count(q, "wrap_up") + " wrap-up · " + count(q, "not_ready") + " not ready";
      tile.appendChild(ag);
      box.appendChild(tile);
    }
  }

  // renderCenter is the whole center in one line: callers waiting, the
  // longest wait anywhere, and each agent counted once by state.
  function renderCenter() {
    let waiting = 0, oldest = 0;
    for (const q of board.queues.values()) {
      waiting += q.waiting;
      if (q.oldest_since && (!oldest || q.oldest_since < oldest)) oldest = q.oldest_since;
    }
    const by = {};
    for (const a of board.agents.values()) by[a.state] = (by[a.state] || 0) + 1;
    const n = (s) => by[s] || 0;
    const el = $("#center");
    el.dataset.since = oldest || "";
    el.dataset.prefix = "Center: " + waiting + " waiting · longest wait ";
    el.dataset.suffix = " · agents " + n("ready") + " ready · " + (n("ringing") + n("busy")) + " on call · " +
      n("wrap_up") + " wrap-up · " + n("not_ready") + " not ready · " + n("logged_out") + " logged out";
  }

  async function setState(agent, state) {
    const body = { state };
    if (state === "not_ready") body.reason = "supervisor";
    try {
      await fd.api("PUT", "/api/v1/agents/" + encodeURIComponent(agent.id) + "/state", body);
      fd.say((agent.name || agent.id) + " set " + fd.stateName(state) + ".");
    } catch (e) { fd.say("Could not change " + agent.id + ": " + e.message); }
  }

  function stateButton(td, agent, state, label) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.setAttribute("aria-label", label + ": " + (agent.name || agent.id));
    b.addEventListener("click", () => setState(agent, state));
    td.appendChild(b);
  }

  function renderAgents() {
    const body = $("#agents tbody");
    body.replaceChildren();
    for (const a of board.agents.values()) {
      const tr = document.createElement("tr");
      cell(tr, a.id);
      cell(tr, a.name);
      cell(tr, fd.stateName(a.state), "state-" + a.state);
      cell(tr, a.reason);
      cell(tr, a.since ? clock(since(a.since)) : "", "num age").dataset.since = a.since || "";
      cell(tr, a.call);
      cell(tr, a.agency);
      cell(tr, a.today, "num");
      const td = cell(tr, "");
      if (a.state !== "ready" && a.state !== "logged_out" && a.state !== "busy" && a.state !== "ringing") {
        stateButton(td, a, "ready", "Ready");
      }
      if (a.state === "ready") stateButton(td, a, "not_ready", "Not ready");
      if (a.state !== "logged_out") stateButton(td, a, "logged_out", "Log out");
      body.appendChild(tr);
    }
  }

  function renderCalls() {
    const body = $("#calls tbody");
    body.replaceChildren();
    for (const c of board.calls.values()) {
      const tr = document.createElement("tr");
      tr.dataset.call = c.id;
      cell(tr, c.from);
      cell(tr, c.number);
      cell(tr, c.agency);
      cell(tr, c.verified ? "verified" : "unverified", c.verified ? "verified" : "unverified");
      cell(tr, c.state);
      // Waiting runs from joining the queue to the answer; talking from the answer.
      const wait = cell(tr, "", "num age");
      if (c.queued) { wait.dataset.since = c.queued; if (c.answered) wait.dataset.until = c.answered; }
      const talk = cell(tr, "", "num age");
      if (c.answered) talk.dataset.since = c.answered;
      cell(tr, c.agent);
      const td = cell(tr, "");
      if (c.state === "connected") {
        for (const [mode, label] of [["listen", "Listen"], ["whisper", "Whisper"], ["barge", "Barge in"]]) {
          coachButton(td, c, mode, label);
        }
      }
      body.appendChild(tr);
    }
    tick();
  }

  // Coaching rings the supervisor's own registered phone into the call; the
  // supervisor hangs up that phone to leave.
  async function coach(call, mode) {
    try {
      await fd.api("POST", "/api/v1/calls/" + encodeURIComponent(call.id) + "/coach", { mode });
      fd.say(mode + ": your phone is connected to the call with " + (call.agent || "the agent") + ".");
    } catch (e) { fd.say("Could not " + mode + ": " + e.message); }
  }

  function coachButton(td, call, mode, label) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.dataset.coach = mode;
    b.setAttribute("aria-label", label + ": call with " + (call.agent || "agent"));
    b.addEventListener("click", () => coach(call, mode));
    td.appendChild(b);
  }

  // tick counts the clocks up between updates; it reads no data.
  function tick() {
    for (const el of document.querySelectorAll("[data-since]")) {
      const end = el.dataset.until ? Number(el.dataset.until) : nowSecs();
      const age = el.dataset.since ? clock(Math.max(0, end - Number(el.dataset.since))) : "–";
      if (el.dataset.prefix !== undefined) el.textContent = el.dataset.prefix + age + el.dataset.suffix;
      else if (el.dataset.since) el.textContent = age;
    }
    for (const tile of document.querySelectorAll("#queues .tile")) {
      const q = board.queues.get(tile.dataset.agency);
      if (q) tile.className = "tile " + level(q) + (q.open ? "" : " closed");
    }
    $("#clock").textContent = new Date(nowSecs() * 1000).toLocaleTimeString();
  }

  function chart(el, series, data) {
    const opts = {
      width: Math.max(280, el.clientWidth || 480), height: 180,
      // Always the last hour, however few minutes the server has seen.
      scales: {
        x: { time: true, range: () => { const n = nowSecs(); return [n - 3600, n + 60]; } },
        y: { range: (u, lo, hi) => [0, Math.max(1, hi)] },
      },
      series: [{}, ...series.map(([label, stroke]) => ({ label, stroke, width: 2 }))],
      axes: [{ stroke: "currentColor" }, { stroke: "currentColor" }],
    };
    return new uPlot(opts, data, el);
  }

  function renderCharts() {
    if (typeof uPlot === "undefined") return;
    const h = board.history;
    const t = h.map((p) => p.t);
    const calls = [t, h.map((p) => p.offered), h.map((p) => p.answered), h.map((p) => p.abandoned)];
    const waiting = [t, h.map((p) => p.waiting)];
    if (!charts.calls) {
      charts.calls = chart($("#chart-calls"), [["offered", "#4a90e2"], ["answered", "#2e9e4f"], ["abandoned", "#d0342c"]], calls);
      charts.waiting = chart($("#chart-waiting"), [["waiting", "#e08a00"]], waiting);
    } else {
      charts.calls.setData(calls);
      charts.waiting.setData(waiting);
    }
  }

  function reportLinks() {
    const from = $("#report-from").value, to = $("#report-to").value, agency = $("#report-agency").value;
    if (!from || !to) return;
    const end = new Date(to + "T00:00:00");
    end.setDate(end.getDate() + 1);
    let q = "since=" + encodeURIComponent(new Date(from + "T00:00:00").toISOString().replace(/\.\d+Z$/, "Z")) +
      "&until=" + encodeURIComponent(end.toISOString().replace(/\.\d+Z$/, "Z"));
    if (agency) q += "&agency=" + encodeURIComponent(agency);
    $("#report-csv").href = "/api/v1/cdrs?" + q + "&format=csv";
    $("#report-json").href = "/api/v1/cdrs?" + q + "&format=json";
  }

  function fillReportAgencies() {
    const sel = $("#report-agency");
    if (sel.options.length > 1) return;
    for (const q of board.queues.values()) {
      const o = document.createElement("option");
      o.value = q.id;
      o.textContent = q.name || q.id;
      sel.appendChild(o);
    }
  }

  function render(what) {
    if (what.queues || what.agents) renderCenter();
    if (what.queues) renderQueues();
    if (what.agents) renderAgents();
    if (what.calls) renderCalls();
    if (what.history) renderCharts();
    tick();
  }

  function byId(list) { return new Map(list.map((x) => [x.id, x])); }

  function onSnapshot(s) {
    board.skew = s.now - Date.now() / 1000;
    board.states = s.states;
    board.queues = byId(s.queues);
    board.agents = byId(s.agents);
    board.calls = byId(s.calls);
    board.history = s.history;
    fillReportAgencies();
    render({ queues: true, agents: true, calls: true, history: true });
  }

  function onDelta(type, d) {
    if (type !== "delta") return;
    board.skew = d.now - Date.now() / 1000;
    for (const q of d.queues || []) board.queues.set(q.id, q);
    for (const a of d.agents || []) board.agents.set(a.id, a);
    for (const c of d.calls || []) board.calls.set(c.id, c);
    for (const id of d.gone || []) board.calls.delete(id);
    for (const p of d.history || []) {
      const last = board.history[board.history.length - 1];
      if (last && last.t === p.t) board.history[board.history.length - 1] = p;
      else board.history.push(p);
      while (board.history.length > 60) board.history.shift();
    }
    render({ queues: d.queues, agents: d.agents, calls: d.calls || d.gone || d.agents, history: d.history });
  }

  const today = new Date().toISOString().slice(0, 10);
  $("#report-from").value = today;
  $("#report-to").value = today;
  for (const id of ["#report-from", "#report-to", "#report-agency"]) $(id).addEventListener("change", reportLinks);
  reportLinks();

  fd.start({
    signedIn(who) {
      // The server refuses agents the wallboard and every supervisor action;
      // the page says so rather than showing empty tables.
      const supervisor = who.role === "supervisor" || who.role === "admin";
      $("#not-supervisor").hidden = supervisor;
      $("#live").hidden = !supervisor;
      if (!supervisor) return;
      fd.stream(onSnapshot, onDelta, WALLBOARD);
      if (!ticker) ticker = setInterval(tick, 1000);
    },
    signedOut() {
      $("#not-supervisor").hidden = true;
      if (ticker) { clearInterval(ticker); ticker = null; }
    },
  });
})();
