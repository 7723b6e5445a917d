// Agent page: one's own state, the current call and its caller's verified
// identity, a way to ask the caller to verify, and the softphone: switched
// on, calls ring in this browser (WebRTC) instead of the SIP phone.
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
    $("#transfer").hidden = !c || c.state !== "connected";
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

  // The softphone: its socket while switched on (remembered across a
  // reload), and one call's media at a time.
  const PHONE = "fd_softphone";
  let sock = null;
  let media = null;     // phone.call of the call ringing or in progress
  let ringing = null;   // the incoming message while it rings
  let talking = null;   // call id once connected
  let wrapTimer = null;
  let muted = false;
  let held = false;

  const phoneLine = (t) => { $("#phone-line").textContent = t; };
  const phoneAlert = (t) => { $("#phone-alert").textContent = t; };

  async function phoneOn() {
    let stream;
    try { stream = await phone.microphone(); } catch (e) {
      phoneAlert("The softphone needs your microphone: " + e.message);
      return;
    }
    sessionStorage.setItem(PHONE, "on");
    $("#phone-on").hidden = true;
    $("#phone-off").hidden = false;
    phoneLine("Connecting the softphone…");
    sock = phone.socket("/api/v1/ws/agent", {
      up() { phoneAlert(""); },
      down(wasUp, ev) {
        const cut = talking !== null;
        endMedia();
        if (ev.code === 1008) {
          phoneOff();
          phoneAlert("The softphone was opened in another page; this one is off.");
          return;
        }
        phoneAlert((cut ? "The connection to the server was lost: the call was cut off. " :
          wasUp ? "The connection to the server was lost. " : "Cannot reach the server. ") + "Reconnecting…");
      },
      message: (m) => onPhone(m, stream),
    });
  }

  function phoneOff() {
    sessionStorage.removeItem(PHONE);
    if (sock) sock.close();
    sock = null;
    endMedia();
    $("#phone-on").hidden = false;
    $("#phone-off").hidden = true;
    phoneLine("Softphone off: calls ring your SIP phone.");
  }

  function endMedia() {
    if (media) media.close();
    media = null;
    ringing = null;
    talking = null;
    muted = held = false;
    $("#mute").setAttribute("aria-pressed", "false");
    $("#hold").setAttribute("aria-pressed", "false");
    $("#incoming").hidden = true;
    $("#in-call").hidden = true;
  }

  function lost(text) { if (media) phoneAlert(text); }

  async function onPhone(m, stream) {
    switch (m.type) {
      case "hello":
        phoneLine("Softphone on: calls ring in this browser.");
        break;
      case "agent":
        showWrapup(m);
        break;
      case "incoming": {
        endMedia();
        ringing = m;
        media = phone.call(sock.send, stream, $("#remote"), lost);
        showIncoming(m);
        try { await media.answer(m.sdp, { call_id: m.call_id }); } catch (e) { phoneAlert("Audio set-up failed: " + e.message); }
        break;
      }
      case "withdrawn":
        if (ringing && ringing.call_id === m.call_id) {
          endMedia();
          phoneLine("The call stopped ringing (the caller hung up, or it rang too long).");
        }
        break;
      case "connected":
        $("#incoming").hidden = true;
        $("#in-call").hidden = false;
        ringing = null;
        talking = m.call_id;
        phoneLine("In a call.");
        $("#hangup").focus();
        break;
      case "ended":
        if (talking === m.call_id) {
          endMedia();
          phoneLine("The call has ended.");
        }
        break;
      case "hold":
        held = !!m.on;
        $("#hold").setAttribute("aria-pressed", String(held));
        phoneLine(held ? "The caller is on hold and hears music." : "In a call.");
        break;
      case "error":
        phoneAlert(m.detail || m.error);
        break;
    }
  }

  function showIncoming(m) {
    const dl = $("#incoming-info");
    dl.replaceChildren();
    const add = (k, v) => {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      dl.append(dt, dd);
    };
    add("Agency", m.agency_name || m.agency);
    add("Waited", phone.secs(m.waited_seconds));
    add("Caller", m.verified ? "verified" : "not verified");
    for (const [k, v] of Object.entries(m.caller || {})) add(k.replace("_", " "), v);
    $("#incoming").hidden = false;
    phoneLine("Ringing: a call for " + (m.agency_name || m.agency) + ".");
    $("#accept").focus();
  }

  function showWrapup(m) {
    if (wrapTimer) { clearInterval(wrapTimer); wrapTimer = null; }
    const out = $("#wrapup");
    if (!m.agent || m.agent.state !== "wrap_up" || !m.wrapup_ends_at) { out.textContent = ""; return; }
    const end = new Date(m.wrapup_ends_at).getTime();
    const tick = () => {
      const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      out.textContent = "Wrap-up: " + left + " s left before the next call.";
      if (left === 0) { clearInterval(wrapTimer); wrapTimer = null; }
    };
    tick();
    wrapTimer = setInterval(tick, 1000);
  }

  $("#phone-on").addEventListener("click", phoneOn);
  $("#phone-off").addEventListener("click", phoneOff);
  $("#accept").addEventListener("click", () => { if (ringing) sock.send({ type: "accept", call_id: ringing.call_id }); });
  $("#reject").addEventListener("click", () => {
    if (ringing) sock.send({ type: "reject", call_id: ringing.call_id });
    endMedia();
    phoneLine("Call rejected.");
  });
  $("#hangup").addEventListener("click", () => { sock.send({ type: "hangup" }); });
  $("#mute").addEventListener("click", () => {
    muted = !muted;
    if (media) media.mute(muted);
    $("#mute").setAttribute("aria-pressed", String(muted));
  });
  $("#hold").addEventListener("click", () => sock.send({ type: "hold", on: !held }));
  phone.keypad($("#keypad"), (k) => { if (media) media.key(k); }, () => talking !== null);

  // Blind transfer: the caller goes to the chosen agency's queue with transfer
  // priority, keeping their verified identity; this agent's part of the call ends.
  async function loadAgencies() {
    try {
      const queues = await fd.api("GET", "/api/v1/queues");
      const sel = $("#transfer-to");
      sel.replaceChildren();
      for (const q of queues) {
        const o = document.createElement("option");
        o.value = q.agency;
        o.textContent = q.name || q.agency;
        sel.appendChild(o);
      }
    } catch (e) { fd.say("Could not load the agencies: " + e.message); }
  }
  $("#transfer-go").addEventListener("click", async () => {
    if (!myCall) return;
    const to = $("#transfer-to").value;
    try {
      await fd.api("POST", "/api/v1/calls/" + encodeURIComponent(myCall.call_id) + "/transfer", { to });
      fd.say("Transferred to " + $("#transfer-to").selectedOptions[0].textContent + ".");
      scheduleRefresh();
    } catch (e) { fd.say("Could not transfer: " + e.message); }
  });

  fd.start({
    signedIn(who) {
      me = who;
      loadAgencies();
      fd.stream((s) => show(s.agents, s.calls), scheduleRefresh);
      if (sessionStorage.getItem(PHONE) === "on") phoneOn();
    },
    signedOut() { me = null; myCall = null; phoneOff(); },
  });
})();
