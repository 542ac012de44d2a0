package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/assumed-dev/assumed/internal/catalog"
	"github.com/assumed-dev/assumed/policy"
)

// The service condition keys AWS sets from a request (the Service
// Authorization Reference's keys of S3, DynamoDB, ECR, SQS, SNS, KMS,
// Secrets Manager and Lambda that the request alone decides).
//
// A key is set only when the request carries what it is made of: an absent
// key keeps AWS's missing-key semantics. Keys that need the backend's state
// (aws:ResourceTag/…, s3:ExistingObjectTag/…, kms:KeySpec of an existing
// key, secretsmanager:SecretPrimaryRegion, …) are not set here.
//
// Only the operations that have such keys look at the body, and they read
// it once, with a strict scanner that allocates nothing but the values it
// keeps. It is hand-written on purpose: encoding/json's decoder (Token and
// RawMessage, which keeps members in order and repeated names) made the
// gateway's whole decision for a DynamoDB GetItem 2.9× slower (2.4 →
// 7.0 µs, 21 → 82 allocations), past issue 11's 5 µs budget. A test holds
// it to accepting exactly what encoding/json accepts.
//
// Fail closed. A body whose members this file must read and can't (not
// JSON, a value of the wrong kind) leaves the keys those members make
// absent, and requestKeys reports it. The catalogue has already refused a
// body whose top level is not a JSON object, so what reaches here is a
// body whose inner values are malformed, one that AWS (and moto) refuse
// with a SerializationException before acting on it. No value of a key
// makes every Deny on it apply (absent defeats a Deny with StringEquals or
// ForAnyValue; present defeats one with Null: true), so only refusing the
// request is safe in every case: requestKeys's error is for the caller
// to refuse with.
//
// dynamodb:LeadingKeys holds the partition key's values. Which attribute
// of a Key or an Item that is, the table's key schema says (schema.go
// learns it from the backend). When the schema is not known (the backend
// can't describe the table, a Query of an index, a request not naming the
// partition key), LeadingKeys holds every S, N and B value of the Key or
// Item (every placeholder value of a Query's key condition). For a Key of
// one attribute that is exactly AWS's value. With more, it is a superset of
// AWS's, so an Allow with ForAllValues (the documented form) or a plain
// negated operator never allows more than AWS would, and a Deny with
// ForAnyValue or a plain operator applies whenever AWS's would; the cost is
// that such an Allow may refuse an item whose other values differ from the
// partition key's. Leaving the key absent instead would make every
// ForAllValues Allow true.

// serviceKeys adds the condition keys of the request's service that AWS
// sets from the request: the body of a JSON or Query request (body; nil
// for S3, whose body streams), its parameters and headers.
//
// It returns an error when a member that makes condition keys can't be
// read: no state of those keys is safe (absent, they make ForAllValues
// Allows true and StringEquals Denies false), so the request is refused.
func serviceKeys(ctx *policy.Context, svc *catalog.Service, op *catalog.Operation, params catalog.Params, r *http.Request, body []byte, partitionKey string) error {
	return requestKeys(ctx, svc, op, params, r, body, partitionKey)
}

// errMalformed is requestKeys's error: a member that makes condition keys
// could not be read.
var errMalformed = errors.New("a member that makes condition keys is malformed")

// requestKeys is serviceKeys, with an error when a member of the body that
// makes condition keys can't be read (the keys it makes are then absent,
// and the request should be refused).
func requestKeys(ctx *policy.Context, svc *catalog.Service, op *catalog.Operation, params catalog.Params, r *http.Request, body []byte, partitionKey string) error {
	switch svc.IAMPrefix {
	case "dynamodb":
		return dynamodbKeys(ctx, op.Name, params, body, partitionKey)
	case "kms":
		return kmsKeys(ctx, op.Name, params, body)
	case "secretsmanager":
		return secretsKeys(ctx, op.Name, params, body)
	case "lambda":
		return lambdaKeys(ctx, op.Name, params, body)
	case "sqs":
		switch op.Name {
		case "CreateQueue":
			return tagKeys(ctx, body, "tags", "Tag", listNone)
		case "TagQueue":
			return tagKeys(ctx, body, "Tags", "Tag", listNone)
		case "UntagQueue":
			untagKeys(ctx, params, "TagKeys")
		}
	case "sns":
		switch op.Name {
		case "CreateTopic", "TagResource":
			return tagKeys(ctx, body, "Tags", "Tags", listKeyValue)
		case "UntagResource":
			untagKeys(ctx, params, "TagKeys")
		case "Subscribe":
			setParams(ctx, params, "Protocol", "sns:Protocol", "Endpoint", "sns:Endpoint")
		}
	case "ecr":
		switch op.Name {
		case "CreateRepository", "TagResource":
			return tagKeys(ctx, body, "tags", "", listKeyValue)
		case "UntagResource":
			untagKeys(ctx, params, "tagKeys")
		case "GetAccountSetting", "PutAccountSetting":
			setParams(ctx, params, "name", "ecr:AccountSetting")
		}
	case "s3":
		switch op.Name {
		case "PutObject", "CreateMultipartUpload", "CopyObject":
			if v, ok := r.Header["X-Amz-Tagging"]; ok && len(v) > 0 {
				return objectTagKeys(ctx, v[0])
			}
		}
	}
	return nil
}

// setParams sets, for each pair of a parameter's name and a key's, the key
// to the parameter's value when the request carries it.
func setParams(ctx *policy.Context, params catalog.Params, pairs ...string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if v, ok := params.Get(pairs[i]); ok {
			ctx.Set(pairs[i+1], v)
		}
	}
}

// setListParam sets the multivalued key to the values of a list parameter
// when the request carries it.
func setListParam(ctx *policy.Context, params catalog.Params, name, key string) {
	if vs := params.All(name); len(vs) > 0 {
		ctx.SetMulti(key, vs...)
	}
}

// untagKeys sets aws:TagKeys from an untag call's list of keys.
func untagKeys(ctx *policy.Context, params catalog.Params, name string) {
	setListParam(ctx, params, name, "aws:TagKeys")
}

// setTags sets aws:RequestTag/… and aws:TagKeys from a request's tags.
func setTags(ctx *policy.Context, keys, values []string) {
	for i, k := range keys {
		ctx.Set("aws:RequestTag/"+k, values[i])
	}
	ctx.SetMulti("aws:TagKeys", keys...)
}

// The forms a list of tags takes in a Query form.
const (
	listNone     = iota // Prefix.N.Key (SQS)
	listKeyValue        // Prefix.member.N.Key (SNS)
)

// tagKeys sets the tag keys from the member name of a JSON body: a map of
// tags, or a list of {Key, Value} (ECR: {Key, Value} too; KMS's
// {TagKey, TagValue} is kmsTags). A Query form (SNS; SQS's older
// protocol) names them formPrefix.[member.]N.Key and .Value.
func tagKeys(ctx *policy.Context, body []byte, name, formPrefix string, form int) error {
	if !isJSON(body) {
		if formPrefix == "" {
			return nil
		}
		return formTags(ctx, body, formPrefix, form)
	}
	var raw [1][]byte
	if err := pick(body, raw[:], name); err != nil {
		return err
	}
	return jsonTags(ctx, raw[0], "Key", "Value")
}

// jsonTags sets the tag keys from raw, a JSON map of tags or a list of
// objects with the fields k and v; nothing when raw is empty.
func jsonTags(ctx *policy.Context, raw []byte, k, v string) error {
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	var keys, values []string
	switch raw[0] {
	case '{':
		err := eachMember(raw, func(name, val []byte) error {
			s, ok := jsonString(val)
			if !ok {
				return errMalformed
			}
			keys, values = append(keys, string(name)), append(values, s)
			return nil
		})
		if err != nil {
			return err
		}
	case '[':
		err := eachElem(raw, func(elem []byte) error {
			var f [2][]byte
			if err := pick(elem, f[:], k, v); err != nil {
				return err
			}
			key, ok1 := jsonString(f[0])
			val, ok2 := jsonString(f[1])
			if !ok1 || (!ok2 && len(f[1]) > 0) {
				return errMalformed
			}
			keys, values = append(keys, key), append(values, val)
			return nil
		})
		if err != nil {
			return err
		}
	default:
		return errMalformed
	}
	setTags(ctx, keys, values)
	return nil
}

// formTags sets the tag keys from a Query form's prefix.N.Key and
// prefix.N.Value (prefix.member.N.… for listKeyValue).
func formTags(ctx *policy.Context, body []byte, prefix string, form int) error {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return errMalformed
	}
	lead := prefix + "."
	if form == listKeyValue {
		lead += "member."
	}
	type tag struct{ k, v string }
	byIndex := map[string]*tag{}
	var order []string
	for name, vs := range vals {
		rest, ok := strings.CutPrefix(name, lead)
		if !ok || len(vs) == 0 {
			continue
		}
		n, field, ok := strings.Cut(rest, ".")
		if !ok || !isDigits(n) {
			continue
		}
		t := byIndex[n]
		if t == nil {
			t = &tag{}
			byIndex[n] = t
			order = append(order, n)
		}
		switch field {
		case "Key":
			t.k = vs[0]
		case "Value":
			t.v = vs[0]
		}
	}
	if len(order) == 0 {
		return nil
	}
	sortNumeric(order)
	keys, values := make([]string, 0, len(order)), make([]string, 0, len(order))
	for _, n := range order {
		keys, values = append(keys, byIndex[n].k), append(values, byIndex[n].v)
	}
	setTags(ctx, keys, values)
	return nil
}

// objectTagKeys sets s3:RequestObjectTag/… and s3:RequestObjectTagKeys
// from an x-amz-tagging header (k=v&k2=v2, URL-encoded).
func objectTagKeys(ctx *policy.Context, header string) error {
	if header == "" {
		return nil
	}
	var keys []string
	for kv := range strings.SplitSeq(header, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		uk, err1 := url.QueryUnescape(k)
		uv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return errMalformed
		}
		ctx.Set("s3:RequestObjectTag/"+uk, uv)
		keys = append(keys, uk)
	}
	ctx.SetMulti("s3:RequestObjectTagKeys", keys...)
	return nil
}

// dynamodbKeys sets DynamoDB's keys: dynamodb:Attributes, Select,
// ReturnValues, ReturnConsumedCapacity and LeadingKeys on the item
// operations, and the tag keys on CreateTable, TagResource and
// UntagResource.
//
// partitionKey is the table's partition key name, "" when not known: then
// LeadingKeys holds every key value (see the file's comment).
func dynamodbKeys(ctx *policy.Context, op string, params catalog.Params, body []byte, partitionKey string) error {
	switch op {
	case "CreateTable", "TagResource":
		var raw [1][]byte
		if err := pick(body, raw[:], "Tags"); err != nil {
			return err
		}
		return jsonTags(ctx, raw[0], "Key", "Value")
	case "UntagResource":
		untagKeys(ctx, params, "TagKeys")
		return nil
	case "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan":
	default:
		return nil
	}
	// The item operations are the gateway's hot path: their parameters
	// are read in one pass, and their keys set in lower case, which the
	// context stores without converting (keys are case-insensitive).
	var (
		projection, update, keyCond, sel            string
		hasProjection, hasKeyCond, hasSel, hasIndex bool
		toGet, other                                []string
		nbuf                                        [8]string
	)
	names := nbuf[:0] // Key's names
	for i := range params {
		p := &params[i]
		switch p.Name {
		case "ReturnConsumedCapacity":
			ctx.Set("dynamodb:returnconsumedcapacity", p.Value)
		case "ReturnValues":
			ctx.Set("dynamodb:returnvalues", p.Value)
		case "ProjectionExpression":
			projection, hasProjection = p.Value, true
		case "UpdateExpression":
			update = p.Value
		case "KeyConditionExpression":
			keyCond, hasKeyCond = p.Value, true
		case "Select":
			sel, hasSel = p.Value, true
		case "IndexName":
			hasIndex = true
		case "AttributesToGet":
			toGet = append(toGet, p.Value)
		case "Key":
			names = append(names, p.Value)
		case "Item", "AttributeUpdates":
			other = append(other, p.Value)
		}
	}

	// dynamodb:Select: Query's and Scan's parameter, else what DynamoDB
	// does by default: SPECIFIC_ATTRIBUTES with a projection, else
	// ALL_ATTRIBUTES (ALL_PROJECTED_ATTRIBUTES on an index). GetItem has
	// no Select parameter, and the SAR gives it the key: its projection
	// decides. Without it, the documented policy (ForAllValues on
	// dynamodb:Attributes and StringEqualsIfExists on Select) would let a
	// read with no projection return every attribute.
	projected := hasProjection || len(toGet) > 0
	if op == "GetItem" || op == "Query" || op == "Scan" {
		switch {
		case hasSel:
		case projected:
			sel = "SPECIFIC_ATTRIBUTES"
		case hasIndex:
			sel = "ALL_PROJECTED_ATTRIBUTES"
		default:
			sel = "ALL_ATTRIBUTES"
		}
		ctx.Set("dynamodb:select", sel)
	}

	// The members read from the body.
	var raw [5][]byte
	if err := pick(body, raw[:], "Key", "Item", "ExpressionAttributeNames", "ExpressionAttributeValues", "KeyConditions"); err != nil {
		return err
	}

	// dynamodb:Attributes: the attribute names the request reads or
	// writes (the top-level name of each path), key attributes included.
	// A read without a projection names none (Select says it reads
	// them all).
	var attrs []string
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem":
		attrs = append(append(append(attrs, toGet...), names...), other...)
	case "GetItem", "Query", "Scan":
		if projected {
			attrs = append(append(attrs, toGet...), names...)
		}
	}
	var err error
	if hasProjection {
		if attrs, err = expressionNames(attrs, projection, raw[mNames]); err != nil {
			return err
		}
	}
	if update != "" {
		if attrs, err = expressionNames(attrs, update, raw[mNames]); err != nil {
			return err
		}
	}
	if len(attrs) > 0 {
		ctx.SetMulti("dynamodb:attributes", dedupe(attrs)...)
	}

	// dynamodb:LeadingKeys: the partition key's values when the table's
	// key schema is known, else every key value (see the file's comment).
	var lbuf [4]string
	leading := lbuf[:0]
	if partitionKey != "" {
		if leading, err = partitionValues(leading, op, partitionKey, keyCond, hasKeyCond, &raw); err != nil {
			return err
		}
	}
	if partitionKey == "" || len(leading) == 0 {
		if leading, err = allKeyValues(leading[:0], op, keyCond, hasKeyCond, &raw); err != nil {
			return err
		}
	}
	if len(leading) > 0 {
		ctx.SetMulti("dynamodb:leadingkeys", dedupe(leading)...)
	}
	return nil
}

// The members of an item request's body that dynamodbKeys reads, by
// index in its raw array.
const (
	mKey = iota
	mItem
	mNames
	mValues
	mKeyConditions
)

// partitionValues appends the values of the partition key pk that an item
// request names: in its Key (GetItem, UpdateItem, DeleteItem), its Item
// (PutItem), or its key condition (Query: the value pk is compared with,
// in KeyConditionExpression or KeyConditions). It appends nothing when the
// request doesn't name one (a request AWS refuses).
func partitionValues(out []string, op, pk, keyCond string, hasKeyCond bool, raw *[5][]byte) ([]string, error) {
	member := func(obj []byte) ([]byte, error) {
		if len(obj) == 0 || isNull(obj) {
			return nil, nil
		}
		var v [1][]byte
		err := pick(obj, v[:], pk)
		return v[0], err
	}
	switch op {
	case "GetItem", "UpdateItem", "DeleteItem", "PutItem":
		src := raw[mKey]
		if op == "PutItem" {
			src = raw[mItem]
		}
		av, err := member(src)
		if err != nil || av == nil {
			return out, err
		}
		return scalarValue(out, av)
	case "Query":
		if hasKeyCond {
			ph, ok := partitionPlaceholder(keyCond, pk, raw[mNames])
			if !ok || len(raw[mValues]) == 0 || isNull(raw[mValues]) {
				return out, nil
			}
			av, err := memberNamed(raw[mValues], ph)
			if err != nil || av == nil {
				return out, err
			}
			return scalarValue(out, av)
		}
		cond, err := member(raw[mKeyConditions])
		if err != nil || cond == nil {
			return out, err
		}
		var f [1][]byte
		if err := pick(cond, f[:], "AttributeValueList"); err != nil || len(f[0]) == 0 || isNull(f[0]) {
			return out, err
		}
		err = eachElem(f[0], func(av []byte) error {
			var err error
			out, err = scalarValue(out, av)
			return err
		})
		return out, err
	}
	return out, nil
}

// memberNamed returns the raw value of the member name of the JSON object
// obj, nil when absent.
func memberNamed(obj []byte, name string) ([]byte, error) {
	var v [1][]byte
	err := pick(obj, v[:], name)
	return v[0], err
}

// partitionPlaceholder finds, in a Query's KeyConditionExpression, the
// :placeholder that the partition key pk is compared with for equality
// ("pk = :v" or ":v = pk", pk also written as a #name that names, the
// ExpressionAttributeNames member, resolves to it).
func partitionPlaceholder(expr, pk string, names []byte) (string, bool) {
	toks := conditionTokens(expr)
	isPK := func(tok string) bool {
		if tok == pk {
			return true
		}
		if strings.HasPrefix(tok, "#") && len(names) > 0 && !isNull(names) {
			if v, err := memberNamed(names, tok); err == nil && v != nil {
				s, ok := jsonString(v)
				return ok && s == pk
			}
		}
		return false
	}
	for i := 1; i+1 < len(toks); i++ {
		if toks[i] != "=" {
			continue
		}
		l, r := toks[i-1], toks[i+1]
		switch {
		case isPK(l) && strings.HasPrefix(r, ":"):
			return r, true
		case isPK(r) && strings.HasPrefix(l, ":"):
			return l, true
		}
	}
	return "", false
}

// conditionTokens splits a condition expression into names, #names,
// :placeholders and operators, dropping spaces and parentheses.
func conditionTokens(expr string) []string {
	var toks []string
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' || c == ',':
			i++
		case c == '#' || c == ':' || isNameByte(c):
			j := i + 1
			for j < len(expr) && isNameByte(expr[j]) {
				j++
			}
			toks = append(toks, expr[i:j])
			i = j
		default:
			j := i + 1
			for j < len(expr) && strings.IndexByte("<>=!", expr[j]) >= 0 {
				j++
			}
			toks = append(toks, expr[i:j])
			i = j
		}
	}
	return toks
}

// allKeyValues appends every key value an item request names: each S, N
// and B value of its Key or Item, each placeholder value of a Query's key
// condition.
func allKeyValues(leading []string, op, keyCond string, hasKeyCond bool, raw *[5][]byte) ([]string, error) {
	var err error
	switch op {
	case "GetItem", "UpdateItem", "DeleteItem":
		if leading, err = attributeValues(leading, raw[mKey]); err != nil {
			return leading, err
		}
	case "PutItem":
		if leading, err = attributeValues(leading, raw[mItem]); err != nil {
			return leading, err
		}
	case "Query":
		if hasKeyCond {
			if leading, err = placeholderValues(leading, keyCond, raw[mValues]); err != nil {
				return leading, err
			}
		}
		if len(raw[mKeyConditions]) > 0 && !isNull(raw[mKeyConditions]) {
			err := eachMember(raw[mKeyConditions], func(_, cond []byte) error {
				var f [1][]byte
				if err := pick(cond, f[:], "AttributeValueList"); err != nil {
					return err
				}
				if len(f[0]) == 0 || isNull(f[0]) {
					return nil
				}
				return eachElem(f[0], func(av []byte) error {
					var err error
					leading, err = scalarValue(leading, av)
					return err
				})
			})
			if err != nil {
				return leading, err
			}
		}
	}
	return leading, nil
}

// expressionNames appends the top-level attribute names an expression
// names (ProjectionExpression, UpdateExpression), its #placeholders
// resolved with names (the ExpressionAttributeNames member, raw). A
// placeholder names doesn't resolve is kept as written: a request that
// AWS refuses, whose name no policy allows.
func expressionNames(out []string, expr string, names []byte) ([]string, error) {
	prevDot := false // the last token was '.': the next name is nested
	depth := 0       // inside [ ]
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '#' || isNameStart(c):
			j := i + 1
			for j < len(expr) && isNameByte(expr[j]) {
				j++
			}
			tok := expr[i:j]
			k := j
			for k < len(expr) && expr[k] == ' ' {
				k++
			}
			function := k < len(expr) && expr[k] == '('
			if !prevDot && depth == 0 && !function && !isUpdateClause(tok) {
				if tok[0] == '#' {
					name, err := resolveName(tok, names)
					if err != nil {
						return out, err
					}
					tok = name
				}
				out = append(out, tok)
			}
			prevDot = false
			i = j
		case c == ':': // a value placeholder
			j := i + 1
			for j < len(expr) && isNameByte(expr[j]) {
				j++
			}
			prevDot = false
			i = j
		case c == '.':
			prevDot = true
			i++
		case c == '[':
			depth++
			i++
		case c == ']':
			if depth > 0 {
				depth--
			}
			i++
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		default:
			prevDot = false
			i++
		}
	}
	return out, nil
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isNameByte(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '-'
}

// isUpdateClause reports whether tok is a keyword of an expression
// (UpdateExpression's clauses, and the operators of condition syntax).
func isUpdateClause(tok string) bool {
	switch strings.ToUpper(tok) {
	case "SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "BETWEEN", "IN":
		return true
	}
	return false
}

// resolveName returns the attribute name the placeholder tok stands for
// in names (a JSON map), or tok itself when names doesn't have it.
func resolveName(tok string, names []byte) (string, error) {
	if len(names) == 0 || isNull(names) {
		return tok, nil
	}
	name := tok
	err := eachMember(names, func(k, v []byte) error {
		if string(k) != tok {
			return nil
		}
		s, ok := jsonString(v)
		if !ok {
			return errMalformed
		}
		name = s
		return nil
	})
	return name, err
}

// attributeValues appends the S, N and B values of an attribute map (a
// Key or an Item), raw; nothing when raw is empty.
func attributeValues(out []string, raw []byte) ([]string, error) {
	if len(raw) == 0 || isNull(raw) {
		return out, nil
	}
	err := eachMember(raw, func(_, av []byte) error {
		var err error
		out, err = scalarValue(out, av)
		return err
	})
	return out, err
}

// scalarValue appends the value of an AttributeValue when it is an S, N
// or B (what a key can be).
func scalarValue(out []string, av []byte) ([]string, error) {
	err := eachMember(av, func(typ, v []byte) error {
		if len(typ) != 1 || (typ[0] != 'S' && typ[0] != 'N' && typ[0] != 'B') {
			return nil
		}
		s, ok := jsonString(v)
		if !ok {
			return errMalformed
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// placeholderValues appends the S, N and B values the :placeholders of
// expr stand for in values (ExpressionAttributeValues, raw).
func placeholderValues(out []string, expr string, values []byte) ([]string, error) {
	if len(values) == 0 || isNull(values) {
		return out, nil
	}
	for i := 0; i < len(expr); i++ {
		if expr[i] != ':' {
			continue
		}
		j := i + 1
		for j < len(expr) && isNameByte(expr[j]) {
			j++
		}
		tok := expr[i:j]
		err := eachMember(values, func(k, av []byte) error {
			if string(k) != tok {
				return nil
			}
			var err error
			out, err = scalarValue(out, av)
			return err
		})
		if err != nil {
			return out, err
		}
		i = j - 1
	}
	return out, nil
}

// kmsEncryptionOps are the KMS operations with kms:EncryptionContext:….
var kmsEncryptionOps = map[string]bool{
	"Encrypt": true, "Decrypt": true, "GenerateDataKey": true, "GenerateDataKeyWithoutPlaintext": true,
	"GenerateDataKeyPair": true, "GenerateDataKeyPairWithoutPlaintext": true,
}

// kmsAliasOps are the KMS operations with kms:RequestAlias.
var kmsAliasOps = map[string]bool{
	"Encrypt": true, "Decrypt": true, "GenerateDataKey": true, "GenerateDataKeyWithoutPlaintext": true,
	"GenerateDataKeyPair": true, "GenerateDataKeyPairWithoutPlaintext": true, "DescribeKey": true,
	"GetPublicKey": true, "Sign": true, "Verify": true, "GenerateMac": true, "VerifyMac": true,
	"DeriveSharedSecret": true,
}

// kmsKeys sets KMS's keys the request decides. kms:CallerAccount needs the
// caller, which authorization adds; kms:ViaService is absent (a direct
// call).
func kmsKeys(ctx *policy.Context, op string, params catalog.Params, body []byte) error {
	if kmsAliasOps[op] {
		if id, ok := params.Get("KeyId"); ok {
			if i := strings.Index(id, "alias/"); i >= 0 && (i == 0 || strings.HasPrefix(id, "arn:")) {
				ctx.Set("kms:RequestAlias", id[i:])
			}
		}
	}
	switch op {
	case "Encrypt", "Decrypt":
		setParams(ctx, params, "EncryptionAlgorithm", "kms:EncryptionAlgorithm")
	case "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext":
		setParams(ctx, params, "KeyPairSpec", "kms:DataKeyPairSpec")
	case "Sign", "Verify":
		setParams(ctx, params, "SigningAlgorithm", "kms:SigningAlgorithm", "MessageType", "kms:MessageType")
	case "GenerateMac", "VerifyMac":
		setParams(ctx, params, "MacAlgorithm", "kms:MacAlgorithm")
	case "DeriveSharedSecret":
		setParams(ctx, params, "KeyAgreementAlgorithm", "kms:KeyAgreementAlgorithm")
	case "CreateKey":
		setParams(ctx, params, "KeySpec", "kms:KeySpec", "KeyUsage", "kms:KeyUsage", "Origin", "kms:KeyOrigin",
			"MultiRegion", "kms:MultiRegion", "CustomerMasterKeySpec", "kms:CustomerMasterKeySpec",
			"KeyUsage", "kms:CustomerMasterKeyUsage", "BypassPolicyLockoutSafetyCheck", "kms:BypassPolicyLockoutSafetyCheck")
		if _, ok := params.Get("KeySpec"); !ok {
			setParams(ctx, params, "CustomerMasterKeySpec", "kms:KeySpec")
		}
		if params.Has("MultiRegion") {
			if v, _ := params.Get("MultiRegion"); v == "true" {
				ctx.Set("kms:MultiRegionKeyType", "PRIMARY")
			}
		}
	case "PutKeyPolicy":
		setParams(ctx, params, "BypassPolicyLockoutSafetyCheck", "kms:BypassPolicyLockoutSafetyCheck")
	case "ScheduleKeyDeletion":
		setParams(ctx, params, "PendingWindowInDays", "kms:ScheduleKeyDeletionPendingWindowInDays")
	case "EnableKeyRotation":
		setParams(ctx, params, "RotationPeriodInDays", "kms:RotationPeriodInDays")
	case "ReplicateKey":
		setParams(ctx, params, "ReplicaRegion", "kms:ReplicaRegion")
	case "UpdatePrimaryRegion":
		setParams(ctx, params, "PrimaryRegion", "kms:PrimaryRegion")
	case "GetParametersForImport":
		setParams(ctx, params, "WrappingAlgorithm", "kms:WrappingAlgorithm", "WrappingKeySpec", "kms:WrappingKeySpec")
	case "ImportKeyMaterial":
		setParams(ctx, params, "ExpirationModel", "kms:ExpirationModel")
	case "CreateGrant":
		setParams(ctx, params, "GranteePrincipal", "kms:GranteePrincipal", "RetiringPrincipal", "kms:RetiringPrincipal")
		setListParam(ctx, params, "Operations", "kms:GrantOperations")
		// The grant's constraints: their type, and the encryption context
		// they name.
		var raw [1][]byte
		if err := pick(body, raw[:], "Constraints"); err != nil {
			return err
		}
		if len(raw[0]) == 0 || isNull(raw[0]) {
			return nil
		}
		var c [2][]byte
		if err := pick(raw[0], c[:], "EncryptionContextEquals", "EncryptionContextSubset"); err != nil {
			return err
		}
		for i, typ := range [...]string{"EncryptionContextEquals", "EncryptionContextSubset"} {
			if len(c[i]) > 0 && !isNull(c[i]) {
				ctx.Set("kms:GrantConstraintType", typ)
				return encryptionContext(ctx, c[i])
			}
		}
	case "TagResource":
		var raw [1][]byte
		if err := pick(body, raw[:], "Tags"); err != nil {
			return err
		}
		return jsonTags(ctx, raw[0], "TagKey", "TagValue")
	case "UntagResource":
		untagKeys(ctx, params, "TagKeys")
	}
	if op == "CreateKey" {
		var raw [1][]byte
		if err := pick(body, raw[:], "Tags"); err != nil {
			return err
		}
		return jsonTags(ctx, raw[0], "TagKey", "TagValue")
	}
	if kmsEncryptionOps[op] && params.Has("EncryptionContext") {
		var raw [1][]byte
		if err := pick(body, raw[:], "EncryptionContext"); err != nil {
			return err
		}
		return encryptionContext(ctx, raw[0])
	}
	return nil
}

// encryptionContext sets kms:EncryptionContext:… and
// kms:EncryptionContextKeys from an encryption context (a JSON map of
// strings), raw.
func encryptionContext(ctx *policy.Context, raw []byte) error {
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	var keys, values []string
	err := eachMember(raw, func(k, v []byte) error {
		s, ok := jsonString(v)
		if !ok {
			return errMalformed
		}
		keys, values = append(keys, string(k)), append(values, s)
		return nil
	})
	if err != nil {
		return err
	}
	for i, k := range keys {
		ctx.Set("kms:EncryptionContext:"+k, values[i])
	}
	ctx.SetMulti("kms:EncryptionContextKeys", keys...)
	return nil
}

// secretsKeys sets Secrets Manager's keys the request decides.
func secretsKeys(ctx *policy.Context, op string, params catalog.Params, body []byte) error {
	setParams(ctx, params, "SecretId", "secretsmanager:SecretId")
	switch op {
	case "CreateSecret", "UpdateSecret":
		setParams(ctx, params, "Description", "secretsmanager:Description", "KmsKeyId", "secretsmanager:KmsKeyId", "Type", "secretsmanager:Type")
		if id, ok := params.Get("KmsKeyId"); ok && strings.HasPrefix(id, "arn:") {
			ctx.Set("secretsmanager:KmsKeyArn", id)
		}
	}
	switch op {
	case "CreateSecret":
		setParams(ctx, params, "Name", "secretsmanager:Name")
	case "GetSecretValue":
		setParams(ctx, params, "VersionId", "secretsmanager:VersionId", "VersionStage", "secretsmanager:VersionStage")
	case "UpdateSecretVersionStage":
		setParams(ctx, params, "VersionStage", "secretsmanager:VersionStage")
	case "DeleteSecret":
		setParams(ctx, params, "ForceDeleteWithoutRecovery", "secretsmanager:ForceDeleteWithoutRecovery", "RecoveryWindowInDays", "secretsmanager:RecoveryWindowInDays")
	case "RotateSecret":
		setParams(ctx, params, "RotateImmediately", "secretsmanager:RotateImmediately", "RotationLambdaARN", "secretsmanager:RotationLambdaARN",
			"ExternalSecretRotationRoleArn", "secretsmanager:ExternalSecretRotationRoleArn")
		var raw [1][]byte
		if err := pick(body, raw[:], "RotationRules"); err != nil {
			return err
		}
		ctx.SetBool("secretsmanager:ModifyRotationRules", len(raw[0]) > 0 && !isNull(raw[0]))
	case "PutResourcePolicy":
		setParams(ctx, params, "BlockPublicPolicy", "secretsmanager:BlockPublicPolicy")
	case "UntagResource":
		untagKeys(ctx, params, "TagKeys")
	}
	switch op {
	case "CreateSecret", "ReplicateSecretToRegions":
		setParams(ctx, params, "ForceOverwriteReplicaSecret", "secretsmanager:ForceOverwriteReplicaSecret")
		var raw [2][]byte
		if err := pick(body, raw[:], "AddReplicaRegions", "Tags"); err != nil {
			return err
		}
		if len(raw[0]) > 0 && !isNull(raw[0]) {
			var regions []string
			err := eachElem(raw[0], func(elem []byte) error {
				var f [1][]byte
				if err := pick(elem, f[:], "Region"); err != nil {
					return err
				}
				s, ok := jsonString(f[0])
				if !ok {
					return errMalformed
				}
				regions = append(regions, s)
				return nil
			})
			if err != nil {
				return err
			}
			ctx.SetMulti("secretsmanager:AddReplicaRegions", regions...)
		}
		if op == "CreateSecret" {
			return jsonTags(ctx, raw[1], "Key", "Value")
		}
	case "TagResource":
		var raw [1][]byte
		if err := pick(body, raw[:], "Tags"); err != nil {
			return err
		}
		return jsonTags(ctx, raw[0], "Key", "Value")
	}
	return nil
}

// lambdaKeys sets Lambda's keys the request decides.
func lambdaKeys(ctx *policy.Context, op string, params catalog.Params, body []byte) error {
	switch op {
	case "AddPermission":
		setParams(ctx, params, "Principal", "lambda:Principal", "FunctionUrlAuthType", "lambda:FunctionUrlAuthType")
		return nil
	case "CreateFunctionUrlConfig", "UpdateFunctionUrlConfig":
		setParams(ctx, params, "AuthType", "lambda:FunctionUrlAuthType")
		return nil
	case "PutFunctionCodeSigningConfig":
		setParams(ctx, params, "CodeSigningConfigArn", "lambda:CodeSigningConfigArn")
		return nil
	case "UntagResource":
		untagKeys(ctx, params, "TagKeys")
		return nil
	case "CreateFunction", "UpdateFunctionConfiguration", "TagResource", "CreateEventSourceMapping", "CreateCodeSigningConfig":
	default:
		return nil
	}
	var raw [2][]byte
	if err := pick(body, raw[:], "Tags", "VpcConfig"); err != nil {
		return err
	}
	if op == "CreateFunction" || op == "UpdateFunctionConfiguration" {
		setListParam(ctx, params, "Layers", "lambda:Layer")
		if op == "CreateFunction" {
			setParams(ctx, params, "CodeSigningConfigArn", "lambda:CodeSigningConfigArn")
		}
		if len(raw[1]) > 0 && !isNull(raw[1]) {
			var f [2][]byte
			if err := pick(raw[1], f[:], "SecurityGroupIds", "SubnetIds"); err != nil {
				return err
			}
			for i, key := range [...]string{"lambda:SecurityGroupIds", "lambda:SubnetIds"} {
				if len(f[i]) == 0 || isNull(f[i]) {
					continue
				}
				ids, err := stringList(f[i])
				if err != nil {
					return err
				}
				ctx.SetMulti(key, ids...)
			}
		}
	}
	if op == "UpdateFunctionConfiguration" {
		return nil
	}
	return jsonTags(ctx, raw[0], "Key", "Value")
}

// stringList decodes a JSON list of strings.
func stringList(raw []byte) ([]string, error) {
	var out []string
	err := eachElem(raw, func(v []byte) error {
		s, ok := jsonString(v)
		if !ok {
			return errMalformed
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// dedupe removes repeated values, keeping the first of each (in place).
func dedupe(vs []string) []string {
	out := vs[:0]
	for i, v := range vs {
		seen := false
		for _, w := range vs[:i] {
			if w == v {
				seen = true
				break
			}
		}
		if !seen {
			out = append(out, v)
		}
	}
	return out
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// sortNumeric sorts strings of digits by their numeric value.
func sortNumeric(s []string) {
	less := func(a, b string) bool {
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// isJSON reports whether body looks like a JSON document (rather than a
// Query form).
func isJSON(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// The strict JSON scanner: what it accepts encoding/json accepts, with the
// same values.

// isNull reports whether raw is the JSON null.
func isNull(raw []byte) bool { return string(raw) == "null" }

// pick finds the members names of the JSON object body and stores each
// one's raw value in out (same index; nil when absent). It checks the
// whole object, so a malformed value anywhere is an error. An empty body
// has no members.
func pick(body []byte, out [][]byte, names ...string) error {
	if len(bytes.TrimLeft(body, " \t\r\n")) == 0 {
		return nil
	}
	return eachMember(body, func(k, v []byte) error {
		for i, n := range names {
			if string(k) == n {
				out[i] = v
			}
		}
		return nil
	})
}

// eachMember calls fn with the name and raw value of each member of the
// JSON object raw, which must be an object and nothing else.
func eachMember(raw []byte, fn func(name, value []byte) error) error {
	return eachItem(raw, '{', '}', func(s *scanner) error {
		name, err := s.name()
		if err != nil {
			return err
		}
		s.ws()
		if !s.eat(':') {
			return errMalformed
		}
		s.ws()
		start := s.i
		if err := s.value(0); err != nil {
			return err
		}
		return fn(name, s.b[start:s.i])
	})
}

// eachElem calls fn with the raw value of each element of the JSON array
// raw, which must be an array and nothing else.
func eachElem(raw []byte, fn func(value []byte) error) error {
	return eachItem(raw, '[', ']', func(s *scanner) error {
		start := s.i
		if err := s.value(0); err != nil {
			return err
		}
		return fn(s.b[start:s.i])
	})
}

// eachItem walks raw, which must be one JSON object or array (open and
// close its brackets) and nothing else: item reads each member or element
// from the scanner, the commas and brackets between them are checked here.
func eachItem(raw []byte, open, close byte, item func(s *scanner) error) error {
	s := &scanner{b: raw}
	s.ws()
	if !s.eat(open) {
		return errMalformed
	}
	s.ws()
	if !s.eat(close) {
		for {
			s.ws()
			if err := item(s); err != nil {
				return err
			}
			s.ws()
			if s.eat(',') {
				continue
			}
			if s.eat(close) {
				break
			}
			return errMalformed
		}
	}
	s.ws()
	if s.i != len(s.b) {
		return errMalformed
	}
	return nil
}

// jsonString decodes raw when it is a JSON string.
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		return string(inner), true
	}
	var v string
	if json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	return v, true
}

// scanner validates JSON values in b from i.
type scanner struct {
	b []byte
	i int
}

// maxDepth bounds the nesting the scanner follows.
const maxDepth = 64

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// name scans a member's name and returns it, unescaped.
func (s *scanner) name() ([]byte, error) {
	start := s.i
	esc, err := s.str()
	if err != nil {
		return nil, err
	}
	if !esc {
		return s.b[start+1 : s.i-1], nil
	}
	v, ok := jsonString(s.b[start:s.i])
	if !ok {
		return nil, errMalformed
	}
	return []byte(v), nil
}

// str scans a string and reports whether it has escapes.
func (s *scanner) str() (esc bool, err error) {
	if !s.eat('"') {
		return false, errMalformed
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c >= 0x20 && c < 0x80 && c != '"' && c != '\\' {
			s.i++
			continue
		}
		switch {
		case c == '"':
			s.i++
			return esc, nil
		case c == '\\':
			esc = true
			if s.i+1 >= len(s.b) {
				return esc, errMalformed
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return esc, errMalformed
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return esc, errMalformed
					}
				}
				s.i += 6
			default:
				return esc, errMalformed
			}
		case c < 0x20:
			return esc, errMalformed
		case c >= 0x80:
			// Non-ASCII: decoded (and checked) by encoding/json.
			esc = true
			s.i++
		default:
			s.i++
		}
	}
	return esc, errMalformed
}

// value scans one value of any kind.
func (s *scanner) value(depth int) error {
	if s.i >= len(s.b) {
		return errMalformed
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, err := s.str()
		return err
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return errMalformed
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		s.i++
		s.ws()
		if s.eat(closer) {
			return nil
		}
		for {
			s.ws()
			if c == '{' {
				if _, err := s.str(); err != nil {
					return err
				}
				s.ws()
				if !s.eat(':') {
					return errMalformed
				}
				s.ws()
			}
			if err := s.value(depth + 1); err != nil {
				return err
			}
			s.ws()
			if s.eat(',') {
				continue
			}
			if s.eat(closer) {
				return nil
			}
			return errMalformed
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

func (s *scanner) literal(lit string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return errMalformed
	}
	s.i += len(lit)
	return nil
}

// number scans a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	s.eat('-')
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.eat('0') {
		// no more integer digits
	} else if digits() == 0 {
		return errMalformed
	}
	if s.eat('.') && digits() == 0 {
		return errMalformed
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if !s.eat('+') {
			s.eat('-')
		}
		if digits() == 0 {
			return errMalformed
		}
	}
	return nil
}
