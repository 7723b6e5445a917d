package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Webhook posts each text to a site's SMS gateway as JSON
// {"to","text","link","match","call_id"}; any 2xx means it took the text.
type Webhook struct {
	URL    string
	Client *http.Client // nil: http.DefaultClient (the Sender's timeout bounds it)
}

// WebhookBody is what the gateway receives.
type WebhookBody struct {
	To     string `json:"to"`
	Text   string `json:"text"`
	Link   string `json:"link"`
	Match  string `json:"match"`
	CallID string `json:"call_id"`
}

// Name is the metrics label.
func (w *Webhook) Name() string { return ChannelWebhook }

// Deliver posts the text.
func (w *Webhook) Deliver(ctx context.Context, m Message, text string) error {
	body, err := json.Marshal(WebhookBody{To: m.To, Text: text, Link: m.Link, Match: m.Match, CallID: m.CallID})
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// url.Error names the URL, which may carry the gateway's token:
		// keep it out of the logs.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post to the gateway: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)) // lets the connection be reused
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("gateway answered %s", resp.Status)
	}
	return nil
}

// Texter sends a text as a SIP MESSAGE through the carrier (sip.Edge).
type Texter interface {
	SendText(ctx context.Context, number, text string) error
}

// SIP is the SIP MESSAGE channel.
type SIP struct{ Trunk Texter }

// Name is the metrics label.
func (s SIP) Name() string { return ChannelSIP }

// Deliver sends the MESSAGE.
func (s SIP) Deliver(ctx context.Context, m Message, text string) error {
	return s.Trunk.SendText(ctx, m.To, text)
}
