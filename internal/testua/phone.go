package testua

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/sdp/v3"
)

// Phone is one SIP user agent on its own UDP port.
type Phone struct {
	User   string
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	cli    *sipgo.Client
	conn   net.PacketConn
	port   int
	dcli   *sipgo.DialogClientCache
	dsrv   *sipgo.DialogServerCache
	cancel context.CancelFunc

	mu       sync.Mutex
	incoming chan *Incoming
	// Notifies receives the body of every NOTIFY (e.g. a REFER's sipfrag).
	Notifies chan string
	// AutoAnswer answers INVITEs at once with a tone of this frequency (0: ring only).
	AutoAnswer float64
	// Busy answers INVITEs with 486 (an agent's phone refusing).
	Busy bool
	// NoAnswer lets INVITEs ring forever (ring-no-answer tests).
	NoAnswer bool
	// Password answers digest challenges to this phone's own calls.
	Password string
	// Headers are added to the phone's INVITEs (e.g. a trunk's P-Asserted-Identity).
	Headers []sip.Header
}

// Incoming is an INVITE the phone received.
type Incoming struct {
	Req    *sip.Request
	Dialog *sipgo.DialogServerSession
	RTP    *RTPPeer
	Done   <-chan struct{}
}

// NewPhone starts a phone for user on 127.0.0.1.
func NewPhone(user string) (*Phone, error) {
	ctx, cancel := context.WithCancel(context.Background())
	p := &Phone{User: user, cancel: cancel, incoming: make(chan *Incoming, 8), Notifies: make(chan string, 16)}
	var err error
	if p.conn, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	p.port = p.conn.LocalAddr().(*net.UDPAddr).Port
	if p.ua, err = sipgo.NewUA(sipgo.WithUserAgent("testua-" + user)); err != nil {
		return nil, err
	}
	if p.srv, err = sipgo.NewServer(p.ua); err != nil {
		return nil, err
	}
	if p.cli, err = sipgo.NewClient(p.ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(p.port)); err != nil {
		return nil, err
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: p.port}}
	p.dcli = sipgo.NewDialogClientCache(p.cli, contact)
	p.dsrv = sipgo.NewDialogServerCache(p.cli, contact)
	p.srv.OnInvite(p.onInvite)
	p.srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { p.dsrv.ReadAck(req, tx) })
	p.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if p.dsrv.ReadBye(req, tx) == nil {
			return
		}
		if p.dcli.ReadBye(req, tx) != nil {
			tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		}
	})
	p.srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		select {
		case p.Notifies <- string(req.Body()):
		default:
		}
	})
	go p.srv.ServeUDP(p.conn)
	go func() { <-ctx.Done(); p.conn.Close() }()
	return p, nil
}

// Close stops the phone.
func (p *Phone) Close() { p.cancel(); p.ua.Close() }

// Register registers user@server with digest credentials; it returns the final status code.
func (p *Phone) Register(ctx context.Context, server, password string, expires int) (int, error) {
	host, port := splitHostPort(server)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: p.User, Host: host}, Params: sip.NewParams()})
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.User, Host: host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: p.User, Host: "127.0.0.1", Port: p.port}})
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	res, err := p.cli.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	if res.StatusCode == 401 {
		res, err = p.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.User, Password: password})
		if err != nil {
			return 0, err
		}
	}
	return res.StatusCode, nil
}

func (p *Phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	dlg, err := p.dsrv.ReadInvite(req, tx)
	if err != nil {
		tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	defer dlg.Close()
	if p.Busy {
		dlg.Respond(486, "Busy Here", nil)
		return
	}
	dlg.Respond(180, "Ringing", nil)
	in := &Incoming{Req: req, Dialog: dlg, Done: dlg.Context().Done()}
	if p.NoAnswer {
		p.incoming <- in
		<-dlg.Context().Done()
		return
	}
	peer, err := NewRTPPeer()
	if err != nil {
		dlg.Respond(500, "Server Error", nil)
		return
	}
	remote, pt, dtmfPT, err := ParseAnswer(req.Body())
	if err != nil {
		dlg.Respond(488, "Not Acceptable Here", nil)
		return
	}
	in.RTP = peer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	peer.Start(ctx, remote, pt, dtmfPT, p.AutoAnswer)
	p.incoming <- in
	if err := dlg.RespondSDP(Offer(peer.Port(), pt)); err != nil {
		return
	}
	<-dlg.Context().Done()
}

// NextIncoming waits for the next INVITE.
func (p *Phone) NextIncoming(ctx context.Context) (*Incoming, error) {
	select {
	case in := <-p.incoming:
		return in, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("no INVITE arrived: %w", ctx.Err())
	}
}

// Outgoing is a call this phone placed.
type Outgoing struct {
	Dialog *sipgo.DialogClientSession
	RTP    *RTPPeer
	Status int
	cancel context.CancelFunc
}

// Call dials number@server offering codec pt (0 or 8, or -1 for both) and sends freq.
func (p *Phone) Call(ctx context.Context, server, number string, pts []uint8, freq float64) (*Outgoing, error) {
	host, port := splitHostPort(server)
	peer, err := NewRTPPeer()
	if err != nil {
		return nil, err
	}
	body := Offer(peer.Port(), pts...)
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: number, Host: host, Port: port})
	p.setFrom(req)
	for _, h := range p.Headers {
		req.AppendHeader(h)
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(body)
	dlg, err := p.dcli.WriteInvite(ctx, req)
	if err != nil {
		return nil, err
	}
	out := &Outgoing{Dialog: dlg, RTP: peer}
	// A 401/407 is answered with the phone's credentials (an agent's consult call).
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{Username: p.User, Password: p.Password}); err != nil {
		if e, ok := err.(*sipgo.ErrDialogResponse); ok {
			out.Status = e.Res.StatusCode
		}
		return out, err
	}
	out.Status = dlg.InviteResponse.StatusCode
	remote, pt, dtmfPT, err := ParseAnswer(dlg.InviteResponse.Body())
	if err != nil {
		return out, err
	}
	if err := dlg.Ack(ctx); err != nil {
		return out, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	out.cancel = cancel
	peer.Start(rctx, remote, pt, dtmfPT, freq)
	return out, nil
}

// Hangup sends BYE and stops the media.
func (o *Outgoing) Hangup(ctx context.Context) error {
	defer func() {
		if o.cancel != nil {
			o.cancel()
		}
	}()
	return o.Dialog.Bye(ctx)
}

// Info sends DTMF as SIP INFO with the given content type and body.
func (o *Outgoing) Info(ctx context.Context, contentType, body string) (int, error) {
	req := sip.NewRequest(sip.INFO, o.Dialog.InviteRequest.Recipient)
	req.AppendHeader(sip.NewHeader("Content-Type", contentType))
	req.SetBody([]byte(body))
	res, err := o.Dialog.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// Offer builds an SDP offer (or answer) for 127.0.0.1:port with the given static payload types.
func Offer(port int, pts ...uint8) []byte {
	if len(pts) == 0 {
		pts = []uint8{0, 8}
	}
	fmts := ""
	maps := ""
	for _, pt := range pts {
		fmts += " " + strconv.Itoa(int(pt))
		name := "PCMU"
		if pt == 8 {
			name = "PCMA"
		}
		maps += fmt.Sprintf("a=rtpmap:%d %s/8000\r\n", pt, name)
	}
	return []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio " + strconv.Itoa(port) + " RTP/AVP" + fmts + " 101\r\n" + maps +
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n")
}

// ParseAnswer reads the remote RTP address, the first audio payload type and the
// telephone-event payload type from an SDP body.
func ParseAnswer(body []byte) (*net.UDPAddr, uint8, uint8, error) {
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(body); err != nil {
		return nil, 0, 0, err
	}
	if len(sd.MediaDescriptions) == 0 {
		return nil, 0, 0, fmt.Errorf("no media")
	}
	md := sd.MediaDescriptions[0]
	ip := ""
	if sd.ConnectionInformation != nil {
		ip = sd.ConnectionInformation.Address.Address
	}
	if md.ConnectionInformation != nil {
		ip = md.ConnectionInformation.Address.Address
	}
	var pt, dtmfPT uint8 = 255, 0
	for _, f := range md.MediaName.Formats {
		n, _ := strconv.Atoi(f)
		if (n == 0 || n == 8) && pt == 255 {
			pt = uint8(n)
		}
	}
	for _, a := range md.Attributes {
		if a.Key == "rtpmap" && strings.Contains(strings.ToLower(a.Value), "telephone-event") {
			n, _ := strconv.Atoi(strings.Fields(a.Value)[0])
			dtmfPT = uint8(n)
		}
	}
	if pt == 255 {
		return nil, 0, 0, fmt.Errorf("no G.711 in %v", md.MediaName.Formats)
	}
	return &net.UDPAddr{IP: net.ParseIP(ip), Port: md.MediaName.Port.Value}, pt, dtmfPT, nil
}

func splitHostPort(s string) (string, int) {
	h, p, _ := net.SplitHostPort(s)
	n, _ := strconv.Atoi(p)
	return h, n
}

// Done is closed when the call ends from the other side (BYE received).
func (o *Outgoing) Done() <-chan struct{} { return o.Dialog.Context().Done() }

// CallRaw sends an INVITE with any body and content type (empty: no body) and
// returns the final status code; an answered call is hung up at once.
func (p *Phone) CallRaw(ctx context.Context, server, number, contentType string, body []byte) (int, error) {
	host, port := splitHostPort(server)
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: number, Host: host, Port: port})
	if contentType != "" {
		req.AppendHeader(sip.NewHeader("Content-Type", contentType))
		req.SetBody(body)
	}
	dlg, err := p.dcli.WriteInvite(ctx, req)
	if err != nil {
		return 0, err
	}
	defer dlg.Close()
	err = dlg.WaitAnswer(ctx, sipgo.AnswerOptions{})
	var re *sipgo.ErrDialogResponse
	if errors.As(err, &re) {
		return re.Res.StatusCode, nil
	}
	if err != nil {
		return 0, err
	}
	dlg.Ack(ctx)
	dlg.Bye(ctx)
	return dlg.InviteResponse.StatusCode, nil
}

// Request sends one out-of-dialog request (OPTIONS, BYE for a dialog that does not
// exist, ...) and returns the response.
func (p *Phone) Request(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	return p.cli.Do(ctx, req)
}

// RegisterWith sends a REGISTER carrying the given Authorization header value
// (empty: none) and returns the response; for refusal tests.
func (p *Phone) RegisterWith(ctx context.Context, server, authorization string) (*sip.Response, error) {
	host, port := splitHostPort(server)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: port})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: p.User, Host: host}, Params: sip.NewParams()})
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.User, Host: host}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: p.User, Host: "127.0.0.1", Port: p.port}})
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	if authorization != "" {
		req.AppendHeader(sip.NewHeader("Authorization", authorization))
	}
	return p.cli.Do(ctx, req)
}

// Refer asks the other side to transfer this call (blind transfer, RFC 3515)
// to target (a SIP URI) and returns the response code.
func (in *Incoming) Refer(ctx context.Context, target string) (int, error) {
	req := sip.NewRequest(sip.REFER, in.Req.Contact().Address)
	req.AppendHeader(sip.NewHeader("Refer-To", "<"+target+">"))
	res, err := in.Dialog.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// setFrom makes the phone's number the caller id, as a real phone sends it.
func (p *Phone) setFrom(req *sip.Request) {
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.User, Host: "127.0.0.1", Port: p.port}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
}

// Reinvite sends a re-INVITE in this call with an SDP for the phone's RTP port,
// payload type pt and the given direction (sendrecv, sendonly, recvonly,
// inactive), ACKs a 2xx, and returns the status and the answer's body.
func (in *Incoming) Reinvite(ctx context.Context, pt uint8, direction string) (int, string, error) {
	body := strings.Replace(string(Offer(in.RTP.Port(), pt)), "a=sendrecv", "a="+direction, 1)
	req := sip.NewRequest(sip.INVITE, in.Req.Contact().Address)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte(body))
	res, err := in.Dialog.Do(ctx, req)
	if err != nil {
		return 0, "", err
	}
	if res.IsSuccess() {
		ack := sip.NewRequest(sip.ACK, in.Req.Contact().Address)
		if err := in.Dialog.WriteRequest(ack); err != nil {
			return res.StatusCode, "", err
		}
	}
	return res.StatusCode, string(res.Body()), nil
}

// Addr is the phone's SIP address (for a phone standing in as a trunk).
func (p *Phone) Addr() string { return fmt.Sprintf("127.0.0.1:%d", p.port) }

// Pending is how many INVITEs arrived that NextIncoming has not returned yet.
func (p *Phone) Pending() int { return len(p.incoming) }
