package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/frontdoor-project/frontdoor/identity/mdoc"
	"github.com/frontdoor-project/frontdoor/identity/wallet"
)

// issueMdoc is `issue -format mso_mdoc`: the issuer is a document signer
// (PEM key and certificate), not a JWK, and the claims become mDL elements.
func issueMdoc(keyPath, certPath, iss, claimsJSON string, days int, out string, stdout io.Writer) error {
	if keyPath == "" || certPath == "" || claimsJSON == "" || out == "" {
		return errors.New("issue -format mso_mdoc: -issuer-key, -issuer-cert, -claims and -out are required")
	}
	ds, err := mdoc.LoadKeyPair(certPath, keyPath)
	if err != nil {
		return fmt.Errorf("issue: document signer: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal([]byte(claimsJSON), &claims); err != nil || claims == nil {
		return fmt.Errorf("issue: -claims must be a JSON object: %v", err)
	}
	w, err := wallet.IssueMdoc(ds, wallet.MdocParams{
		Claims: claims, IssuedAt: time.Now(), Validity: time.Duration(days) * 24 * time.Hour, IssuerURL: iss,
	})
	if err != nil {
		return err
	}
	if err := w.Save(out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wallet: %s (mso_mdoc %s, signer %s)\n", out, w.DocType, ds.Cert.Subject)
	return nil
}

func mdocKeygen(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mdoc-keygen", flag.ContinueOnError)
	out := fs.String("out", "", "directory to write the IACA and document signer into")
	iacaCert := fs.String("iaca-cert", "", "an existing IACA certificate PEM to issue the document signer from")
	iacaKey := fs.String("iaca-key", "", "that IACA's private key PEM")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("mdoc-keygen: -out is required")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("mdoc-keygen: %w", err)
	}
	if (*iacaCert == "") != (*iacaKey == "") {
		return errors.New("mdoc-keygen: -iaca-cert and -iaca-key go together")
	}
	// Reusing an IACA keeps the trust anchor a config lists stable (the
	// demo's is committed) while the shorter-lived signer is made anew.
	var iaca *mdoc.KeyPair
	var err error
	if *iacaCert != "" {
		iaca, err = mdoc.LoadKeyPair(*iacaCert, *iacaKey)
	} else {
		iaca, err = mdoc.NewDemoIACA()
	}
	if err != nil {
		return fmt.Errorf("mdoc-keygen: %w", err)
	}
	ds, err := mdoc.NewDocumentSigner(iaca)
	if err != nil {
		return fmt.Errorf("mdoc-keygen: %w", err)
	}
	p := func(name string) string { return filepath.Join(*out, name) }
	if *iacaCert == "" {
		if err := iaca.Save(p("iaca.pem"), p("iaca.key")); err != nil {
			return fmt.Errorf("mdoc-keygen: IACA: %w", err)
		}
	}
	if err := ds.Save(p("ds.pem"), p("ds.key")); err != nil {
		return fmt.Errorf("mdoc-keygen: document signer: %w", err)
	}
	anchor := p("iaca.pem")
	if *iacaCert != "" {
		anchor = *iacaCert
	}
	fmt.Fprintf(stdout, "IACA root: %s (trust anchor)\ndocument signer: %s, %s\n", anchor, p("ds.pem"), p("ds.key"))
	return nil
}
