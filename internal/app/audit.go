package app

import (
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/assumed-dev/assumed/internal/audit"
	"github.com/assumed-dev/assumed/internal/server"
)

// AuditLogOff as Options.AuditLog (serve --audit-log off) turns the audit
// trail off.
const AuditLogOff = "off"

// AuditLogFile is the audit trail's file in the data dir, by default.
const AuditLogFile = "audit.log"

// AuditLogPath is the audit log of a server with these options, or ""
// when it keeps none.
func AuditLogPath(opt Options) string {
	switch opt.AuditLog {
	case AuditLogOff:
		return ""
	case "":
		return filepath.Join(opt.DataDir, AuditLogFile)
	}
	return opt.AuditLog
}

// openAudit opens the server's audit log and hands it to srv; the
// returned function closes it, once the server has stopped.
func openAudit(srv *server.Server, opt Options, log *slog.Logger) (func(), error) {
	path := AuditLogPath(opt)
	if path == "" {
		log.Info("audit trail off")
		return func() {}, nil
	}
	sink, err := audit.Open(path, audit.Options{MaxSize: opt.AuditLogMaxSize, MaxFiles: opt.AuditLogMaxFiles, Log: log})
	if err != nil {
		return nil, fmt.Errorf("--audit-log: %w", err)
	}
	srv.SetAudit(sink)
	log.Info("audit trail", "path", path)
	return func() {
		if err := sink.Close(); err != nil {
			log.Error("close the audit log", "err", err)
		}
		if n := sink.Dropped(); n > 0 {
			log.Warn("audit records were dropped", "path", path, "dropped_total", n)
		}
	}, nil
}
