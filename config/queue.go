package config

// Queue holds one agency's ACD settings (the `queue:` key of an agency).
// Owned by the routing work: cmd/frontdoor converts it to routing.QueueConfig.
type Queue struct {
	Strategy            string  `yaml:"strategy"`
	RingTimeoutSeconds  int     `yaml:"ring_timeout_seconds"`
	WrapupSeconds       int     `yaml:"wrapup_seconds"`
	ServiceLevelSeconds int     `yaml:"service_level_seconds"`
	ServiceLevelTarget  float64 `yaml:"service_level_target"`
	MaxWaitSeconds      int     `yaml:"max_wait_seconds"`
	MaxWaiting          int     `yaml:"max_waiting"`
}

// applyDefaults fills what the file left out.
func (q *Queue) applyDefaults() {
	if q.Strategy == "" {
		q.Strategy = "longest-idle"
	}
	if q.RingTimeoutSeconds == 0 {
		q.RingTimeoutSeconds = 15
	}
	if q.ServiceLevelSeconds == 0 {
		q.ServiceLevelSeconds = 20
	}
	if q.ServiceLevelTarget == 0 {
		q.ServiceLevelTarget = 0.8
	}
}

// validate reports problems with one agency's queue; path is e.g. "agencies[2].queue".
// agencies holds every configured agency id (for overflow targets and partners).
func (q *Queue) validate(v *validator, path string, agencies map[string]bool) {
	switch q.Strategy {
	case "longest-idle":
	default:
		v.errf(path+".strategy", "unknown strategy %q", q.Strategy)
	}
}
