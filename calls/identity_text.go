package calls

import "context"

// identityText is the identity step's text-message offer: "press 1 to get a
// text message with a link to your ID wallet", once per call, only on a
// number a trusted trunk asserted and the destination policy allows.
type identityText struct {
	texter    IdentityTexter
	number    string // asserted; "" = no offer
	offered   bool   // the offer is still open
	sentMatch string // the match number of the text sent, once sent
}

func (c *Call) newIdentityText(asserted string) *identityText {
	t, _ := c.sb.identity.(IdentityTexter)
	if t == nil || phoneNumber(asserted) == "" || !t.TextsTo(asserted) {
		return &identityText{}
	}
	return &identityText{texter: t, number: asserted, offered: true}
}

// offer is what the code read-out starts with while the offer is open.
func (t *identityText) offer() []string {
	if t.offered {
		return []string{"identity-sms-offer"}
	}
	return nil
}

// textPressed handles key '1' during the identity wait: it sends the text the
// first time and says its match number; afterwards the number is said again
// and nothing more is sent. ok false: '1' means nothing here.
func (c *Call) textPressed(ctx context.Context, t *identityText, sessionID string, codePrompts func() []string) (announce []string, ok bool) {
	switch {
	case t.offered:
		t.offered = false // one text per call, even if this one fails
		match, err := t.texter.TextLink(ctx, c.ID, sessionID, t.number)
		if err != nil {
			c.sb.log.Warn("identity text not sent", "call", c.ID, "err", err)
			return append([]string{"identity-sms-failed"}, codePrompts()...), true
		}
		t.sentMatch = match
		fallthrough
	case t.sentMatch != "":
		return append(append([]string{"identity-sms-sent"}, spellDigits(t.sentMatch)...), "identity-wait"), true
	}
	return nil, false
}
