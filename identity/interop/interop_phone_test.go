package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/frontdoor-project/frontdoor/internal/testua"
)

// pushMessage is the part of frontdoor's wallet push webhook body the
// wallet app needs.
type pushMessage struct {
	Number    string `json:"number"`
	Match     string `json:"match"`
	WalletURL string `json:"wallet_url"`
}

// The phone flow end to end with the npm wallet: a trunk call whose
// number is asserted has its wallet link pushed to the caller's wallet
// app, the npm wallet answers it, and the agent's INVITE says verified
// with the caller's name; the CDR keeps exactly the asked claims. Once
// with an SD-JWT VC, once with an mDL @animo-id/mdoc issued.
func TestPhoneCallVerifiedByNPMWallet(t *testing.T) {
	node := needNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pki := newVerifierPKI(t)
	wallets, iaca := newInteropWallets(t, t.TempDir())
	pushes := make(chan pushMessage, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m pushMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, "bad push", http.StatusBadRequest)
			return
		}
		pushes <- m
		w.WriteHeader(http.StatusAccepted)
	}))
	defer hook.Close()
	fd := startFrontdoor(t, ctx, pki.Chain, pki.Key, iaca, hook.URL)
	agent := fd.readyAgent(t, ctx, "1001")

	for _, c := range []struct {
		name, method string
		args         []string
	}{
		{"SD-JWT VC", "openid4vp-sdjwt", wallets.sdjwtArgs},
		{"mDL", "openid4vp-mdoc", wallets.mdocArgs},
	} {
		t.Run(c.name, func(t *testing.T) {
			trunk, err := testua.NewPhone("anonymous")
			if err != nil {
				t.Fatal(err)
			}
			defer trunk.Close()
			// 127.0.0.1 is a trusted trunk by default: its assertion is
			// what frontdoor pushes on (never a caller-typed From).
			trunk.Headers = []sip.Header{sip.NewHeader("P-Asserted-Identity", "<sip:01055556666@127.0.0.1>")}
			out, err := trunk.Call(ctx, fd.SIP, "110", nil, 1000)
			if err != nil {
				t.Fatalf("call 110: %v", err)
			}
			defer out.Hangup(context.Background())
			if err := out.RTP.SendDTMF('1'); err != nil { // 1: verify with my digital ID
				t.Fatal(err)
			}
			var push pushMessage
			select {
			case push = <-pushes:
			case <-ctx.Done():
				t.Fatal("no wallet push arrived")
			}
			if push.Number != "01055556666" || !strings.HasPrefix(push.WalletURL, "openid4vp://") {
				t.Fatalf("push %+v: want the asserted number and an openid4vp:// link", push)
			}
			res, ok := runWallet(t, node, pki.Root, push.WalletURL, c.args...)
			if !ok || !res.OK {
				t.Fatalf("the npm wallet's answer: %v\nfrontdoor log:\n%s", res, fd.logText())
			}
			if err := out.RTP.SendDTMF('1'); err != nil { // the menu: tax
				t.Fatal(err)
			}
			in, err := agent.NextIncoming(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := in.Req.GetHeader("X-Frontdoor-Identity"); got == nil || got.Value() != "verified" {
				t.Fatalf("X-Frontdoor-Identity %v, want verified", got)
			}
			if got := in.Req.GetHeader("X-Frontdoor-Identity-Name"); got == nil || got.Value() != `"Minji Kim"` {
				t.Fatalf("X-Frontdoor-Identity-Name %v, want \"Minji Kim\"", got)
			}
			callID := in.Req.GetHeader("X-Frontdoor-Call")
			if callID == nil {
				t.Fatal("no X-Frontdoor-Call")
			}
			out.Hangup(ctx)
			cdr := fd.waitCDR(t, ctx, callID.Value())
			want := map[string]string{"given_name": "Minji", "family_name": "Kim", "birthdate": "1990-05-17"}
			if fmt.Sprint(cdr.Identity) != fmt.Sprint(want) {
				t.Fatalf("CDR identity %v, want exactly %v (nationality / resident_address never asked)", cdr.Identity, want)
			}
			series := `frontdoor_identity_verifications_total{method="` + c.method + `",result="verified"}`
			if got := fd.metric(t, series); got != "1" {
				t.Fatalf("%s = %q, want 1", series, got)
			}
		})
	}
}

// readyAgent registers agent id's phone (auto-answering) and sets it ready.
func (n *frontdoorNode) readyAgent(t *testing.T, ctx context.Context, id string) *testua.Phone {
	t.Helper()
	p, err := testua.NewPhone(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	p.AutoAnswer = 2000
	if code, err := p.Register(ctx, n.SIP, "pw"+id, 300); err != nil || code != http.StatusOK {
		t.Fatalf("register %s: %d %v", id, code, err)
	}
	n.api(t, ctx, "PUT", "/api/v1/agents/"+id+"/state", `{"state":"ready"}`, nil)
	return p
}

type cdr struct {
	CallID   string            `json:"call_id"`
	Identity map[string]string `json:"identity"`
}

// waitCDR reads the CDRs until the call's is stored (it is written when
// both legs are down, after the BYE this test sent).
func (n *frontdoorNode) waitCDR(t *testing.T, ctx context.Context, callID string) cdr {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	for {
		var list []cdr
		n.api(t, ctx, "GET", "/api/v1/cdrs?since="+since, "", &list)
		for _, c := range list {
			if c.CallID == callID {
				return c
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("no CDR for call %s", callID)
		}
	}
}

// api calls the JSON API with the admin token; out may be nil.
func (n *frontdoorNode) api(t *testing.T, ctx context.Context, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, method, n.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}
