// Package awsmanaged serves the AWS managed policies
// (arn:aws:iam::aws:policy/…) that accounts can attach. The documents are
// those AWS publishes, as collected by the moto project (5.2.1,
// Apache-2.0), embedded in the binary and compiled on first use.
package awsmanaged

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

//go:embed policies.json
var raw []byte

// ARNPrefix starts every AWS managed policy ARN.
const ARNPrefix = "arn:aws:iam::aws:policy"

type entry struct {
	Path             string          `json:"Path"`
	DefaultVersionID string          `json:"DefaultVersionId"`
	Document         json.RawMessage `json:"Document"`
}

var (
	indexOnce sync.Once
	index     map[string]entry // by ARN
	indexErr  error
	compiled  sync.Map // ARN → *directory.ManagedPolicy
)

// created is the date reported for AWS managed policies.
var created = time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)

func load() {
	var byName map[string]entry
	if err := json.Unmarshal(raw, &byName); err != nil {
		indexErr = fmt.Errorf("embedded AWS managed policies: %w", err)
		return
	}
	index = make(map[string]entry, len(byName))
	for name, e := range byName {
		index[ARNPrefix+e.Path+name] = e
	}
}

// Lookup returns the AWS managed policy with the given ARN.
func Lookup(policyARN string) (*directory.ManagedPolicy, bool) {
	if !strings.HasPrefix(policyARN, ARNPrefix+"/") {
		return nil, false
	}
	if p, ok := compiled.Load(policyARN); ok {
		return p.(*directory.ManagedPolicy), true
	}
	indexOnce.Do(load)
	if indexErr != nil {
		return nil, false
	}
	e, ok := index[policyARN]
	if !ok {
		return nil, false
	}
	doc := string(e.Document)
	p, err := policy.ParseWithOptions(doc, policy.Identity, policy.Options{MaxSize: -1})
	if err != nil {
		return nil, false
	}
	name := policyARN[strings.LastIndexByte(policyARN, '/')+1:]
	mp := &directory.ManagedPolicy{
		Name: name, Path: e.Path, ARN: policyARN, ID: "ANPA" + strings.ToUpper(fmt.Sprintf("%017X", hash(name)))[:17],
		CreateDate: created, UpdateDate: created, DefaultVersion: e.DefaultVersionID,
		Versions: []directory.PolicyVersion{{VersionID: e.DefaultVersionID, Document: doc, CreateDate: created, Compiled: p}},
	}
	actual, _ := compiled.LoadOrStore(policyARN, mp)
	return actual.(*directory.ManagedPolicy), true
}

// List returns the ARNs of all AWS managed policies.
func List() []string {
	indexOnce.Do(load)
	out := make([]string, 0, len(index))
	for a := range index {
		out = append(out, a)
	}
	return out
}

// hash gives each policy a stable pseudo unique ID.
func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
