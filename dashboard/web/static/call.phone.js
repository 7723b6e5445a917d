// Shared by the caller page and the agent softphone: the signalling socket
// (one per page, JSON messages, see webrtc/README.md) and the media of one
// call (an RTCPeerConnection answering frontdoor's offer: PCMU audio and
// telephone-events, which is all the server offers).
"use strict";

const phone = (() => {
  // socket keeps a WebSocket to path open, reconnecting after a drop.
  // hooks: message(m), up(), down(wasUp).
  function socket(path, hooks) {
    let ws = null;
    let stopped = false;
    let retry = 1000;
    function open() {
      const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
      ws = new WebSocket(url);
      let up = false;
      ws.onopen = () => { up = true; retry = 1000; hooks.up(); };
      ws.onmessage = (ev) => {
        let m;
        try { m = JSON.parse(ev.data); } catch (e) { return; }
        hooks.message(m);
      };
      ws.onclose = (ev) => {
        hooks.down(up, ev);
        if (stopped || ev.code === 1008) return; // 1008: replaced by another page
        setTimeout(open, retry);
        retry = Math.min(retry * 2, 10000);
      };
    }
    open();
    return {
      send(m) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m)); },
      close() { stopped = true; if (ws) ws.close(); },
    };
  }

  // microphone asks for the microphone once per page.
  let mic = null;
  async function microphone() {
    if (!mic) mic = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    return mic;
  }

  // call is one call's media. send is the socket's send; audio the
  // <audio> element that plays the other side; onLost(text) tells the page
  // when the media connection drops.
  function call(send, stream, audio, onLost) {
    const pc = new RTCPeerConnection();
    const track = stream.getAudioTracks()[0];
    let sender = null;
    pc.onicecandidate = (e) => { if (e.candidate) send({ type: "candidate", candidate: e.candidate.toJSON() }); };
    pc.ontrack = (e) => { audio.srcObject = e.streams[0] || new MediaStream([e.track]); };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed") onLost("The audio connection failed.");
      else if (pc.connectionState === "disconnected") onLost("The audio connection is interrupted…");
    };
    return {
      pc,
      // answer applies frontdoor's offer and sends our answer.
      async answer(sdp, extra) {
        await pc.setRemoteDescription({ type: "offer", sdp });
        const tr = pc.getTransceivers().find((t) => t.receiver.track.kind === "audio");
        tr.direction = "sendrecv";
        await tr.sender.replaceTrack(track);
        sender = tr.sender;
        await pc.setLocalDescription(await pc.createAnswer());
        send(Object.assign({ type: "answer", sdp: pc.localDescription.sdp }, extra || {}));
      },
      // key sends a DTMF key as RFC 4733 events.
      key(k) {
        if (!sender || !sender.dtmf || !sender.dtmf.canInsertDTMF) return false;
        sender.dtmf.insertDTMF(k, 120, 70);
        return true;
      },
      mute(on) { if (sender && sender.track) sender.track.enabled = !on; },
      close() { pc.close(); audio.srcObject = null; },
    };
  }

  // keypad fills el with the twelve keys; keys typed on the keyboard work
  // too while enabled() says so and no text field has the focus.
  function keypad(el, onKey, enabled) {
    for (const k of "123456789*0#") {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = k;
      b.setAttribute("aria-label", "Key " + (k === "*" ? "star" : k === "#" ? "hash" : k));
      b.addEventListener("click", () => onKey(k));
      el.appendChild(b);
    }
    document.addEventListener("keydown", (ev) => {
      if (!enabled() || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const tag = document.activeElement && document.activeElement.tagName;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
      if ("0123456789*#".includes(ev.key)) { ev.preventDefault(); onKey(ev.key); }
    });
  }

  function secs(v) {
    v = Math.max(0, Math.round(v || 0));
    return v < 60 ? v + " s" : Math.floor(v / 60) + " min " + (v % 60) + " s";
  }

  return { socket, microphone, call, keypad, secs };
})();
