package policy_test

import (
	"errors"
	"fmt"

	"github.com/assumed-dev/assumed/policy"
)

// Example parses an identity policy, evaluates requests against it and
// shows why one was denied, then shows a rejected document.
func Example() {
	doc := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "OwnHomeFolder",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject"],
      "Resource": "arn:aws:s3:::shared/home/${aws:username}/*"
    },
    {
      "Sid": "DenyPlainHTTP",
      "Effect": "Deny",
      "Action": "s3:*",
      "Resource": "*",
      "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    }
  ]
}`
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		fmt.Println(err)
		return
	}
	set := policy.NewSet(policy.Entry{ID: "home-folders", Policy: p})

	ctx := policy.NewContext()
	ctx.Set("aws:username", "alice")
	ctx.SetBool("aws:SecureTransport", true)

	var res policy.Result // reused: Evaluate resets it
	for _, object := range []string{"shared/home/alice/notes.txt", "shared/home/bob/notes.txt"} {
		req := &policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::" + object, Context: ctx}
		fmt.Println(object, set.Evaluate(req, &res))
	}

	// Over plain HTTP the Deny applies, whatever the Allow says.
	ctx.SetBool("aws:SecureTransport", false)
	req := &policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::shared/home/alice/notes.txt", Context: ctx}
	ex := set.Explain(req)
	fmt.Println("over HTTP:", ex.Decision)
	for _, st := range ex.Statements {
		fmt.Printf("  %s statement %d (%s): %s\n", st.PolicyID, st.Statement, st.Sid, st.Reason)
	}

	// Without aws:username the variable can't be resolved: the Allow
	// does not apply (fail closed).
	ctx.SetBool("aws:SecureTransport", true)
	ctx.Delete("aws:username")
	fmt.Println("no username:", set.Evaluate(req, &res))

	// A rejected document: AWS's code and message, and where.
	_, err = policy.Parse(`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject"}}`, policy.Identity)
	var perr *policy.Error
	if errors.As(err, &perr) {
		fmt.Printf("%s: %s (statement %d)\n", perr.Code, perr.Message, perr.Statement)
	}
	// Output:
	// shared/home/alice/notes.txt allowed
	// shared/home/bob/notes.txt implicitDeny
	// over HTTP: explicitDeny
	//   home-folders statement 1 (OwnHomeFolder): Allow applies
	//   home-folders statement 2 (DenyPlainHTTP): Deny applies
	// no username: implicitDeny
	// MalformedPolicyDocument: Policy statement must contain resources. (statement 1)
}
