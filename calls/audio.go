package calls

import (
	"context"
	"log/slog"

	"github.com/frontdoor-project/frontdoor/media"
	"github.com/frontdoor-project/frontdoor/media/prompts"
)

// PromptAudio plays named prompts from a prompt set.
type PromptAudio struct {
	set *prompts.Set
	log *slog.Logger
}

// NewAudio plays prompts from set.
func NewAudio(set *prompts.Set, log *slog.Logger) *PromptAudio {
	return &PromptAudio{set: set, log: log}
}

// Play implements Audio. A missing prompt is logged and skipped: a caller hears
// the rest rather than silence or a dropped call.
func (a *PromptAudio) Play(ctx context.Context, ep media.Endpoint, names ...string) error {
	clips, missing := a.set.Clips(names...)
	if len(missing) > 0 {
		a.log.Warn("prompts missing", "names", missing)
	}
	return media.Play(ctx, ep, clips...)
}

// Loop implements Audio.
func (a *PromptAudio) Loop(ctx context.Context, ep media.Endpoint, name string) error {
	clip, ok := a.set.Get(name)
	if !ok {
		a.log.Warn("prompt missing", "name", name)
		<-ctx.Done()
		return ctx.Err()
	}
	return media.Loop(ctx, ep, clip)
}
