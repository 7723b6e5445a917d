package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/frontdoor-project/frontdoor/config"
	"github.com/frontdoor-project/frontdoor/routing"
)

// routingConfig turns the agencies' queue sections and the agents into the
// ACD's config (routing never reads config itself).
func routingConfig(c *config.Config) (routing.Config, error) {
	var rc routing.Config
	known := make(map[string]bool, len(c.Agents))
	penalties := map[string]map[string]int{} // agent -> queue -> penalty
	for _, a := range c.Agents {
		known[a.ID] = true
	}
	var errs []error
	for _, ag := range c.Agencies {
		qc, err := queueConfig(ag.ID, ag.Queue)
		if err != nil {
			errs = append(errs, fmt.Errorf("agency %s: %w", ag.ID, err))
			continue
		}
		rc.Queues = append(rc.Queues, qc)
		for _, id := range slices.Sorted(maps.Keys(ag.Queue.Penalties)) {
			if !known[id] {
				errs = append(errs, fmt.Errorf("agency %s: queue.penalties: %q is not an agent", ag.ID, id))
				continue
			}
			if penalties[id] == nil {
				penalties[id] = map[string]int{}
			}
			penalties[id][ag.ID] = ag.Queue.Penalties[id]
		}
	}
	for _, a := range c.Agents {
		rc.Agents = append(rc.Agents, routing.AgentConfig{ID: a.ID, Skills: maps.Clone(a.Skills), Penalties: penalties[a.ID]})
	}
	if err := errors.Join(errs...); err != nil {
		return routing.Config{}, fmt.Errorf("queue config: %w", err)
	}
	return rc, nil
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// queueConfig converts one agency's queue section.
func queueConfig(id string, q config.Queue) (routing.QueueConfig, error) {
	hours, err := q.Hours.RoutingHours()
	if err != nil {
		return routing.QueueConfig{}, err
	}
	qc := routing.QueueConfig{
		ID:                 id,
		Strategy:           q.Strategy,
		RingTimeout:        seconds(q.RingTimeoutSeconds),
		Wrapup:             seconds(q.WrapupSeconds),
		MaxWait:            seconds(q.MaxWaitSeconds),
		ServiceLevel:       seconds(q.ServiceLevelSeconds),
		ServiceLevelTarget: q.ServiceLevelTarget,
		MaxWaiting:         q.MaxWaiting,
		RonaMisses:         q.RonaMisses,
		MinLevel:           q.MinLevel,
		Partners:           slices.Clone(q.Partners),
		PriorityStep:       seconds(q.PriorityStepSeconds),
		OverflowTo:         q.Overflow.To,
		OverflowAfter:      seconds(q.Overflow.AfterSeconds),
		JoinEmpty:          q.JoinEmpty,
		LeaveEmpty:         q.LeaveEmpty,
		Hours:              hours,
		AnnounceEvery:      seconds(q.AnnounceEverySeconds),
		MessageEvery:       seconds(q.MessageEverySeconds),
		MessagePrompt:      q.MessagePrompt,
		DefaultHandle:      seconds(q.DefaultHandleSeconds),
	}
	for _, w := range q.Widen {
		qc.Widen = append(qc.Widen, routing.WidenStep{After: seconds(w.AfterSeconds), MinLevel: w.MinLevel, Partners: w.Partners})
	}
	for _, r := range q.Priority {
		qc.PriorityRules = append(qc.PriorityRules, routing.PriorityRule{Attrs: maps.Clone(r.Attrs), MinAge: r.MinAge, Priority: r.Priority})
	}
	return qc, nil
}
