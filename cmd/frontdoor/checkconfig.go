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
	_, err := config.Load(args[0])
	if err == nil {
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
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *id == "" {
		fmt.Fprintln(stderr, "hash-password: -id is required")
		return 2
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(stderr, "hash-password: no password on stdin")
		return 1
	}
	fmt.Fprintln(stdout, agents.HashPassword(*id, *realm, strings.TrimRight(line, "\r\n")))
	return 0
}
