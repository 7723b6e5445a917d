package openid4vp

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/sdjwt"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// The wallet's reading of a DCQL query (OpenID4VP 1.0 §6): which
// credential query the held credential satisfies, and exactly which
// claims that query asks it to disclose.

// ErrUnanswerable is wrapped by VPToken when the held credential satisfies
// no acceptable combination of the request's credential queries; the
// message names, per query, why not.
var ErrUnanswerable = errors.New("dcql: the wallet's credential does not satisfy the request")

// CredentialQuery is one entry of dcql_query.credentials (§6.1).
type CredentialQuery struct {
	ID     string `json:"id"`
	Format string `json:"format"`
	Meta   struct {
		VCTValues    []string `json:"vct_values"`    // dc+sd-jwt
		DoctypeValue string   `json:"doctype_value"` // mso_mdoc
	} `json:"meta"`
	Claims    []ClaimQuery `json:"claims"`
	ClaimSets [][]string   `json:"claim_sets"`
	// TrustedAuthorities restrict the issuer (§6.1.1); this wallet keeps
	// no authority key ids or trust lists to check them with.
	TrustedAuthorities []json.RawMessage `json:"trusted_authorities"`
}

// ClaimQuery is one entry of a credential query's claims (§6.3). A path
// element is a string, a non-negative integer or null; this wallet
// answers string paths: [name] for an SD-JWT VC, [namespace, element]
// for an mdoc.
type ClaimQuery struct {
	ID     string `json:"id"`
	Path   []any  `json:"path"`
	Values []any  `json:"values"`
}

// CredentialSet is one entry of dcql_query.credential_sets (§6.2).
type CredentialSet struct {
	Options [][]string `json:"options"`
	// Required defaults to true when absent.
	Required *bool `json:"required"`
}

func (s CredentialSet) required() bool { return s.Required == nil || *s.Required }

// dcqlQuery is the dcql_query request parameter.
type dcqlQuery struct {
	Credentials    []CredentialQuery `json:"credentials"`
	CredentialSets []CredentialSet   `json:"credential_sets"`
}

// held is what the wallet's credential offers a query: its format and
// type, and every claim it could disclose with its value.
type held struct {
	format, vct, doctype string
	sdjwt                map[string]any            // top-level claim name → value
	mdoc                 map[string]map[string]any // namespace → element → value
}

func (h held) String() string {
	if h.format == wallet.FormatMdoc {
		return fmt.Sprintf("%s %s", h.format, h.doctype)
	}
	return fmt.Sprintf("%s %s", h.format, h.vct)
}

// holding reads the wallet's credential: an SD-JWT VC's disclosures and
// plainly signed claims, or an mdoc's elements.
func holding(w wallet.Wallet) (held, error) {
	if w.Format == wallet.FormatMdoc {
		is, err := base64.RawURLEncoding.DecodeString(w.Credential)
		if err != nil {
			return held{}, fmt.Errorf("wallet mdoc: %w", err)
		}
		els, err := (&mdoc.Document{DocType: w.DocType, IssuerSigned: is}).Elements()
		if err != nil {
			return held{}, fmt.Errorf("wallet: %w", err)
		}
		return held{format: wallet.FormatMdoc, doctype: w.DocType, mdoc: els}, nil
	}
	p, err := sdjwt.Split(w.Credential)
	if err != nil {
		return held{}, fmt.Errorf("wallet credential: %w", err)
	}
	payload, err := sdjwt.DecodePayload(p.IssuerJWT)
	if err != nil {
		return held{}, fmt.Errorf("wallet credential: %w", err)
	}
	h := held{format: wallet.FormatSDJWT, vct: w.VCT, sdjwt: map[string]any{}}
	if v, ok := payload["vct"].(string); ok {
		h.vct = v
	}
	for k, v := range payload {
		if k != sdjwt.KeySD && k != sdjwt.KeySDAlg {
			h.sdjwt[k] = v
		}
	}
	for _, raw := range p.Disclosures {
		d, err := sdjwt.ParseDisclosure(raw)
		if err != nil {
			return held{}, fmt.Errorf("wallet credential: %w", err)
		}
		if !d.ArrayElement {
			h.sdjwt[d.Name] = d.Value
		}
	}
	return h, nil
}

// disclosure is what answering one query reveals: SD-JWT claim names, or
// mdoc namespace → elements.
type disclosure struct {
	names    []string
	elements map[string][]string
}

// match says which claims the held credential discloses for q, or why it
// cannot answer q.
func (h held) match(q CredentialQuery) (disclosure, error) {
	if q.Format != h.format {
		return disclosure{}, fmt.Errorf("asks for format %q, the wallet holds %s", q.Format, h.format)
	}
	switch h.format {
	case wallet.FormatSDJWT:
		if !slices.Contains(q.Meta.VCTValues, h.vct) {
			return disclosure{}, fmt.Errorf("vct %q is not in the asked vct_values %q", h.vct, q.Meta.VCTValues)
		}
	case wallet.FormatMdoc:
		if q.Meta.DoctypeValue != h.doctype {
			return disclosure{}, fmt.Errorf("doctype %q is not the asked doctype_value %q", h.doctype, q.Meta.DoctypeValue)
		}
	}
	if len(q.TrustedAuthorities) > 0 {
		// Presenting anyway could hand a credential to a verifier that
		// said it would not trust its issuer.
		return disclosure{}, errors.New("trusted_authorities given, and this wallet cannot tell whether its issuer is among them")
	}
	if len(q.ClaimSets) == 0 {
		return h.disclose(q.Claims)
	}
	// claim_sets are alternatives in the verifier's order of preference
	// (§6.4.1): the first one the credential can answer wins.
	byID := map[string]ClaimQuery{}
	for _, c := range q.Claims {
		byID[c.ID] = c
	}
	var why []string
	for _, set := range q.ClaimSets {
		var claims []ClaimQuery
		for _, id := range set {
			c, ok := byID[id]
			if !ok {
				return disclosure{}, fmt.Errorf("claim_sets names claim id %q that claims lacks", id)
			}
			claims = append(claims, c)
		}
		d, err := h.disclose(claims)
		if err == nil {
			return d, nil
		}
		why = append(why, fmt.Sprintf("claim set %q: %v", set, err))
	}
	return disclosure{}, errors.New(strings.Join(why, "; "))
}

// disclose checks that the credential holds every claim (with one of the
// asked values, when values are given) and lists them for the answer.
func (h held) disclose(claims []ClaimQuery) (disclosure, error) {
	d := disclosure{elements: map[string][]string{}}
	for _, c := range claims {
		path, err := stringPath(c.Path)
		if err != nil {
			return d, err
		}
		var value any
		var ok bool
		switch {
		case h.format == wallet.FormatMdoc && len(path) == 2:
			value, ok = h.mdoc[path[0]][path[1]]
			d.elements[path[0]] = append(d.elements[path[0]], path[1])
		case h.format == wallet.FormatSDJWT && len(path) == 1:
			value, ok = h.sdjwt[path[0]]
			d.names = append(d.names, path[0])
		case h.format == wallet.FormatMdoc:
			return d, fmt.Errorf("claim path %q: an mdoc path is [namespace, element]", path)
		default:
			return d, fmt.Errorf("claim path %q: this wallet discloses top-level SD-JWT claims only", path)
		}
		if !ok {
			return d, fmt.Errorf("claim %q: the credential has no such claim", path)
		}
		if len(c.Values) > 0 && !slices.ContainsFunc(c.Values, func(v any) bool { return sameJSON(v, value) }) {
			return d, fmt.Errorf("claim %q: the credential's value is not one of the asked values", path)
		}
	}
	return d, nil
}

// stringPath takes a claims path of names; integer and null elements
// (array selection, §7) are not something this wallet's flat credentials have.
func stringPath(p []any) ([]string, error) {
	if len(p) == 0 {
		return nil, errors.New("claim with an empty path")
	}
	out := make([]string, len(p))
	for i, e := range p {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("claim path %v: element %d is %v, this wallet answers name paths only", p, i, e)
		}
		out[i] = s
	}
	return out, nil
}

// sameJSON compares a requested value with a held one as JSON, so 1958
// (float64 from the request) equals int64 1958 from CBOR and a full-date
// equals its string.
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// plannedAnswer is one vp_token entry: the query id and what it reveals.
type plannedAnswer struct {
	id string
	disclosure
}

// plan picks the queries to answer: with credential_sets, for each set
// the first option whose every query the credential satisfies (a set not
// required may go unanswered); without, every query (§6.4.2).
func (r WalletRequest) plan(h held) ([]plannedAnswer, error) {
	if len(r.Queries) == 0 {
		return nil, errors.New("dcql: the request has no dcql_query credentials")
	}
	fits := map[string]disclosure{}
	why := map[string]error{}
	for _, q := range r.Queries {
		if d, err := h.match(q); err != nil {
			why[q.ID] = err
		} else {
			fits[q.ID] = d
		}
	}
	sets := r.CredentialSets
	for _, s := range sets {
		for _, opt := range s.Options {
			for _, id := range opt {
				if _, known := why[id]; !known && !hasKey(fits, id) {
					return nil, fmt.Errorf("dcql: invalid_request: credential_sets names query %q that credentials lacks", id)
				}
			}
		}
	}
	if len(sets) == 0 {
		var all []string
		for _, q := range r.Queries {
			all = append(all, q.ID)
		}
		// Without credential_sets every credential query is asked for.
		sets = []CredentialSet{{Options: [][]string{all}}}
	}
	var ids []string
	for _, s := range sets {
		opt, ok := firstAnswerable(s.Options, fits)
		if !ok && s.required() {
			return nil, unanswerable(h, s, why)
		}
		for _, id := range opt {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil, unanswerable(h, CredentialSet{}, why)
	}
	out := make([]plannedAnswer, len(ids))
	for i, id := range ids {
		out[i] = plannedAnswer{id: id, disclosure: fits[id]}
	}
	return out, nil
}

func firstAnswerable(options [][]string, fits map[string]disclosure) ([]string, bool) {
	for _, opt := range options {
		ok := len(opt) > 0
		for _, id := range opt {
			if _, fit := fits[id]; !fit {
				ok = false
			}
		}
		if ok {
			return opt, true
		}
	}
	return nil, false
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

// unanswerable names why each query of the failing set (all of them when
// none is given) does not fit the held credential.
func unanswerable(h held, s CredentialSet, why map[string]error) error {
	var ids []string
	for _, opt := range s.Options {
		for _, id := range opt {
			if _, failed := why[id]; failed && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(s.Options) == 0 {
		for id := range why {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("query %q: %v", id, why[id])
	}
	if len(s.Options) > 0 {
		return fmt.Errorf("%w (it holds %s; no option of credential set %q fits): %s", ErrUnanswerable, h, s.Options, strings.Join(parts, "; "))
	}
	return fmt.Errorf("%w (it holds %s): %s", ErrUnanswerable, h, strings.Join(parts, "; "))
}
