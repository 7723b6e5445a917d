package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/frontdoor-project/frontdoor/agents"
	"github.com/frontdoor-project/frontdoor/config"
)

// runCheckConfig prints "ok" (exit 0) or one FILE:LINE: message per problem (exit 1).
func runCheckConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: frontdoor check-config FILE")
		return 2
	}
	cfg, err := config.Load(args[0])
	if err == nil {
		// Warnings (plain-text passwords, demo keys) do not refuse the file.
		for _, w := range cfg.Warnings {
			fmt.Fprintln(stderr, w.String())
		}
		fmt.Fprintln(stdout, "ok")
		return 0
	}
	var ps config.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintln(stdout, p.String())
		}
		return 1
	}
	fmt.Fprintf(stdout, "%s:0: %v\n", args[0], err)
	return 1
}

// runHashPassword turns a password read from stdin into the config's ha1: form,
// usable for both SIP digest (MD5, SHA-256) and the HTTP login.
func runHashPassword(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hash-password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("id", "", "agent id (the SIP user)")
	realm := fs.String("realm", "frontdoor", "the config's sip.realm")
	slow := fs.Bool("bcrypt", false, "print a bcrypt hash (HTTP login only; SIP digest needs sip_ha1)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *id == "" && !*slow {
		fmt.Fprintln(stderr, "hash-password: -id is required")
		return 2
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(stderr, "hash-password: no password on stdin")
		return 1
	}
	pw := strings.TrimRight(line, "\r\n")
	if *slow {
		h, err := agents.HashPasswordBcrypt(pw)
		if err != nil {
			fmt.Fprintf(stderr, "hash-password: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, h)
		return 0
	}
	fmt.Fprintln(stdout, agents.HashPassword(*id, *realm, pw))
	return 0
}
