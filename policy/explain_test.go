package policy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/assumed-dev/assumed/policy"
)

// TestExplainBoundsReasons: a statement listing many actions (AWS managed
// policies list over a thousand) is quoted in part in its reason, so a
// refusal's trace stays small; the conditions of a statement whose
// action, resource and principal matched are each evaluated, with the
// policy's and the request's values.
func TestExplainBoundsReasons(t *testing.T) {
	var actions []string
	for i := range 40 {
		actions = append(actions, fmt.Sprintf("s3:Action%02d", i))
	}
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[%s],"Resource":"*"},`+
		`{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"red"},"Bool":{"aws:SecureTransport":"true"}}}]}`,
		`"`+strings.Join(actions, `","`)+`"`)
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		t.Fatal(err)
	}
	ctx := policy.NewContext()
	ctx.Set("aws:RequestTag/team", "blue")
	ctx.SetBool("aws:SecureTransport", true)
	ex := policy.NewSet(policy.Entry{ID: "p", Policy: p}).Explain(&policy.Request{Action: "iam:GetUser", Resource: "*", Context: ctx})
	if len(ex.Statements) != 2 {
		t.Fatalf("%d statements", len(ex.Statements))
	}
	r := ex.Statements[0].Reason
	if !strings.Contains(r, "… 28 more") || strings.Contains(r, "s3:Action39") || len(r) > 400 {
		t.Errorf("reason of a 40-action statement: %q", r)
	}
	cs := ex.Statements[1].Conditions
	if ex.Statements[1].Outcome != policy.ConditionFalse || len(cs) != 2 {
		t.Fatalf("second statement: %+v", ex.Statements[1])
	}
	for _, c := range cs {
		want := map[string]string{"aws:RequestTag/team": "false", "aws:SecureTransport": "true"}[c.Key]
		if c.Result != want || !c.Present || len(c.PolicyValues) != 1 || len(c.RequestValues) != 1 {
			t.Errorf("condition %s %s: %+v, want result %s", c.Operator, c.Key, c, want)
		}
	}
}
