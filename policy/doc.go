// Package policy implements the IAM policy language as AWS does: it parses
// and validates policy documents of every kind (identity, resource, role
// trust, session, permissions boundary, service control policy) with AWS's
// error texts, compiles them once into a form that is cheap to evaluate,
// and evaluates a request — principal, action, resource and condition
// context — against a set of compiled policies.
//
// The package is pure: it performs no I/O, reads no clock (the request
// context carries aws:CurrentTime) and keeps no global state. Evaluation
// fails closed: an unresolvable policy variable makes its statement not
// match, and an unknown operator or malformed value is rejected when the
// policy is parsed, never treated as true.
//
// Typical use:
//
//	p, err := policy.Parse(doc, policy.Identity)
//	set := policy.NewSet(policy.Entry{ID: "my-policy", Policy: p})
//	ctx := policy.NewContext()
//	ctx.Set("aws:username", "alice")
//	var res policy.Result
//	set.Evaluate(&policy.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx}, &res)
package policy
