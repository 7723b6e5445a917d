// Agent page: one's own state, the current call and its caller's verified
// identity, and a way to ask the caller to verify. Audio stays on the SIP
// phone until the WebRTC softphone exists.
"use strict";

(() => {
  const { $ } = fd;
  let me = null;         // { id, role }
  let myCall = null;     // the call this agent is on, if any
  let refreshTimer = null;

  function renderMe(a) {
    if (!a) {
      $("#my-state").textContent = "You are not in the agent list.";
      return;
    }
    let text = "You are " + fd.stateName(a.state);
    if (a.reason) text += " (" + a.reason + ")";
    const since = fd.time(a.since);
    if (since) text += " since " + since;
    $("#my-state").textContent = text + ".";
    $("#my-state").className = "state-" + a.state;
    $("#set-ready").disabled = a.state === "ready";
    $("#set-not-ready").disabled = a.state === "not_ready";
  }

  function renderCall(c) {
    myCall = c;
    const box = $("#call");
    box.replaceChildren();
    $("#verify").hidden = !c || c.verified;
    if (!c) {
      const p = document.createElement("p");
      p.textContent = "No call.";
      box.appendChild(p);
      $("#verify-code").textContent = "";
      return;
    }
    const dl = document.createElement("dl");
    const add = (k, v) => {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      dl.append(dt, dd);
    };
    add("Agency", c.agency);
    add("Call", c.call_id + " (" + c.state + ")");
    add("Caller", c.verified ? "verified" : "not verified");
    for (const [k, v] of Object.entries(c.identity || {})) add(k.replace("_", " "), v);
    box.appendChild(dl);
  }

  async function refresh() {
    try {
      const [agents, calls] = await Promise.all([fd.api("GET", "/api/v1/agents"), fd.api("GET", "/api/v1/calls")]);
      show(agents, calls);
    } catch (e) { if (e.message !== "unauthorized") fd.say("Refresh failed: " + e.message); }
  }

  function show(agents, calls) {
    renderMe(agents.find((a) => a.id === me.id));
    renderCall(calls.find((c) => c.agent === me.id) || null);
  }

  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => { refreshTimer = null; refresh(); }, 250);
  }

  async function setState(state) {
    const body = { state };
    if (state === "not_ready") body.reason = $("#reason").value;
    try {
      await fd.api("PUT", "/api/v1/agents/" + encodeURIComponent(me.id) + "/state", body);
      fd.say("");
      scheduleRefresh();
    } catch (e) { fd.say("Could not change your state: " + e.message); }
  }

  $("#set-ready").addEventListener("click", () => setState("ready"));
  $("#set-not-ready").addEventListener("click", () => setState("not_ready"));
  $("#set-logged-out").addEventListener("click", () => setState("logged_out"));
  $("#verify").addEventListener("click", async () => {
    if (!myCall) return;
    try {
      const s = await fd.api("POST", "/api/v1/identity/sessions", { call_id: myCall.call_id });
      $("#verify-code").textContent = "Read this code to the caller for their ID wallet: " +
        s.code.split("").join(" ") + " (valid until " + fd.time(s.expires_at) + ")";
    } catch (e) { fd.say("Could not start a verification: " + e.message); }
  });

  fd.start({
    signedIn(who) {
      me = who;
      fd.stream((s) => show(s.agents, s.calls), scheduleRefresh);
    },
    signedOut() { me = null; myCall = null; },
  });
})();
