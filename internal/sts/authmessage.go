package sts

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
)

// MessageSealer seals encoded authorization messages and opens them
// (a *creds.KeyRing is one): a sealer without it encodes none.
type MessageSealer interface {
	SealMessage(plain []byte) (string, error)
	OpenMessage(msg string) ([]byte, error)
}

// maxTraceJSON bounds the JSON of a trace before compression: a larger
// one is trimmed to the statements that decided.
const maxTraceJSON = 256 << 10

// EncodeAuthorizationMessage seals a refusal's trace into an opaque
// message that DecodeAuthorizationMessage opens for the principals
// allowed to read it. A trace too large for STS's 10,240-character
// limit is trimmed: first the statements whose action did not match,
// then every statement but the deciding ones.
func (s *Service) EncodeAuthorizationMessage(t *authz.Trace) (string, error) {
	ms, ok := (*s.sealer.Load()).(MessageSealer)
	if !ok || t == nil {
		return "", errors.New("sts: no message sealer")
	}
	for step := 0; ; step++ {
		plain, err := compressTrace(t)
		if err != nil {
			return "", err
		}
		msg, err := ms.SealMessage(plain)
		if err == nil {
			return msg, nil
		}
		if step == 2 {
			return "", fmt.Errorf("sts: encode authorization message: %w", err)
		}
		t = t.Trimmed(step == 1)
	}
}

func compressTrace(t *authz.Trace) ([]byte, error) {
	j, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("sts: encode trace: %w", err)
	}
	if len(j) > maxTraceJSON {
		t = t.Trimmed(false).Trimmed(true)
		if j, err = json.Marshal(t); err != nil {
			return nil, fmt.Errorf("sts: encode trace: %w", err)
		}
	}
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestCompression)
	zw.Write(j)
	zw.Close()
	return buf.Bytes(), nil
}

// openTrace is the trace an encoded message carries.
func (s *Service) openTrace(msg string) (*authz.Trace, error) {
	ms, ok := (*s.sealer.Load()).(MessageSealer)
	if !ok {
		return nil, errors.New("no message sealer")
	}
	plain, err := ms.OpenMessage(msg)
	if err != nil {
		return nil, err
	}
	j, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(plain)), maxTraceJSON+1))
	if err != nil || len(j) > maxTraceJSON {
		return nil, fmt.Errorf("%w: does not decompress", creds.ErrInvalidToken)
	}
	var t authz.Trace
	if err := json.Unmarshal(j, &t); err != nil {
		return nil, fmt.Errorf("%w: %v", creds.ErrInvalidToken, err)
	}
	return &t, nil
}

// DecodeAuthorizationMessage opens an encoded authorization message. The
// caller's identity-based policies must allow sts:DecodeAuthorizationMessage,
// and the caller must belong to an account the decision involved (the
// refused caller's, or the resource owner's): others' conditions are not
// theirs to read. The answer is AWS's decoded-message JSON, with the
// whole trace under "assumedTrace".
func (s *Service) DecodeAuthorizationMessage(_ context.Context, caller *directory.Caller, in *sdk.DecodeAuthorizationMessageInput) (*sdk.DecodeAuthorizationMessageOutput, error) {
	msg := aws.ToString(in.EncodedMessage)
	if msg == "" {
		return nil, validation("1 validation error detected: Value null at 'encodedMessage' failed to satisfy constraint: Member must not be null")
	}
	if len(msg) > creds.MaxMessageLen {
		return nil, invalidField("…", "encodedMessage", fmt.Sprintf("Member must have length less than or equal to %d", creds.MaxMessageLen))
	}
	snap := s.dir.Snapshot()
	if err := authz.Authorize(snap, authz.Request{Caller: caller, Action: "sts:DecodeAuthorizationMessage", Resource: "*"}); err != nil {
		return nil, asAccessDenied(err)
	}
	t, err := s.openTrace(strings.TrimSpace(msg))
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Code: "InvalidAuthorizationMessageException", Message: "The error message was invalid: it is not an authorization message this server encoded (or it was altered)"}
	}
	involved := t.InvolvedAccounts()
	if !slices.Contains(involved, caller.AccountID) {
		return nil, asAccessDenied(authz.Refusal(caller, "sts:DecodeAuthorizationMessage", "*", "",
			"because the message is of a decision in account(s) "+strings.Join(involved, ", ")+", and only their principals may decode it",
			"An authorization message is decoded in an account the decision involved: the refused caller's, or the resource owner's",
			"decode it with credentials of account "+strings.Join(involved, " or ")))
	}
	out, err := json.Marshal(decodedMessage(t))
	if err != nil {
		return nil, fmt.Errorf("sts: encode decoded message: %w", err)
	}
	return &sdk.DecodeAuthorizationMessageOutput{DecodedMessage: aws.String(string(out))}, nil
}

// AWS's decoded-message shapes: lists are {"items": […]}, values
// {"value": …}.
type (
	dmItems[T any] struct {
		Items []T `json:"items"`
	}
	dmValue struct {
		Value string `json:"value"`
	}
	dmStatement struct {
		StatementID     string           `json:"statementId"`
		Effect          string           `json:"effect"`
		Principals      dmItems[dmValue] `json:"principals"`
		PrincipalGroups dmItems[dmValue] `json:"principalGroups"`
		Actions         dmItems[dmValue] `json:"actions"`
		Resources       dmItems[dmValue] `json:"resources"`
		Conditions      dmItems[dmCond]  `json:"conditions"`
	}
	dmCond struct {
		Key    string           `json:"key"`
		Values dmItems[dmValue] `json:"values"`
	}
	dmPrincipal struct {
		ID  string `json:"id,omitempty"`
		ARN string `json:"arn"`
	}
	dmContext struct {
		Principal  dmPrincipal     `json:"principal"`
		Action     string          `json:"action"`
		Resource   string          `json:"resource"`
		Conditions dmItems[dmCond] `json:"conditions"`
	}
	dmMessage struct {
		Allowed           bool                 `json:"allowed"`
		ExplicitDeny      bool                 `json:"explicitDeny"`
		MatchedStatements dmItems[dmStatement] `json:"matchedStatements"`
		Failures          dmItems[dmValue]     `json:"failures"`
		Context           dmContext            `json:"context"`
		Trace             *authz.Trace         `json:"assumedTrace"`
	}
)

func values(vs []string) dmItems[dmValue] {
	out := dmItems[dmValue]{Items: []dmValue{}}
	for _, v := range vs {
		out.Items = append(out.Items, dmValue{v})
	}
	return out
}

// decodedMessage shapes a trace as AWS's decoded authorization message:
// matchedStatements are the statements that applied with the trace's
// decision (the Deny for an explicit deny; none for an implicit one).
func decodedMessage(t *authz.Trace) dmMessage {
	m := dmMessage{
		Allowed:           t.Decision == authz.DecisionAllowed,
		ExplicitDeny:      t.Decision == authz.DecisionExplicitDeny,
		MatchedStatements: dmItems[dmStatement]{Items: []dmStatement{}},
		Failures:          dmItems[dmValue]{Items: []dmValue{}},
		Context:           dmContext{Principal: dmPrincipal{ID: t.Principal.ID, ARN: t.Principal.ARN}, Action: t.Action, Resource: t.Resource, Conditions: dmItems[dmCond]{Items: []dmCond{}}},
		Trace:             t,
	}
	for _, c := range t.Context {
		m.Context.Conditions.Items = append(m.Context.Conditions.Items, dmCond{Key: c.Key, Values: values(c.Values)})
	}
	want := "Allow"
	if m.ExplicitDeny {
		want = "Deny"
	}
	if t.Decision != authz.DecisionImplicitDeny {
		for _, a := range t.Accounts {
			for _, p := range a.Policies {
				for _, st := range p.Statements {
					if st.Effect != want || st.Outcome != "applied" {
						continue
					}
					id := st.Sid
					if id == "" {
						id = fmt.Sprintf("%s, statement %d", p.Name, st.Number)
					}
					ds := dmStatement{StatementID: id, Effect: strings.ToUpper(st.Effect), Principals: values([]string{t.Principal.ID}),
						PrincipalGroups: values(nil), Actions: values([]string{t.Action}), Resources: values([]string{t.Resource}), Conditions: dmItems[dmCond]{Items: []dmCond{}}}
					for _, c := range st.Conditions {
						ds.Conditions.Items = append(ds.Conditions.Items, dmCond{Key: c.Key, Values: values(c.PolicyValues)})
					}
					m.MatchedStatements.Items = append(m.MatchedStatements.Items, ds)
				}
			}
		}
	}
	if t.Reason != "" && t.Decision != authz.DecisionAllowed {
		m.Failures.Items = append(m.Failures.Items, dmValue{t.Reason})
	}
	return m
}
