package analyze_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/internal/analyze"
)

// TestFindings: each classic mistake of the test world is found once,
// with its severity, account, subject and statement, and the sound
// set-ups next to them are not flagged.
func TestFindings(t *testing.T) {
	snap := worldSnapshot(t, "testdata/world.yaml")
	g := analyze.Build(snap, analyze.Options{})
	found := analyze.Findings(snap, g)
	has := func(rule, subject, statement string) *analyze.Finding {
		for i := range found {
			f := &found[i]
			if f.Rule == rule && f.Subject == subject && (statement == "" || f.Statement != nil && f.Statement.Statement == statement) {
				return f
			}
		}
		return nil
	}
	want := []struct {
		rule, subject, statement, severity, account string
	}{
		{analyze.RuleTrustAccountUnconditioned, roleARN(acctApp, "table-writer"), "statement 1", analyze.SeverityMedium, acctApp},
		{analyze.RuleThirdPartyNoExternalID, roleARN(acctApp, "vendor-access"), `statement "Vendor"`, analyze.SeverityHigh, acctApp},
		{analyze.RuleOIDCSubWildcard, roleARN(acctApp, "irsa-loose"), "statement 1", analyze.SeverityMedium, acctApp},
		{analyze.RuleOIDCAudUnchecked, roleARN(acctApp, "irsa-loose"), "statement 1", analyze.SeverityMedium, acctApp},
		{analyze.RulePodTargetOverexposed, roleARN(acctData, "target"), "statement 1", analyze.SeverityMedium, acctData},
		{analyze.RuleReachesOtherAdmin, userARN(acctTools, "ci"), `statement "CI"`, analyze.SeverityHigh, acctTools},
		{analyze.RulePassRoleOnStar, userARN(acctApp, "passer"), "statement 1", analyze.SeverityHigh, acctApp},
		{analyze.RuleAllowNotPrincipal, roleARN(acctApp, "not-principal"), "statement 1", analyze.SeverityHigh, acctApp},
		{analyze.RuleForAllValuesSingleValued, roleARN(acctApp, "for-all-values"), "statement 1", analyze.SeverityMedium, acctApp},
		{analyze.RuleSelfAssumptionImplicit, roleARN(acctApp, "selfish"), "", analyze.SeverityLow, acctApp},
		{analyze.RuleUnusedPrincipal, userARN(acctTools, "idle"), "", analyze.SeverityInfo, acctTools},
	}
	for _, w := range want {
		f := has(w.rule, w.subject, w.statement)
		if f == nil {
			t.Errorf("no %s finding for %s (%s)", w.rule, w.subject, w.statement)
			continue
		}
		if f.Severity != w.severity || f.Account != w.account || f.Message == "" || f.Fix == "" {
			t.Errorf("%s of %s: %+v", w.rule, w.subject, f)
		}
		if f.Statement != nil && !strings.Contains(f.Document, `"Statement"`) {
			t.Errorf("%s of %s: no policy document to show the statement in", w.rule, w.subject)
		}
	}
	// The chain to the admin is the shortest: ci → deployer → admin.
	if f := has(analyze.RuleReachesOtherAdmin, userARN(acctTools, "ci"), ""); f != nil {
		if got := strings.Join(f.Path, " → "); got != strings.Join([]string{userARN(acctTools, "ci"), roleARN(acctApp, "deployer"), roleARN(acctApp, "admin")}, " → ") {
			t.Errorf("path %s", got)
		}
	}
	// Sound set-ups: not flagged.
	notWant := []struct{ rule, subject string }{
		{analyze.RuleThirdPartyNoExternalID, roleARN(acctApp, "vendor-safe")},
		{analyze.RuleOIDCAudUnchecked, roleARN(acctApp, "irsa-app")},
		{analyze.RuleOIDCSubWildcard, roleARN(acctApp, "irsa-app")},
		{analyze.RuleOIDCWithoutSub, roleARN(acctApp, "irsa-app")},
		{analyze.RuleTrustAccountUnconditioned, roleARN(acctApp, "deployer")},
		{analyze.RuleUnusedPrincipal, userARN(acctTools, "ci")},
		{analyze.RuleUnusedPrincipal, roleARN(acctApp, "table-writer")},
		{analyze.RuleReachesOtherAdmin, roleARN(acctApp, "deployer")}, // same account as the admin
	}
	for _, n := range notWant {
		if f := has(n.rule, n.subject, ""); f != nil {
			t.Errorf("unexpected %s finding: %+v", n.rule, f)
		}
	}
	// Most severe first.
	for i := 1; i < len(found); i++ {
		if !analyze.AtLeast(found[i-1].Severity, found[i].Severity) {
			t.Fatalf("finding %d (%s) after %d (%s)", i, found[i].Severity, i-1, found[i-1].Severity)
		}
	}
	if testing.Verbose() {
		for _, f := range found {
			fmt.Printf("%-8s %-40s %s\n", f.Severity, f.Rule, f.Subject)
		}
	}
}
