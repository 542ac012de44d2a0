// Package creds owns AWS credentials as assumed issues and checks them:
// access keys, session-token sealing, SigV4 verification.
//
// What is here now: generation of AWS-shaped access key IDs, secret access
// keys and unique IDs (AIDA…, AROA…), and verification of AWS Signature
// Version 4 in both its header and presigned (query-string) forms, with
// AWS's error codes, HTTP statuses and message texts, including S3's rules
// and its streaming (aws-chunked) payloads.
//
// SigV4 verification is a canonicalizer of our own, not the SDK signer run a
// second time: the SDK signer always skips Authorization, User-Agent,
// X-Amzn-Trace-Id and Expect, so a client that signed one of those could
// never be verified by re-signing. Verification is in two steps, so that the
// caller can look up the secret between them:
//
//	sr, err := creds.ParseRequest(r)        // who claims to have signed, how
//	secret := lookup(sr.AccessKeyID)         // InvalidClientTokenId if unknown
//	err = creds.Verify(r, body, sr, secret, time.Now())
//
// S3 (signing names s3 and s3-object-lambda, UsesS3Rules) signs
// differently: the path is URI-encoded once and not normalized, and the
// payload hash is the X-Amz-Content-Sha256 header, which may be
// UNSIGNED-PAYLOAD or announce an aws-chunked body whose chunks carry
// their own chained signatures. Its bodies are large, so the gateway
// checks them as they stream instead of reading them first:
//
//	p, err := creds.VerifyStreaming(r, sr, secret, time.Now()) // headers only
//	body := p.Wrap(r.Body) // the decoded payload; checked as it is read
//	// forward body with Content-Length p.DecodedLength; p.Trailer() after EOF
//
// Verify still accepts S3 requests with the body read whole.
//
// Every error either step returns wraps an *Error carrying AWS's code,
// message and HTTP status; errors.As finds it. No error, and nothing the
// package logs, ever contains a secret.
package creds
