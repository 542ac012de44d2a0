package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
)

// logFlags are the flags of the commands that log (serve, agent):
// --log-level and --log-format.
type logFlags struct {
	level  logLevel
	format logFormat
}

func (f *logFlags) add(cmd *cobra.Command) {
	f.level = logLevel(slog.LevelInfo)
	f.format = "text"
	cmd.Flags().Var(&f.level, "log-level", "least severe log lines written: debug, info, warn or error")
	cmd.Flags().Var(&f.format, "log-format", "log line format: text (key=value) or json (one object a line)")
}

// logger returns the logger the flags ask for, writing to w.
func (f *logFlags) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.Level(f.level)}
	if f.format == "json" {
		return slog.New(uniqueKeys{slog.NewJSONHandler(w, opts)})
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// uniqueKeys renames a line's top-level attribute "msg" (refusals log the
// AWS error message under it) to "message", so that a JSON object never
// has the key "msg" twice: JSON tools keep only one of the two.
type uniqueKeys struct{ slog.Handler }

func (h uniqueKeys) Handle(ctx context.Context, r slog.Record) error {
	clash := false
	r.Attrs(func(a slog.Attr) bool {
		clash = a.Key == slog.MessageKey
		return !clash
	})
	if !clash {
		return h.Handler.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(renamed(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h uniqueKeys) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = renamed(a)
	}
	return uniqueKeys{h.Handler.WithAttrs(out)}
}

// WithGroup nests what follows, where "msg" clashes with nothing.
func (h uniqueKeys) WithGroup(name string) slog.Handler { return h.Handler.WithGroup(name) }

func renamed(a slog.Attr) slog.Attr {
	if a.Key == slog.MessageKey {
		a.Key = "message"
	}
	return a
}

// logLevel is the value of --log-level.
type logLevel slog.Level

func (l *logLevel) String() string { return strings.ToLower(slog.Level(*l).String()) }

func (l *logLevel) Set(s string) error {
	switch strings.ToLower(s) {
	case "debug":
		*l = logLevel(slog.LevelDebug)
	case "info":
		*l = logLevel(slog.LevelInfo)
	case "warn", "warning":
		*l = logLevel(slog.LevelWarn)
	case "error":
		*l = logLevel(slog.LevelError)
	default:
		return fmt.Errorf("unknown log level %q: use debug, info, warn or error", s)
	}
	return nil
}

func (l *logLevel) Type() string { return "level" }

// logFormat is the value of --log-format.
type logFormat string

func (f *logFormat) String() string { return string(*f) }

func (f *logFormat) Set(s string) error {
	switch v := strings.ToLower(s); v {
	case "text", "json":
		*f = logFormat(v)
		return nil
	}
	return fmt.Errorf("unknown log format %q: use text or json", s)
}

func (f *logFormat) Type() string { return "format" }
