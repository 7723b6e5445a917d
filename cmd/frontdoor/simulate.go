package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/routing/sim"
)

// runSimulate replays synthetic traffic through the real ACD on a virtual
// clock: frontdoor simulate -config FILE -traffic FILE [-hours H] [-seed N] [-json].
// Exit 0 with the figures, 1 when a file is refused, 2 on bad usage.
func runSimulate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config file (default: the demo config)")
	trafficPath := fs.String("traffic", "", "traffic file (required)")
	hours := fs.Float64("hours", 8, "hours of arrivals to simulate")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same figures")
	asJSON := fs.Bool("json", false, "print one JSON array, an object per agency")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "simulate: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *trafficPath == "":
		fmt.Fprintln(stderr, "simulate: -traffic FILE is required")
		return 2
	case *hours <= 0:
		fmt.Fprintln(stderr, "simulate: -hours must be more than 0")
		return 2
	}
	results, err := simulate(*cfgPath, *trafficPath, sim.Options{Hours: *hours, Seed: *seed})
	if err != nil {
		var ps config.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				fmt.Fprintln(stderr, p.String())
			}
			return 1
		}
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			fmt.Fprintf(stderr, "simulate: %v\n", err)
			return 1
		}
		return 0
	}
	printResults(stdout, results)
	return 0
}

func simulate(cfgPath, trafficPath string, opt sim.Options) ([]sim.Result, error) {
	var cfg *config.Config
	var err error
	if cfgPath == "" {
		cfg, err = config.Demo()
	} else {
		cfg, err = config.Load(cfgPath)
	}
	if err != nil {
		return nil, err
	}
	rc, err := routingConfig(cfg)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(trafficPath)
	if err != nil {
		return nil, fmt.Errorf("traffic: %w", err)
	}
	tr, err := sim.ParseTraffic(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", trafficPath, err)
	}
	return sim.Run(rc, tr, opt)
}

func printResults(w io.Writer, results []sim.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "agency\toffered\tanswered\tabandoned\twaited\tservice_level\tasa_seconds\toccupancy\toverflowed\ttimeout\trejected\tclosed\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.3f\t%.1f\t%.3f\t%d\t%d\t%d\t%d\t\n", r.Agency, r.Offered, r.Answered, r.Abandoned,
			r.Waited, r.ServiceLevel, r.ASASeconds, r.Occupancy, r.Overflowed, r.TimedOut, r.Rejected, r.Closed)
	}
	tw.Flush()
}
