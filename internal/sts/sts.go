// Package sts is the STS service: AssumeRole (cross-account, chained,
// with session policies, session tags and source identity), the identity
// calls, and the stateless session tokens every temporary credential
// carries. A session token is a sealed record of the session, so a
// request signed with temporary credentials is authenticated and
// authorized with no store read.
package sts

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/assumed-dev/assumed/arn"
	"github.com/assumed-dev/assumed/internal/authz"
	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// TokenSealer seals session records into tokens and opens them.
type TokenSealer interface {
	Seal(plain []byte) (string, error)
	Open(token string) ([]byte, error)
}

// Service is the STS service.
type Service struct {
	dir    *directory.Directory
	sealer atomic.Pointer[TokenSealer]
	now    func() time.Time
	// webIdentity verifies web-identity tokens.
	webIdentity atomic.Pointer[WebIdentityVerifier]
}

// New returns the service reading dir and sealing tokens with sealer.
func New(dir *directory.Directory, sealer TokenSealer) *Service {
	s := &Service{dir: dir, now: time.Now}
	s.SetSealer(sealer)
	return s
}

// SetSealer replaces the token sealer (after a key rotation).
func (s *Service) SetSealer(t TokenSealer) { s.sealer.Store(&t) }

// Limits and patterns from the STS API.
const (
	defaultDuration = 3600
	minDuration     = 900
	chainedMax      = 3600
	maxPolicyARNs   = 10
	maxSessionTags  = 50
	// packedLimit is the budget of the packed (compressed) session
	// policies and tags that PackedPolicySize reports as a percentage.
	packedLimit = 2048
)

var (
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	tagKeyPattern      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValuePattern    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	policyCharPattern  = regexp.MustCompile(`^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{00FF}]+$`)
)

// AssumeRole returns temporary credentials for a role, if the role's trust
// policy and (where AWS requires it) the caller's own policies allow.
func (s *Service) AssumeRole(_ context.Context, caller *directory.Caller, in *sdk.AssumeRoleInput) (*sdk.AssumeRoleOutput, error) {
	roleARN, name := aws.ToString(in.RoleArn), aws.ToString(in.RoleSessionName)
	if err := checkLength(roleARN, "roleArn", 20, 2048); err != nil {
		return nil, err
	}
	if err := checkName(name, "roleSessionName"); err != nil {
		return nil, err
	}
	if in.ExternalId != nil {
		if err := checkLength(*in.ExternalId, "externalId", 2, 1224); err != nil {
			return nil, err
		}
		if !externalIDPattern.MatchString(*in.ExternalId) {
			return nil, invalidField(*in.ExternalId, "externalId", `Member must satisfy regular expression pattern: [\w+=,.@:/-]*`)
		}
	}
	if in.SourceIdentity != nil {
		si := *in.SourceIdentity
		if err := checkName(si, "sourceIdentity"); err != nil {
			return nil, err
		}
		if strings.HasPrefix(strings.ToLower(si), "aws:") {
			return nil, validation("Source identity cannot start with the prefix 'aws:'")
		}
	}
	sessionPolicy, err := checkSessionPolicies(in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags, in.TransitiveTagKeys)
	if err != nil {
		return nil, err
	}

	if caller.IsRoot() {
		// AWS: "You cannot use AWS account root user credentials to call
		// AssumeRole."
		return nil, asAccessDenied(authz.Refusal(caller, "sts:AssumeRole", roleARN, "", "",
			"AWS refuses AssumeRole to an account's root user, whatever the trust policy says",
			"call AssumeRole as an IAM user or a role session of account "+caller.AccountID), "Roles may not be assumed by root accounts.")
	}
	snap := s.dir.Snapshot()
	a, err := parseRoleARN(roleARN)
	if err != nil {
		return nil, err
	}
	role, ok := snap.RoleByARN(roleARN)
	if !ok {
		// AWS does not say whether the role exists; the trace does.
		ctx := policy.NewContext()
		if in.ExternalId != nil {
			ctx.Set("sts:ExternalId", *in.ExternalId)
		}
		return nil, asAccessDenied(authz.RoleNotFound(caller, nil, roleARN, "sts:AssumeRole", ctx))
	}

	// Duration: the role's maximum; one hour when chaining.
	chained := caller.IsRoleSession()
	duration, err := checkDuration(in.DurationSeconds)
	if err != nil {
		return nil, err
	}
	// The default hour is within both limits (MaxSessionDuration is at
	// least an hour).
	if chained && duration > chainedMax {
		return nil, validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if duration > role.MaxSessionDuration {
		return nil, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	// Session tags: the caller's transitive tags flow in and may not be
	// overridden.
	var inherited []directory.Tag
	var transitive []string
	if chained {
		for _, t := range caller.Session.Tags {
			if containsFold(caller.Session.TransitiveTagKeys, t.Key) {
				inherited = append(inherited, t)
			}
		}
		transitive = append(transitive, caller.Session.TransitiveTagKeys...)
	}
	for _, t := range tags {
		for _, it := range inherited {
			if strings.EqualFold(t.Key, it.Key) {
				return nil, &Error{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: fmt.Sprintf("One or more session tags cannot be overridden because they were passed as transitive tags in the previous session: %s", it.Key)}
			}
		}
	}
	allTags := append(append([]directory.Tag(nil), inherited...), tags...)
	if len(allTags) > maxSessionTags {
		return nil, validation("Cannot exceed quota for SessionTags: %d", maxSessionTags)
	}
	for _, k := range in.TransitiveTagKeys {
		if !containsFold(transitive, k) {
			transitive = append(transitive, k)
		}
	}

	// Source identity is set once and kept down the chain.
	sourceIdentity := aws.ToString(in.SourceIdentity)
	if chained && caller.Session.SourceIdentity != "" {
		if sourceIdentity != "" && sourceIdentity != caller.Session.SourceIdentity {
			return nil, asAccessDenied(authz.Refusal(caller, "sts:SetSourceIdentity", roleARN, "",
				fmt.Sprintf("because the source identity %q of the session cannot be changed", caller.Session.SourceIdentity),
				"A source identity, once set, is kept down a role chain and can't be changed",
				fmt.Sprintf("don't pass --source-identity, or pass the session's own (%q)", caller.Session.SourceIdentity)))
		}
		sourceIdentity = caller.Session.SourceIdentity
	}

	// Authorization: sts:AssumeRole, plus sts:TagSession when tags are
	// passed or flow in, plus sts:SetSourceIdentity when one is set here.
	actions := []string{"sts:AssumeRole"}
	if len(allTags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if in.SourceIdentity != nil {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	reqCtx := policy.NewContext()
	reqCtx.Set("sts:RoleSessionName", name)
	if in.ExternalId != nil {
		reqCtx.Set("sts:ExternalId", *in.ExternalId)
	}
	setTagKeys(reqCtx, allTags, in.TransitiveTagKeys)
	if sourceIdentity != "" {
		reqCtx.Set("sts:SourceIdentity", sourceIdentity)
	}
	if err := authz.AssumeRole(snap, caller, role, actions, reqCtx); err != nil {
		return nil, asAccessDenied(err)
	}

	sess := &directory.Session{
		AccountID: a.AccountID, RoleName: role.Name, RolePath: role.Path, RoleID: role.ID, SessionName: name,
		Policy: sessionPolicy, Tags: allTags, TransitiveTagKeys: transitive, SourceIdentity: sourceIdentity, Chained: chained,
		Epoch: snap.Epoch,
	}
	credsOut, packed, err := s.startSession(sess, in.PolicyArns, time.Duration(duration)*time.Second)
	if err != nil {
		return nil, err
	}
	out := &sdk.AssumeRoleOutput{
		Credentials:     credsOut,
		AssumedRoleUser: &types.AssumedRoleUser{AssumedRoleId: aws.String(role.ID + ":" + name), Arn: aws.String(sess.ARN())},
	}
	if sessionPolicy != "" || len(in.PolicyArns) > 0 || len(allTags) > 0 {
		// AWS still returns PackedPolicySize, which the spec and older
		// clients read, beside its newer name.
		//lint:ignore SA1019 kept on the wire for the clients that read it
		out.PackedPolicySize = aws.Int32(int32(packed))
		out.SessionTokenUtilization = aws.Int32(int32(packed))
	}
	if sourceIdentity != "" {
		out.SourceIdentity = aws.String(sourceIdentity)
	}
	return out, nil
}

// issue creates the temporary key and seals the session into its token.
func (s *Service) issue(sess *directory.Session) (*types.Credentials, error) {
	id, err := creds.NewAccessKeyIDForAccount(creds.PrefixTemporaryAccessKey, sess.AccountID)
	if err != nil {
		return nil, err
	}
	secret, err := creds.NewSecretAccessKey()
	if err != nil {
		return nil, err
	}
	sess.AccessKeyID, sess.Secret = id, secret
	plain, err := json.Marshal(sess)
	if err != nil {
		return nil, fmt.Errorf("encode session: %w", err)
	}
	token, err := (*s.sealer.Load()).Seal(plain)
	if err != nil {
		return nil, fmt.Errorf("seal session: %w", err)
	}
	return &types.Credentials{AccessKeyId: aws.String(id), SecretAccessKey: aws.String(secret), SessionToken: aws.String(token), Expiration: aws.Time(sess.Expiration)}, nil
}

// OpenSession authenticates a session token: it must open, not have
// expired, and have been issued since the state was last reset (the
// directory's epoch). The caller checks that the request's access key is
// the session's.
func (s *Service) OpenSession(token string) (*directory.Session, error) {
	if token == "" {
		return nil, ErrInvalidToken
	}
	plain, err := (*s.sealer.Load()).Open(token)
	if err != nil {
		return nil, ErrInvalidToken
	}
	var sess directory.Session
	if err := json.Unmarshal(plain, &sess); err != nil {
		return nil, ErrInvalidToken
	}
	if !s.now().Before(sess.Expiration) {
		return nil, ErrExpiredToken
	}
	if sess.Epoch != s.dir.Snapshot().Epoch {
		// Issued before a reset, for principals the reset may have
		// removed: as AWS answers for a token it does not know.
		return nil, ErrInvalidToken
	}
	return &sess, nil
}

// GetCallerIdentity says who the caller is. It needs no permission: even
// an explicit deny cannot stop it, as in AWS.
func (s *Service) GetCallerIdentity(_ context.Context, caller *directory.Caller, _ *sdk.GetCallerIdentityInput) (*sdk.GetCallerIdentityOutput, error) {
	out := &sdk.GetCallerIdentityOutput{Account: aws.String(caller.AccountID), Arn: aws.String(caller.ARN)}
	switch {
	case caller.IsRoleSession():
		out.UserId = aws.String(caller.Session.RoleID + ":" + caller.Session.SessionName)
	case caller.IsRoot():
		out.UserId = aws.String(caller.AccountID)
	case caller.Session != nil:
		// A user's session is its user's, whoever has the name now.
		out.UserId = aws.String(caller.Session.UserID)
	default:
		if u, ok := s.dir.Snapshot().AccountIAM(caller.AccountID).Users[directory.Key(caller.UserName)]; ok {
			out.UserId = aws.String(u.ID)
		}
	}
	return out, nil
}

// GetSessionToken returns temporary credentials for an IAM user or the
// root user: 900–129,600 seconds (root: at most 3,600), 43,200 by default.
func (s *Service) GetSessionToken(_ context.Context, caller *directory.Caller, in *sdk.GetSessionTokenInput) (*sdk.GetSessionTokenOutput, error) {
	if caller.Session != nil {
		return nil, accessDenied("Cannot call GetSessionToken with session credentials")
	}
	duration := int32(43200)
	if caller.IsRoot() {
		duration = 3600
	}
	if in.DurationSeconds != nil {
		duration = *in.DurationSeconds
		if duration < minDuration || duration > 129600 {
			return nil, invalidField(strconv.Itoa(int(duration)), "durationSeconds", "Member must have value between 900 and 129600")
		}
		if caller.IsRoot() && duration > 3600 {
			return nil, validation("The requested DurationSeconds exceeds the 1 hour session limit for root accounts.")
		}
	}
	now := s.now().UTC().Truncate(time.Second)
	snap := s.dir.Snapshot()
	sess := &directory.Session{AccountID: caller.AccountID, UserName: caller.UserName, IssuedAt: now, Expiration: now.Add(time.Duration(duration) * time.Second), Epoch: snap.Epoch}
	if !caller.IsRoot() {
		u, ok := snap.AccountIAM(caller.AccountID).Users[directory.Key(caller.UserName)]
		if !ok {
			return nil, accessDenied("The user " + caller.ARN + " no longer exists")
		}
		sess.UserID = u.ID
	}
	c, err := s.issue(sess)
	if err != nil {
		return nil, err
	}
	return &sdk.GetSessionTokenOutput{Credentials: c}, nil
}

// GetAccessKeyInfo returns the account that owns an access key: a
// long-term key is looked up; any other key ID is decoded, since AWS's
// key IDs (and assumed's) carry the account number, as AWS does for keys
// it does not store (temporary ones included).
func (s *Service) GetAccessKeyInfo(_ context.Context, _ *directory.Caller, in *sdk.GetAccessKeyInfoInput) (*sdk.GetAccessKeyInfoOutput, error) {
	id := aws.ToString(in.AccessKeyId)
	if err := checkLength(id, "accessKeyId", 16, 128); err != nil {
		return nil, err
	}
	if k, ok := s.dir.Snapshot().AccessKeys[id]; ok {
		return &sdk.GetAccessKeyInfoOutput{Account: aws.String(k.AccountID)}, nil
	}
	if acct, ok := creds.AccountOfAccessKeyID(id); ok {
		return &sdk.GetAccessKeyInfoOutput{Account: aws.String(acct)}, nil
	}
	return nil, &Error{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: fmt.Sprintf("The access key ID %s is not well formed: it must be 20 characters, a four-letter prefix and 16 of [A-Z2-7].", id)}
}

// checkName checks a role session name or source identity: 2-64
// characters of [\w+=,.@-].
func checkName(v, field string) error {
	if err := checkLength(v, field, 2, 64); err != nil {
		return err
	}
	if !sessionNamePattern.MatchString(v) {
		return invalidField(v, field, `Member must satisfy regular expression pattern: [\w+=,.@-]*`)
	}
	return nil
}

// checkDuration checks a requested DurationSeconds against STS's range
// for role sessions; without one, a session lasts an hour.
func checkDuration(d *int32) (int32, error) {
	if d == nil {
		return defaultDuration, nil
	}
	if *d < minDuration || *d > 43200 {
		return 0, invalidField(strconv.Itoa(int(*d)), "durationSeconds", "Member must have value between 900 and 43200")
	}
	return *d, nil
}

// parseRoleARN checks that a RoleArn is a role's ARN.
func parseRoleARN(roleARN string) (arn.ARN, error) {
	a, err := arn.Parse(roleARN)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return arn.ARN{}, validation("%s is invalid", roleARN)
	}
	return a, nil
}

func checkLength(v, field string, min, max int) error {
	if len(v) < min {
		return invalidField(v, field, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if len(v) > max {
		return invalidField(v, field, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
	return nil
}

// checkSessionPolicies validates the inline session policy and the
// managed policy ARNs, and returns the inline document.
func checkSessionPolicies(inline *string, arns []types.PolicyDescriptorType) (string, error) {
	if len(arns) > maxPolicyARNs {
		return "", invalidField(fmt.Sprint(len(arns)), "policyArns", "Member must have length less than or equal to 10")
	}
	for _, p := range arns {
		if err := checkLength(aws.ToString(p.Arn), "policyArns.member.arn", 20, 2048); err != nil {
			return "", err
		}
	}
	if inline == nil {
		return "", nil
	}
	doc := *inline
	if err := checkLength(doc, "policy", 1, 2048); err != nil {
		return "", err
	}
	if !policyCharPattern.MatchString(doc) {
		return "", invalidField(doc, "policy", `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
	}
	if _, err := policy.Parse(doc, policy.Session); err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return "", malformedPolicy(pe.Error())
		}
		return "", malformedPolicy(err.Error())
	}
	return doc, nil
}

// checkTags validates session tags and transitive tag keys.
func checkTags(tags []types.Tag, transitive []string) ([]directory.Tag, error) {
	if len(tags) > maxSessionTags {
		return nil, invalidField(fmt.Sprint(len(tags)), "tags", "Member must have length less than or equal to 50")
	}
	if len(transitive) > maxSessionTags {
		return nil, invalidField(fmt.Sprint(len(transitive)), "transitiveTagKeys", "Member must have length less than or equal to 50")
	}
	out := make([]directory.Tag, 0, len(tags))
	for _, t := range tags {
		k, v := aws.ToString(t.Key), aws.ToString(t.Value)
		if len(k) < 1 || len(k) > 128 || !tagKeyPattern.MatchString(k) {
			return nil, invalidField(k, "tags.member.key", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+ and have length between 1 and 128`)
		}
		if len(v) > 256 || !tagValuePattern.MatchString(v) {
			return nil, invalidField(v, "tags.member.value", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]* and have length less than or equal to 256`)
		}
		for _, o := range out {
			if strings.EqualFold(o.Key, k) {
				return nil, &Error{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: "Duplicate tag keys found. Please note that Tag keys are case insensitive."}
			}
		}
		out = append(out, directory.Tag{Key: k, Value: v})
	}
	for _, k := range transitive {
		found := false
		for _, t := range out {
			if strings.EqualFold(t.Key, k) {
				found = true
			}
		}
		if !found {
			return nil, &Error{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: fmt.Sprintf("The transitive tag key %s is not among the session tags.", k)}
		}
	}
	return out, nil
}

// packedPercent is how much of the packed budget the session policies
// and tags use, in percent (AWS compresses them into the token; so do we).
func packedPercent(sessionPolicy string, arns []types.PolicyDescriptorType, tags []directory.Tag) (int, error) {
	var raw bytes.Buffer
	raw.WriteString(sessionPolicy)
	for _, a := range arns {
		raw.WriteString(aws.ToString(a.Arn))
	}
	for _, t := range tags {
		raw.WriteString(t.Key)
		raw.WriteString(t.Value)
	}
	if raw.Len() == 0 {
		return 0, nil
	}
	var packed bytes.Buffer
	w, err := flate.NewWriter(&packed, flate.BestCompression)
	if err != nil {
		return 0, fmt.Errorf("pack session policies: %w", err)
	}
	w.Write(raw.Bytes())
	w.Close()
	return (packed.Len()*100 + packedLimit - 1) / packedLimit, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
