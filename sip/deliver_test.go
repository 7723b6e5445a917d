package sip

import (
	"context"
	"maps"
	"slices"
	"testing"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/calls"
)

// The screen pop survives the trip between nodes: what the home node rebuilds
// from a delivery INVITE (printed and parsed again, as on the wire) is the
// offer the call's node had, verified claims included.
func TestDeliveryCarriesTheScreenPop(t *testing.T) {
	e, err := New(Config{Addr: "127.0.0.1:0", AdvertiseIP: "127.0.0.1", Number: "110"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx) }() // Serve's end closes the sockets
	t.Cleanup(func() { cancel(); <-done })
	o := calls.Offer{CallID: "c1", Agency: "tax", From: "01012345678", Verified: true, Waited: 12,
		Identity: map[string]string{"given_name": "Minji", "family_name": "Kim", "birth_date": "1990-01-02"},
		History:  []string{"customs/1002"}}
	req, err := e.deliveryRequest("127.0.0.3:5060", "1003", o)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := sipmsg.ParseMessage([]byte(req.String()))
	if err != nil {
		t.Fatalf("delivery INVITE does not parse: %v\n%s", err, req)
	}
	in := wire.(*sipmsg.Request)
	got := offerFrom(in)
	if h := in.GetHeader(DeliverHeader); h == nil || h.Value() != "1003" {
		t.Fatalf("%s: %v", DeliverHeader, h)
	}
	if h := in.GetHeader("X-Frontdoor-Identity-Name"); h == nil || h.Value() != `"Minji Kim"` {
		t.Fatalf("identity name header: %v", h)
	}
	if got.CallID != o.CallID || got.Agency != o.Agency || got.From != o.From || !got.Verified || got.Waited != 12 ||
		!maps.Equal(got.Identity, o.Identity) || !slices.Equal(got.History, o.History) {
		t.Fatalf("rebuilt offer %+v, want %+v", got, o)
	}
	if _, err := e.deliveryRequest("no-port", "1003", o); err == nil {
		t.Fatal("a node address without a port was taken")
	}
}
