// Command frontdoor runs the unified call-center front door. main only wires:
// every concern lives in its own package.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// version is set by the Makefile (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "cluster":
		return runCluster(args[1:], stdout, stderr)
	case "check-config":
		return runCheckConfig(args[1:], stdout, stderr)
	case "simulate":
		return runSimulate(args[1:], stdout, stderr)
	case "hash-password":
		return runHashPassword(args[1:], os.Stdin, stdout, stderr)
	case "version", "-version", "--version":
		printVersion(stdout)
		return 0
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "frontdoor: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: frontdoor <command> [flags]

commands:
  serve [-config FILE] [-data DIR]     run the platform (default: the demo config, ./data)
  check-config FILE                    validate a config: "ok", or FILE:LINE: message per problem
  simulate -config FILE -traffic FILE [-hours H] [-seed N] [-json]
                                       replay synthetic traffic through the ACD on a virtual clock
  hash-password -id ID [-realm R]      read a password on stdin, print its ha1: form for the config
  hash-password -bcrypt                read a password on stdin, print a bcrypt hash (web login only)
  cluster status [-config FILE]        etcd members and health, the ACD leader, each node and its calls
  version                              version and build info
`)
}

func printVersion(w io.Writer) {
	fmt.Fprintf(w, "frontdoor %s\n", version)
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(w, "go %s\n", bi.GoVersion)
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision", "vcs.time", "vcs.modified", "GOOS", "GOARCH":
				fmt.Fprintf(w, "%s %s\n", s.Key, s.Value)
			}
		}
	}
}
