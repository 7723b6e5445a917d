package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// PushConfig names a webhook that offers a phone caller's session to their
// wallet app (for example through a push gateway), so the citizen need not
// type the code.
type PushConfig struct {
	URL string
}

// PushMessage is the webhook body.
type PushMessage struct {
	Number    string `json:"number"`
	SessionID string `json:"session_id"`
	Code      string `json:"code"`
	Nonce     string `json:"nonce"`
	Aud       string `json:"aud"`
	// Match is the number the IVR says and the wallet shows before the
	// citizen accepts (number matching, as in push MFA): a push that
	// reached the wrong phone names a number its owner did not hear.
	Match string `json:"match"`
	// WalletURL is the OpenID4VP link (openid4vp://…) when OpenID4VP is on.
	WalletURL string `json:"wallet_url,omitempty"`
}

type pusher struct {
	url    string
	client *http.Client
	log    *slog.Logger
}

// send posts in the background: the IVR must not wait on a push gateway, and
// a failed push only means the caller uses the code instead.
func (p *pusher) send(sess Session, number, walletURL string) {
	body, err := json.Marshal(PushMessage{Number: number, SessionID: sess.ID, Code: sess.Code, Nonce: sess.Nonce,
		Aud: sess.Aud, Match: sess.Match, WalletURL: walletURL})
	if err != nil {
		p.log.Warn("identity push: encode", "err", err)
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
		if err != nil {
			p.log.Warn("identity push: request", "session", sess.ID, "err", err)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := p.client.Do(req)
		if err != nil {
			p.log.Warn("identity push failed", "session", sess.ID, "err", err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			p.log.Warn("identity push refused", "session", sess.ID, "status", resp.Status)
		}
	}()
}
