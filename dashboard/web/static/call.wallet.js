// The caller page's ways to reach an ID wallet over OpenID4VP, beside the
// 6-digit code: a link for a wallet on this device, a QR code for one on
// another device, and the W3C Digital Credentials API where the browser
// has it. The server says which session; it checks whatever comes back.
"use strict";

const wallet = (() => {
  const $ = (s) => document.querySelector(s);
  let session = null; // the verification message being shown

  // dcAPI: the browser can ask a wallet itself (Digital Credentials API)
  // and, where it says so, speaks the signed OpenID4VP protocol.
  const dcAPI = () => {
    const DC = window.DigitalCredential;
    if (!navigator.credentials || !DC) return false;
    return typeof DC.userAgentAllowsProtocol !== "function" || DC.userAgentAllowsProtocol("openid4vp-v1-signed");
  };

  function show(m) {
    session = m.wallet_url ? m : null;
    $("#wallet").hidden = !session;
    if (!session) return;
    $("#wallet-open").href = m.wallet_url;
    $("#wallet-qr").src = m.qr;
    $("#wallet-dc").hidden = !(m.dc_request && dcAPI());
    $("#wallet-dc-status").textContent = "";
  }

  function hide() {
    session = null;
    $("#wallet").hidden = true;
    $("#wallet-qr").removeAttribute("src");
  }

  // askBrowser fetches the session's Digital Credentials API request
  // (OpenID4VP 1.0 Appendix A: protocol openid4vp-v1-signed, response
  // mode dc_api.jwt, no response_uri), hands it to the browser's wallet
  // picker and posts what the wallet answered to the session's
  // dc-response route. The browser tells the wallet this page's origin
  // and sets the Origin header of the post; the server checks the answer
  // is bound to that origin.
  async function askBrowser() {
    const m = session;
    if (!m || !m.dc_request) return;
    const status = (t) => { $("#wallet-dc-status").textContent = t; };
    try {
      status("Asking your browser for your ID…");
      const r = await fetch(m.dc_request, { headers: { Accept: "application/json" } });
      if (!r.ok) throw new Error("the request could not be fetched (" + r.status + ")");
      const request = await r.json();
      const cred = await navigator.credentials.get({ digital: { requests: [request] } });
      if (!cred || !cred.data) throw new Error("the wallet gave no answer");
      if (cred.data.error) throw new Error("the wallet said " + cred.data.error);
      const post = await fetch(m.dc_response, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ protocol: cred.protocol || request.protocol, data: cred.data }),
      });
      if (!post.ok) {
        const e = await post.json().catch(() => ({}));
        throw new Error(e.error_description || e.error || "refused (" + post.status + ")");
      }
      status("Sent. Waiting for the check…");
    } catch (e) {
      const why = String((e && e.message) || e).replace(/[.\s]+$/, "");
      status("The browser could not get your ID: " + why + ". Use the link, the QR code or the code instead.");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#wallet-dc").addEventListener("click", askBrowser);
  });
  return { show, hide, dcAPI };
})();
