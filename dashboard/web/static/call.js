// The citizen's web caller: an optional digital-ID check, then a call to
// the front door over WebRTC with a keypad for the menu, and the queue
// position and estimated wait while waiting.
"use strict";

(() => {
  const $ = (s) => document.querySelector(s);
  const STATES = {
    ivr: "Connected to the front door: listen to the menu and choose with the keypad.",
    identity: "Verifying your identity…",
    queued: "Waiting for an agent.",
    ringing: "An agent is being connected…",
    connected: "You are talking to an agent.",
  };
  const OUTCOMES = {
    answered: "The call has ended. Thank you for calling.",
    abandoned: "You hung up.",
    rejected: "The call was ended by the front door.",
    closed: "The office is closed now. Please call again during opening hours.",
    timeout: "Nobody could take your call in time. Please try again later.",
    failed: "The call could not be set up.",
  };
  let current = null; // the call's media while one is set up or in progress
  let inCall = false;

  function say(m) { $("#status").textContent = m; }
  function line(m) { $("#line").textContent = m; }

  const sock = phone.socket("/api/v1/ws/call", {
    up() { line(""); },
    down(wasUp) {
      $("#call").disabled = true;
      if (inCall) {
        finish("The connection to the server was lost: the call has ended.");
      }
      line(wasUp ? "The connection to the server was lost. Reconnecting…" : "Cannot reach the server. Retrying…");
    },
    message: handle,
  });

  async function handle(m) {
    switch (m.type) {
      case "hello":
        $("#verify-box").hidden = !m.identity;
        renderMenu(m.agencies || []);
        $("#call").disabled = inCall;
        break;
      case "verification":
        wallet.show(m);
        // The code stays for wallets that only take a code (the demo
        // fdwallet's present -code), and for reading out on the phone.
        $("#verify-code").textContent = (m.wallet_url ? "Or open" : "Open") + " your ID wallet and enter this code: " +
          m.code.split("").join(" ") + " (valid until " + new Date(m.expires_at).toLocaleTimeString() + ")";
        $("#verified").textContent = "";
        break;
      case "verified": {
        const c = m.claims || {};
        const name = [c.given_name, c.family_name].filter(Boolean).join(" ");
        $("#verify-code").textContent = "";
        wallet.hide();
        $("#verified").textContent = "Verified" + (name ? ": " + name : "") + ". The agent will see this when you call.";
        $("#verify").disabled = true;
        break;
      }
      case "offer":
        if (current) {
          try { await current.answer(m.sdp); } catch (e) { say("Audio set-up failed: " + e.message); }
        }
        break;
      case "call":
        showCall(m);
        break;
      case "ended":
        finish(OUTCOMES[m.reason] || "The call has ended.");
        break;
      case "error":
        say(m.detail || m.error);
        // An expired session's link and QR code lead nowhere any more.
        if (m.error === "verification_failed") wallet.hide();
        if (!inCall && current) finish("");
        break;
    }
  }

  function renderMenu(list) {
    const ul = $("#menu");
    ul.replaceChildren();
    for (const a of list) {
      if (!a.digit) continue;
      const li = document.createElement("li");
      li.textContent = a.name + ": press " + a.digit.split("").join(" then ");
      ul.appendChild(li);
    }
  }

  function showCall(m) {
    let text = STATES[m.state] || m.state;
    if (m.agency_name && m.state !== "ivr") text += " (" + m.agency_name + ")";
    $("#call-state").textContent = text;
    let q = "";
    if (m.state === "queued" && m.position) {
      q = "You are number " + m.position + " in the queue.";
      if (m.ewt_seconds !== undefined) q += " Estimated wait: about " + phone.secs(m.ewt_seconds) + ".";
    }
    $("#queue").textContent = q;
  }

  async function startCall() {
    say("");
    $("#call").disabled = true;
    let stream;
    try { stream = await phone.microphone(); } catch (e) {
      say("The page needs your microphone to call: " + e.message);
      $("#call").disabled = false;
      return;
    }
    inCall = true;
    $("#hangup").disabled = false;
    $("#call-state").textContent = "Calling…";
    current = phone.call(sock.send, stream, $("#remote"), line);
    sock.send({ type: "call" });
  }

  function finish(text) {
    if (current) current.close();
    current = null;
    inCall = false;
    $("#hangup").disabled = true;
    $("#call").disabled = false;
    $("#queue").textContent = "";
    $("#keys-sent").textContent = "";
    if (text) $("#call-state").textContent = text;
  }

  $("#call").addEventListener("click", startCall);
  $("#hangup").addEventListener("click", () => { sock.send({ type: "hangup" }); finish("You hung up."); });
  $("#verify").addEventListener("click", () => sock.send({ type: "verify" }));
  phone.keypad($("#keypad"), (k) => {
    if (current && current.key(k)) $("#keys-sent").textContent = "Sent: " + k;
  }, () => inCall);
})();
