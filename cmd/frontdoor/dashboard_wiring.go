package main

import (
	"context"
	"fmt"

	"github.com/frontdoor-project/frontdoor/dashboard"
	"github.com/frontdoor-project/frontdoor/store"
)

// supervisorAudit writes the dashboard's supervisor actions to the store's
// audit log, next to the identity verifications.
func supervisorAudit(st store.Store) func(ctx context.Context, e dashboard.AuditEntry) error {
	return func(ctx context.Context, e dashboard.AuditEntry) error {
		rec := store.AuditRecord{Time: e.Time, Kind: e.Kind, Actor: e.Actor, Result: e.Result, Reason: e.Reason,
			Detail: fmt.Sprintf("agent=%s state=%s", e.Agent, e.State)}
		if e.Detail != "" {
			rec.Detail += " " + e.Detail
		}
		if err := st.AppendAudit(ctx, rec); err != nil {
			return fmt.Errorf("audit %s by %s: %w", e.Kind, e.Actor, err)
		}
		return nil
	}
}
