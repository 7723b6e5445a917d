// Package config reads frontdoor's YAML configuration: strict decoding
// (unknown keys are errors), defaults, and validation that reports every
// problem as FILE:LINE: message.
package config

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Config is the whole platform configuration. See docs/config.md.
type Config struct {
	Listen    Listen    `yaml:"listen"`
	Media     Media     `yaml:"media"`
	Number    string    `yaml:"number"`
	API       API       `yaml:"api"`
	SIP       SIP       `yaml:"sip"`
	Security  Security  `yaml:"security"`
	TLS       TLS       `yaml:"tls"`
	Identity  Identity  `yaml:"identity"`
	IVR       IVR       `yaml:"ivr"`
	Callback  Callback  `yaml:"callback"`
	Recording Recording `yaml:"recording"`
	Agencies  []Agency  `yaml:"agencies"`
	Agents    []Agent   `yaml:"agents"`
	// Cluster, when present, makes this node one of several sharing one
	// center through etcd (cluster.go); nil: one node, the embedded store.
	Cluster *Cluster `yaml:"cluster"`

	// Path is the file the config came from; relative paths in it (jwks_file,
	// prompts_dir) resolve against its directory, see Resolve.
	Path string `yaml:"-"`
	// Warnings are what works but should not go to production (plain-text
	// passwords, the committed demo issuer keys), sorted by line.
	Warnings Problems `yaml:"-"`
}

// Listen holds the addresses the edges bind (host:port).
type Listen struct {
	SIP  string `yaml:"sip"`  // UDP and TCP on the same port
	HTTP string `yaml:"http"` // API, dashboard, softphone, metrics
}

// Media configures the RTP legs.
type Media struct {
	RTPPorts          string `yaml:"rtp_ports"`           // "lo-hi"
	AdvertiseIP       string `yaml:"advertise_ip"`        // the address put in SDP
	RTPTimeoutSeconds int    `yaml:"rtp_timeout_seconds"` // a leg with no RTP this long is dead
	// HoldTimeoutSeconds ends a call whose leg has been on hold this long.
	HoldTimeoutSeconds int `yaml:"hold_timeout_seconds"`
}

// API configures automation access.
type API struct {
	AdminToken string `yaml:"admin_token"` // bearer token with the admin role; empty = disabled
}

// SIP configures the SIP edge.
type SIP struct {
	Realm    string `yaml:"realm"`     // digest realm; also part of the ha1 password form
	MaxCalls int    `yaml:"max_calls"` // beyond it new INVITEs get 503
	// DigestAlgorithms are the challenges REGISTER gets, in order: MD5 and/or
	// SHA-256. Default MD5 only, as Asterisk and FreeSWITCH do: some phones (libre
	// based, e.g. baresip 1.0) give up on a challenge set holding an algorithm they
	// do not know.
	DigestAlgorithms []string `yaml:"digest_algorithms"`
}

// Identity configures SD-JWT VC verification of callers.
type Identity struct {
	VerifierID           string   `yaml:"verifier_id"` // the KB-JWT aud
	Mode                 string   `yaml:"mode"`        // off | offer | require
	Issuers              []Issuer `yaml:"issuers"`
	Claims               []string `yaml:"claims"` // claims kept with the call
	WaitSeconds          int      `yaml:"wait_seconds"`
	StatusListAllowed    []string `yaml:"status_list_allowed"` // URL prefixes status lists may be fetched from
	StatusListTTLSeconds int      `yaml:"status_list_ttl_seconds"`
	// VCTs are the accepted credential types (vct); empty accepts any type
	// from a configured issuer.
	VCTs []string `yaml:"vcts"`
	// PushURL is a wallet push webhook: on a phone verification frontdoor POSTs
	// {number, session_id, code, nonce, aud} so the wallet on the caller's phone
	// wakes up by itself (the code read out stays the fallback). Empty: no push.
	PushURL string `yaml:"push_url"`
	// OpenID4VP 1.0 (see openid4vp.go): on when both verifier files are set.
	PublicURL        string   `yaml:"public_url"`
	VerifierCertFile string   `yaml:"verifier_cert_file"` // relative: against the data dir, see DataFile
	VerifierKeyFile  string   `yaml:"verifier_key_file"`
	ResponseMode     string   `yaml:"response_mode"`      // direct_post.jwt (default) | direct_post
	MdocTrustAnchors []string `yaml:"mdoc_trust_anchors"` // PEM IACA roots, relative to the config file
	// ExpectedOrigins are the web origins the caller page is served from,
	// for the Digital Credentials API; empty: the origin of public_url.
	ExpectedOrigins []string `yaml:"expected_origins"`
	// SMS texts the wallet link to an asserted caller number (sms.go).
	SMS SMS `yaml:"sms"`
}

// Issuer is a trusted credential issuer and the file holding its keys.
type Issuer struct {
	Iss      string `yaml:"iss"`
	JWKSFile string `yaml:"jwks_file"` // as written; use Config.Resolve to open it
}

// IVR configures the menu callers hear.
type IVR struct {
	InterdigitTimeoutMS int    `yaml:"interdigit_timeout_ms"`
	MenuTimeoutSeconds  int    `yaml:"menu_timeout_seconds"`
	MenuRetries         int    `yaml:"menu_retries"`
	PromptsDir          string `yaml:"prompts_dir"` // "" = the embedded prompts
}

// Agency is one of the merged call centres.
type Agency struct {
	ID      string   `yaml:"id"`
	Name    string   `yaml:"name"`
	Digit   string   `yaml:"digit"`   // IVR menu choice; "" = not in the menu
	Numbers []string `yaml:"numbers"` // legacy direct numbers
	Queue   Queue    `yaml:"queue"`
	Record  bool     `yaml:"record"` // record this agency's calls (see recording:)
}

// Agent is a person who answers calls (or supervises).
type Agent struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	Password string `yaml:"password"` // plain, ha1:<md5hex>:<sha256hex>, or bcrypt ($2a$/$2b$/$2y$)
	// SIPHA1 is the ha1 form for SIP digest of an agent whose password is
	// bcrypt (which serves the HTTP login only).
	SIPHA1 string         `yaml:"sip_ha1"`
	Role   string         `yaml:"role"`   // agent | supervisor | admin
	Skills map[string]int `yaml:"skills"` // agency id -> level 1..10
}

// Identity modes.
const (
	ModeOff     = "off"
	ModeOffer   = "offer"
	ModeRequire = "require"
)

//go:embed demo.yaml
var demoYAML []byte

// DemoPath is the name the embedded demo config reports problems under and
// resolves relative paths against (the repository layout).
const DemoPath = "config/demo.yaml"

// Load reads, decodes and validates the file at path. A refused file gives
// Problems.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// demoKeys are the demo issuer's public keys and the demo IACA root, embedded so the demo config works
// from any directory (`frontdoor serve` without -config), not only the repository.
//
//go:embed keys/issuer.jwks.json keys/mdoc-iaca.DEMO-ONLY.pem
var demoKeys embed.FS

// Demo is the embedded demo config (the 11 agencies and demo agents).
func Demo() (*Config, error) { return Parse(DemoPath, demoYAML) }

// ReadFile reads a file the config names (jwks_file), relative to the config's
// directory. For the embedded demo config a file absent on disk is read from
// the binary.
func (c *Config) ReadFile(p string) ([]byte, error) {
	data, err := os.ReadFile(c.Resolve(p))
	if err != nil && c.Path == DemoPath && errors.Is(err, fs.ErrNotExist) {
		if emb, eerr := demoKeys.ReadFile(filepath.ToSlash(filepath.Clean(p))); eerr == nil {
			return emb, nil
		}
	}
	return data, err
}

// DemoYAML is the embedded demo file's text.
func DemoYAML() []byte { return append([]byte(nil), demoYAML...) }

// Resolve makes a path from the config absolute-or-relative to the working
// directory by joining it to the config file's directory.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}

// AgencyByID finds an agency by its id.
func (c *Config) AgencyByID(id string) (*Agency, bool) {
	for i := range c.Agencies {
		if c.Agencies[i].ID == id {
			return &c.Agencies[i], true
		}
	}
	return nil, false
}

// AgencyByDigit finds the agency whose IVR choice is exactly d.
func (c *Config) AgencyByDigit(d string) (*Agency, bool) {
	for i := range c.Agencies {
		if d != "" && c.Agencies[i].Digit == d {
			return &c.Agencies[i], true
		}
	}
	return nil, false
}

// AgencyByNumber finds the agency with legacy direct number n.
func (c *Config) AgencyByNumber(n string) (*Agency, bool) {
	for i := range c.Agencies {
		for _, num := range c.Agencies[i].Numbers {
			if num == n {
				return &c.Agencies[i], true
			}
		}
	}
	return nil, false
}

// Digits maps each IVR menu choice to its agency id.
func (c *Config) Digits() map[string]string {
	m := make(map[string]string, len(c.Agencies))
	for _, a := range c.Agencies {
		if a.Digit != "" {
			m[a.Digit] = a.ID
		}
	}
	return m
}

// RTPPortRange is media.rtp_ports as numbers (0, 0 if it does not parse,
// which validation refuses).
func (c *Config) RTPPortRange() (lo, hi int) {
	lo, hi, err := parsePortRange(c.Media.RTPPorts)
	if err != nil {
		return 0, 0
	}
	return lo, hi
}

func parsePortRange(s string) (lo, hi int, err error) {
	l, h, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not lo-hi", s)
	}
	lo, err1 := strconv.Atoi(strings.TrimSpace(l))
	hi, err2 := strconv.Atoi(strings.TrimSpace(h))
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("%q is not lo-hi", s)
	}
	if lo < 1024 || hi > 65535 || lo >= hi {
		return 0, 0, fmt.Errorf("%q must be lo-hi with 1024 <= lo < hi <= 65535", s)
	}
	return lo, hi, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.Sort(keys)
	return keys
}
