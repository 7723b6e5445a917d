// Supervisor dashboard: live tables of queues, agents and calls.
"use strict";

(() => {
  const { $, cell } = fd;
  let refreshTimer = null;

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
      cell(tr, fd.secs(q.oldest_wait_seconds), "num");
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
        await fd.api("PUT", "/api/v1/agents/" + encodeURIComponent(agent.id) + "/state", body);
        fd.say((agent.name || agent.id) + " set " + fd.stateName(state) + ".");
        scheduleRefresh();
      } catch (e) { fd.say("Could not change " + agent.id + ": " + e.message); }
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
      cell(tr, fd.stateName(a.state), "state-" + a.state);
      cell(tr, a.reason);
      cell(tr, fd.time(a.since));
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
      cell(tr, fd.time(c.started_at));
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
        const [q, a, c] = await Promise.all([
          fd.api("GET", "/api/v1/queues"), fd.api("GET", "/api/v1/agents"), fd.api("GET", "/api/v1/calls")]);
        renderQueues(q); renderAgents(a); renderCalls(c);
      } catch (e) { if (e.message !== "unauthorized") fd.say("Refresh failed: " + e.message); }
    }, 250);
  }

  fd.start({
    signedIn() {
      fd.stream((s) => { renderQueues(s.queues); renderAgents(s.agents); renderCalls(s.calls); }, scheduleRefresh);
    },
    signedOut() {},
  });
})();
