// The caller page's ways to reach an ID wallet over OpenID4VP, beside the
// 6-digit code: a link for a wallet on this device, a QR code for one on
// another device, and the W3C Digital Credentials API where the browser
// has it. The server says which session; it checks whatever comes back.
"use strict";

const wallet = (() => {
  const $ = (s) => document.querySelector(s);
  let session = null; // the verification message being shown

  // dcAPI: the browser can ask a wallet itself (Digital Credentials API).
  const dcAPI = () => !!(navigator.credentials && window.DigitalCredential);

  function show(m) {
    session = m.wallet_url ? m : null;
    $("#wallet").hidden = !session;
    if (!session) return;
    $("#wallet-open").href = m.wallet_url;
    $("#wallet-qr").src = m.qr;
    $("#wallet-dc").hidden = !dcAPI();
    $("#wallet-dc-status").textContent = "";
  }

  function hide() {
    session = null;
    $("#wallet").hidden = true;
    $("#wallet-qr").removeAttribute("src");
  }

  // askBrowser hands the signed request object to the browser's wallet
  // picker (OpenID4VP 1.0 Appendix A, protocol openid4vp-v1-signed) and
  // posts the wallet's encrypted answer to the response_uri, as a wallet
  // would. The server's request is not origin-bound yet (see README), so a
  // conforming wallet may refuse it; the error is shown, not hidden.
  async function askBrowser() {
    const m = session;
    if (!m) return;
    const status = (t) => { $("#wallet-dc-status").textContent = t; };
    try {
      status("Asking your browser for your ID…");
      const r = await fetch(m.request_uri, { headers: { Accept: "application/oauth-authz-req+jwt" } });
      if (!r.ok) throw new Error("the request could not be fetched (" + r.status + ")");
      const jwt = await r.text();
      const cred = await navigator.credentials.get({
        digital: { requests: [{ protocol: "openid4vp-v1-signed", data: { request: jwt } }] },
      });
      const answer = cred && cred.data && cred.data.response;
      if (!answer) throw new Error("the wallet gave no response");
      const responseURI = JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).response_uri;
      const post = await fetch(responseURI, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ response: answer }),
      });
      if (!post.ok) {
        const e = await post.json().catch(() => ({}));
        throw new Error(e.error_description || e.error || "refused (" + post.status + ")");
      }
      status("Sent. Waiting for the check…");
    } catch (e) {
      status("The browser could not get your ID: " + e.message + ". Use the link, the QR code or the code instead.");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#wallet-dc").addEventListener("click", askBrowser);
  });
  return { show, hide, dcAPI };
})();
