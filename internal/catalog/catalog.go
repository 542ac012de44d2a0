package catalog

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"sort"
	"strings"
	"sync"

	"github.com/assumed-dev/assumed/internal/catalog/internal/wire"
)

//go:embed catalog.json.gz
var embedded []byte

// Catalog is the loaded table. It is read-only and safe for concurrent use.
type Catalog struct {
	// Sources names the inputs the table was generated from: "botocore" and
	// "iam-data" with their versions.
	Sources map[string]string

	services  []*Service
	byID      map[string]*Service
	bySigning map[string][]*Service
}

// Service is one AWS service as botocore models it (its newest API version).
type Service struct {
	ID             string   // botocore's name, e.g. "dynamodb", "s3control"
	ServiceID      string   // botocore's metadata.serviceId, e.g. "DynamoDB"
	SigningName    string   // the SigV4 service name: metadata.signingName, else endpointPrefix
	AlsoSignedAs   []string // other signing names some operations use (s3: s3-object-lambda, s3express)
	EndpointPrefix string   // e.g. "api.ecr"
	Protocol       string   // the protocol the SDKs use: rest-xml, rest-json, json, query, ec2 or smithy-rpc-v2-cbor
	Protocols      []string // every protocol the service accepts (just Protocol when it has one)
	JSONVersion    string   // "1.0" or "1.1" for JSON services
	TargetPrefix   string   // the X-Amz-Target prefix of JSON services, e.g. "DynamoDB_20120810"
	APIVersion     string   // e.g. "2012-08-10"; the Version parameter of Query services
	IAMPrefix      string   // the IAM service prefix, e.g. "dynamodb"; "" when the SAR has none

	// Operations are sorted by name.
	Operations []*Operation

	byName  map[string]*Operation
	rest    map[string][]*Operation // by HTTP method
	accepts uint8                   // protocol bits
}

// Operation is one API operation.
type Operation struct {
	Service    *Service
	Name       string
	Method     string // HTTP method, e.g. "GET"
	RequestURI string // botocore's requestUri, e.g. "/{Bucket}/{Key+}" or "/{Bucket}?uploads"
	// Input are the top-level members of the input shape, sorted by name.
	Input []Member
	// Payload names the input member that is the whole body of a REST
	// request (S3 PutObject's Body, Lambda Invoke's Payload), if any.
	Payload string
	// Deprecated marks operations botocore deprecates; where a request fits
	// both, Identify prefers the current one (PutBucketLifecycleConfiguration
	// over PutBucketLifecycle).
	Deprecated bool

	actions      []Action
	conds        []string   // distinct If/Unless parameters
	variants     [][]Action // by bit mask over conds
	tmpl         *uriTemplate
	wire         map[string]*Member // body/form members by wire name
	query        []*Member          // querystring members
	headers      []*Member          // header members
	headerByName map[string]*Member // header members by canonical name
	deep         []string           // list-of-structure members to flatten into M[].K.F
	deepS        []string           // structure members to flatten into S.F
	account      string             // member naming the resource's account (registryId, ...)
}

// Member is a top-level input member.
type Member struct {
	Name string
	// Location is where the member travels: "uri", "querystring", "header",
	// "headers" (a header prefix), or "body" (the body or, for Query and EC2,
	// the form).
	Location string
	// LocationName is its name on the wire: the URI label, query key,
	// header name, header prefix, or body/form key.
	LocationName string
	// Type is botocore's shape type: string, integer, long, boolean,
	// timestamp, blob, list, map, structure, ...
	Type string
	// Elem is the element type of a list or the value type of a map.
	Elem     string
	Required bool

	canonHeader string
}

// Action is one IAM action an operation is authorized as.
type Action struct {
	Name string // "dynamodb:PutItem"
	// Resources are the action's resource types; ResourceARNs builds their
	// ARNs. An action with none is authorized against "*".
	Resources []ResourceType
	// ConditionKeys are the service condition keys the SAR lists for the
	// action and its resource types (sorted); global aws: keys are not
	// listed unless the SAR lists them.
	ConditionKeys []string
	// If and Unless, when set, name a parameter that must be present
	// (absent) for the action to apply; ActionsFor applies them.
	If, Unless string

	op   *Operation
	bind []binding
}

// ResourceType is one resource type of an action.
type ResourceType struct {
	Name string // the SAR's name, e.g. "table"
	// ARN is the SAR's template, e.g.
	// "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}".
	ARN string
	// Required is the SAR's "required" mark. Where an action lists several
	// required types they are alternatives (DynamoDB PutResourcePolicy: a
	// table or a stream), so ResourceARNs asks for at least one.
	Required      bool
	ConditionKeys []string

	tmpl *arnTemplate
}

// Errors returned (wrapped) by Load and Identify.
var (
	// ErrUnknownService: no service in the catalogue has the signing name.
	ErrUnknownService = errors.New("no such service")
	// ErrNoSuchOperation: the request matches no operation of the service.
	ErrNoSuchOperation = errors.New("no such operation")
)

var (
	loadOnce sync.Once
	loaded   *Catalog
	loadErr  error
)

// Load returns the embedded catalogue, parsed on the first call.
func Load() (*Catalog, error) {
	loadOnce.Do(func() { loaded, loadErr = parse(embedded) })
	return loaded, loadErr
}

// Services returns every service, sorted by ID. The slice is shared: don't
// modify it.
func (c *Catalog) Services() []*Service { return c.services }

// Service returns the service with botocore's name id, or nil.
func (c *Catalog) Service(id string) *Service { return c.byID[id] }

// BySigningName returns the services signed as name (several services may
// share one: rds, docdb and neptune; s3 and s3control), sorted by ID.
func (c *Catalog) BySigningName(name string) []*Service { return c.bySigning[name] }

// Operation returns the service's operation called name, or nil.
func (s *Service) Operation(name string) *Operation { return s.byName[name] }

// Actions returns every IAM action the operation may be authorized as,
// including those that apply only when a parameter is present or absent
// (see ActionsFor). It is empty when the operation maps to nothing: the
// gateway must refuse it. The slice is shared: don't modify it.
func (o *Operation) Actions() []Action { return o.actions }

// ActionsFor returns the actions that apply to a request with these
// parameters: those whose If parameter is present and whose Unless
// parameter is absent (S3 GetObject with a versionId is s3:GetObjectVersion;
// DynamoDB TransactWriteItems is dynamodb:PutItem only if it puts). An empty
// result means the request can't be authorized (refuse it). The slice is
// shared and allocation-free: don't modify it.
func (o *Operation) ActionsFor(p Params) []Action {
	if len(o.conds) == 0 {
		return o.actions
	}
	mask := 0
	for i, c := range o.conds {
		if p.Has(c) {
			mask |= 1 << i
		}
	}
	return o.variants[mask]
}

// Member returns the input member called name, or nil.
func (o *Operation) Member(name string) *Member {
	i := sort.Search(len(o.Input), func(i int) bool { return o.Input[i].Name >= name })
	if i < len(o.Input) && o.Input[i].Name == name {
		return &o.Input[i]
	}
	return nil
}

// Protocol bits of Service.accepts.
const (
	acceptJSON uint8 = 1 << iota
	acceptREST
	acceptQuery
	acceptCBOR
)

func parse(gz []byte) (*Catalog, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("catalog: reading the embedded table: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("catalog: reading the embedded table: %w", err)
	}
	var f wire.File
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("catalog: decoding the embedded table: %w", err)
	}
	if f.Version != wire.Version {
		return nil, fmt.Errorf("catalog: the embedded table has schema version %d, want %d (regenerate it)", f.Version, wire.Version)
	}
	type iamKey struct{ prefix, name string }
	iamActions := map[iamKey]*wire.IAMAction{}
	iamRes := map[iamKey]*arnTemplate{}
	iamResARN := map[iamKey]string{}
	for i := range f.IAM {
		s := &f.IAM[i]
		for j := range s.Actions {
			iamActions[iamKey{s.Prefix, s.Actions[j].Name}] = &s.Actions[j]
		}
		for _, r := range s.Resources {
			t, err := parseARNTemplate(r.ARN)
			if err != nil {
				return nil, fmt.Errorf("catalog: %s resource %s: %w", s.Prefix, r.Name, err)
			}
			k := iamKey{s.Prefix, strings.ToLower(r.Name)}
			iamRes[k] = t
			iamResARN[k] = r.ARN
		}
	}
	c := &Catalog{Sources: f.Sources, byID: map[string]*Service{}, bySigning: map[string][]*Service{}}
	for _, ws := range f.Services {
		s := &Service{
			ID: ws.ID, ServiceID: ws.ServiceID, SigningName: ws.SigningName, EndpointPrefix: ws.EndpointPrefix,
			AlsoSignedAs: ws.AlsoSignedAs, Protocol: ws.Protocol, Protocols: ws.Protocols, JSONVersion: ws.JSONVersion, TargetPrefix: ws.TargetPrefix,
			APIVersion: ws.APIVersion, IAMPrefix: ws.IAMPrefix,
			byName: make(map[string]*Operation, len(ws.Operations)), rest: map[string][]*Operation{},
		}
		if len(s.Protocols) == 0 {
			s.Protocols = []string{s.Protocol}
		}
		for _, p := range s.Protocols {
			switch p {
			case "json":
				s.accepts |= acceptJSON
			case "rest-json", "rest-xml":
				s.accepts |= acceptREST
			case "query", "ec2":
				s.accepts |= acceptQuery
			case "smithy-rpc-v2-cbor":
				s.accepts |= acceptCBOR
			}
		}
		for _, wo := range ws.Operations {
			o := &Operation{Service: s, Name: wo.Name, Method: wo.Method, RequestURI: wo.URI, Payload: wo.Payload, Deprecated: wo.Deprecated, wire: map[string]*Member{}}
			o.Input = make([]Member, len(wo.Input))
			for i, m := range wo.Input {
				loc := m.Location
				if loc == "" {
					loc = "body"
				}
				ln := m.LocName
				if ln == "" {
					ln = m.Name
				}
				o.Input[i] = Member{Name: m.Name, Location: loc, LocationName: ln, Type: m.Type, Elem: m.Elem, Required: m.Required}
			}
			for i := range o.Input {
				m := &o.Input[i]
				switch m.Location {
				case "body":
					o.wire[m.LocationName] = m
				case "querystring":
					o.query = append(o.query, m)
				case "header":
					m.canonHeader = textproto.CanonicalMIMEHeaderKey(m.LocationName)
					o.headers = append(o.headers, m)
					if o.headerByName == nil {
						o.headerByName = map[string]*Member{}
					}
					o.headerByName[m.canonHeader] = m
				}
				switch strings.ToLower(m.Name) {
				case "registryid", "accountid", "queueownerawsaccountid":
					if m.Type == "string" {
						o.account = m.Name
					}
				}
			}
			if s.accepts&acceptREST != 0 && wo.URI != "" {
				t, err := parseURITemplate(wo.URI, o)
				if err != nil {
					return nil, fmt.Errorf("catalog: %s %s: %w", s.ID, o.Name, err)
				}
				o.tmpl = t
				s.rest[o.Method] = append(s.rest[o.Method], o)
			}
			for _, ref := range wo.Actions {
				prefix, name, _ := strings.Cut(ref.Action, ":")
				ia := iamActions[iamKey{prefix, name}]
				if ia == nil {
					return nil, fmt.Errorf("catalog: %s %s: action %s missing from the table", s.ID, o.Name, ref.Action)
				}
				a := Action{Name: ref.Action, ConditionKeys: ia.ConditionKeys, If: ref.If, Unless: ref.Unless, op: o}
				keys := map[string]bool{}
				for _, k := range ia.ConditionKeys {
					keys[k] = true
				}
				for _, r := range ia.Resources {
					for _, k := range r.ConditionKeys {
						keys[k] = true
					}
					if len(ref.Res) > 0 && !containsFold(ref.Res, r.Name) {
						continue
					}
					k := iamKey{prefix, strings.ToLower(r.Name)}
					t := iamRes[k]
					if t == nil {
						return nil, fmt.Errorf("catalog: %s: resource type %s missing from the table", ref.Action, r.Name)
					}
					a.Resources = append(a.Resources, ResourceType{Name: r.Name, ARN: iamResARN[k], Required: r.Required, ConditionKeys: r.ConditionKeys, tmpl: t})
				}
				if len(keys) > len(ia.ConditionKeys) {
					a.ConditionKeys = make([]string, 0, len(keys))
					for k := range keys {
						a.ConditionKeys = append(a.ConditionKeys, k)
					}
					sort.Strings(a.ConditionKeys)
				}
				vars := make([]string, 0, len(ref.Bind))
				for v := range ref.Bind {
					vars = append(vars, v)
				}
				sort.Strings(vars)
				for _, v := range vars {
					param, transform, _ := strings.Cut(ref.Bind[v], "|")
					a.bind = append(a.bind, binding{variable: v, param: param, transform: transform})
					o.noteDeep(param)
				}
				o.noteDeep(a.If)
				o.noteDeep(a.Unless)
				for _, cnd := range []string{a.If, a.Unless} {
					if cnd != "" && !contains(o.conds, cnd) {
						o.conds = append(o.conds, cnd)
					}
				}
				o.actions = append(o.actions, a)
			}
			if len(o.conds) > 8 {
				return nil, fmt.Errorf("catalog: %s %s: too many conditional actions", s.ID, o.Name)
			}
			if len(o.conds) > 0 {
				o.variants = make([][]Action, 1<<len(o.conds))
				for mask := range o.variants {
					for _, a := range o.actions {
						if a.If != "" && mask&(1<<indexOf(o.conds, a.If)) == 0 {
							continue
						}
						if a.Unless != "" && mask&(1<<indexOf(o.conds, a.Unless)) != 0 {
							continue
						}
						o.variants[mask] = append(o.variants[mask], a)
					}
				}
			}
			s.Operations = append(s.Operations, o)
			s.byName[o.Name] = o
		}
		c.services = append(c.services, s)
		c.byID[s.ID] = s
		c.bySigning[s.SigningName] = append(c.bySigning[s.SigningName], s)
		for _, n := range s.AlsoSignedAs {
			c.bySigning[n] = append(c.bySigning[n], s)
		}
	}
	return c, nil
}

// noteDeep records a list-of-structures member that a derived parameter
// M[].K.F refers to, so that Identify flattens it.
func (o *Operation) noteDeep(param string) {
	if m, _, ok := strings.Cut(param, "[]."); ok {
		if !contains(o.deep, m) {
			o.deep = append(o.deep, m)
		}
		return
	}
	if m, _, ok := strings.Cut(param, "."); ok {
		if mem := o.Member(m); mem != nil && mem.Type == "structure" && !contains(o.deepS, m) {
			o.deepS = append(o.deepS, m)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
