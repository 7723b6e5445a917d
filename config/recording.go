package config

// Recording configures call recording; each agency turns it on with `record: true`.
type Recording struct {
	// Dir holds the recordings, relative to the data directory (default "recordings").
	Dir string `yaml:"dir"`
	// RetentionDays: recordings older than this are deleted (default 90; 0 keeps them forever).
	RetentionDays int `yaml:"retention_days"`
	// Announce plays "this call may be recorded" to callers of recorded agencies
	// when they join the queue (default true).
	Announce *bool `yaml:"announce"`
}

// DefaultRetentionDays is how long recordings are kept by default.
const DefaultRetentionDays = 90

func (r *Recording) applyDefaults() {
	setString(&r.Dir, "recordings")
	if r.RetentionDays == 0 {
		r.RetentionDays = DefaultRetentionDays
	}
	if r.Announce == nil {
		yes := true
		r.Announce = &yes
	}
}

func (r *Recording) validate(v *validator) {
	if r.RetentionDays < 0 {
		v.errf("recording.retention_days", "must not be negative")
	}
}
