package server

import (
	"fmt"
	"strings"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/clip"
)

// Denial detail modes (serve --denial-detail).
const (
	// DenialDetailFull appends assumed's plain-language reason to AWS's
	// text: for local work.
	DenialDetailFull = "full"
	// DenialDetailAWS gives AWS's exact texts only: for servers shared
	// with people who must not read other accounts' conditions.
	DenialDetailAWS = "aws"
)

// encodedMessageLabel introduces the encoded authorization message, as
// AWS words it.
const encodedMessageLabel = "Encoded authorization failure message: "

// SetDenialDetail sets what refusals tell the caller: DenialDetailFull
// (the default) or DenialDetailAWS.
func (s *Server) SetDenialDetail(mode string) error {
	switch mode {
	case DenialDetailFull, DenialDetailAWS:
		s.denialDetail = mode
		return nil
	}
	return fmt.Errorf("denial detail %q: want %q or %q", mode, DenialDetailFull, DenialDetailAWS)
}

// refused renders a refusal for the caller and records it: the message
// the service wrote, with the refusal's text as --denial-detail says and
// the encoded authorization message appended; the trace goes to the log
// (one line, structured) and to the refusals kept for `assumed explain
// --request-id`.
func (s *Server) refused(reqID, service, op, code, message string, d *authz.Denied) string {
	if d.Trace == nil {
		// A refusal decided before any policy (the gateway can't map the
		// operation): its message is its whole story.
		d.Trace = &authz.Trace{Decision: authz.DecisionImplicitDeny, Rule: "assumed refuses what it can't decide", Reason: d.Message}
	}
	text := d.Message
	if s.denialDetail == DenialDetailAWS {
		text = d.AWSText()
	}
	msg := message
	if i := strings.Index(message, d.Message); i >= 0 {
		// Keep the service's words around the refusal (EKS Auth wraps
		// STS's).
		msg = message[:i] + text + message[i+len(d.Message):]
	} else if s.denialDetail == DenialDetailAWS {
		msg = text
	}
	if enc, err := s.sts.EncodeAuthorizationMessage(d.Trace); err == nil {
		if !strings.HasSuffix(msg, ".") {
			msg += "."
		}
		msg += " " + encodedMessageLabel + enc
	} else {
		s.log.Warn("encode authorization message", "request_id", reqID, "err", err)
	}
	t := d.Trace
	attrs := []any{"request_id", reqID, "service", service, "operation", op, "code", code,
		"caller", clip.String(t.Principal.ARN), "action", clip.String(t.Action), "resource", clip.String(t.Resource),
		"decision", t.Decision}
	if dc := t.Deciding; dc != nil {
		attrs = append(attrs, "deciding_account", dc.AccountID, "deciding_policy", clip.String(dc.Policy), "deciding_statement", clip.String(dc.Statement))
		if dc.Condition != "" {
			attrs = append(attrs, "deciding_condition", clip.String(dc.Condition))
		}
	}
	attrs = append(attrs, "rule", clip.String(t.Rule), "reason", clip.String(t.Reason))
	if t.Fix != "" {
		attrs = append(attrs, "fix", clip.String(t.Fix))
	}
	s.log.Info("request refused", attrs...)
	// Kept without the statements whose action did not match: a large
	// managed policy's would dominate the memory the refusals take.
	s.refusals.add(&Refusal{RequestID: reqID, Time: s.now(), Service: service, Operation: op, Code: code, Message: clip.String(d.Message), Trace: t.Trimmed(false)})
	return msg
}
