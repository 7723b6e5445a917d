//go:build !unix

package identity

import "time"

func processCPU() time.Duration { return 0 }
