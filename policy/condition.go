package policy

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opFamily is a condition operator without its negation, set qualifier and
// IfExists suffix.
type opFamily uint8

const (
	famString opFamily = iota + 1
	famStringIgnoreCase
	famStringLike
	famNumericEquals
	famNumericLessThan
	famNumericLessThanEquals
	famNumericGreaterThan
	famNumericGreaterThanEquals
	famDateEquals
	famDateLessThan
	famDateLessThanEquals
	famDateGreaterThan
	famDateGreaterThanEquals
	famBool
	famBinary
	famIP
	famARN
	famNull
)

// operators maps every base operator name to its family and negation.
var operators = map[string]struct {
	fam     opFamily
	negated bool
}{
	"StringEquals":              {famString, false},
	"StringNotEquals":           {famString, true},
	"StringEqualsIgnoreCase":    {famStringIgnoreCase, false},
	"StringNotEqualsIgnoreCase": {famStringIgnoreCase, true},
	"StringLike":                {famStringLike, false},
	"StringNotLike":             {famStringLike, true},
	"NumericEquals":             {famNumericEquals, false},
	"NumericNotEquals":          {famNumericEquals, true},
	"NumericLessThan":           {famNumericLessThan, false},
	"NumericLessThanEquals":     {famNumericLessThanEquals, false},
	"NumericGreaterThan":        {famNumericGreaterThan, false},
	"NumericGreaterThanEquals":  {famNumericGreaterThanEquals, false},
	"DateEquals":                {famDateEquals, false},
	"DateNotEquals":             {famDateEquals, true},
	"DateLessThan":              {famDateLessThan, false},
	"DateLessThanEquals":        {famDateLessThanEquals, false},
	"DateGreaterThan":           {famDateGreaterThan, false},
	"DateGreaterThanEquals":     {famDateGreaterThanEquals, false},
	"Bool":                      {famBool, false},
	"BinaryEquals":              {famBinary, false},
	"IpAddress":                 {famIP, false},
	"NotIpAddress":              {famIP, true},
	"ArnEquals":                 {famARN, false},
	"ArnLike":                   {famARN, false},
	"ArnNotEquals":              {famARN, true},
	"ArnNotLike":                {famARN, true},
	"Null":                      {famNull, false},
}

// SetQualifier is a condition operator's ForAnyValue:/ForAllValues: prefix.
type SetQualifier uint8

// The set qualifiers.
const (
	NoQualifier SetQualifier = iota
	ForAnyValue
	ForAllValues
)

// Condition is one key under one operator of a statement's Condition
// block, compiled.
type Condition struct {
	Operator string   // as written: "ForAnyValue:StringLikeIfExists"
	Key      string   // as written: "aws:PrincipalTag/Team"
	Values   []string // as written (JSON booleans and numbers as their text)

	fam       opFamily
	negated   bool
	qualifier SetQualifier
	ifExists  bool
	key       ckey
	vals      []condValue
}

// condValue is one policy value pre-parsed for its operator family.
type condValue struct {
	pat    pattern    // string families; ARN values that are not ARNs
	arn    arnPattern // ARN family
	isARN  bool       // arn is valid
	num    float64
	t      time.Time
	prefix netip.Prefix
	bin    []byte
	b      bool
}

// parseOperator splits an operator name into its parts.
func parseOperator(name string) (fam opFamily, negated bool, q SetQualifier, ifExists bool, ok bool) {
	base := name
	switch {
	case strings.HasPrefix(base, "ForAnyValue:"):
		q, base = ForAnyValue, base[len("ForAnyValue:"):]
	case strings.HasPrefix(base, "ForAllValues:"):
		q, base = ForAllValues, base[len("ForAllValues:"):]
	}
	if strings.HasSuffix(base, "IfExists") {
		ifExists, base = true, strings.TrimSuffix(base, "IfExists")
	}
	o, found := operators[base]
	if !found || (o.fam == famNull && ifExists) {
		return 0, false, 0, false, false
	}
	return o.fam, o.negated, q, ifExists, true
}

// compileCondition compiles the values of one condition; vars says whether
// policy variables are substituted. The error describes the first value
// that does not fit the operator.
func compileCondition(c *Condition, vars bool) error {
	c.key = newKey(c.Key)
	c.vals = make([]condValue, len(c.Values))
	for i, v := range c.Values {
		cv := &c.vals[i]
		var err error
		switch c.fam {
		case famString:
			cv.pat = compilePattern(v, false, vars, false)
		case famStringIgnoreCase:
			cv.pat = compilePattern(v, false, vars, true)
		case famStringLike:
			cv.pat = compilePattern(v, true, vars, false)
		case famNumericEquals, famNumericLessThan, famNumericLessThanEquals, famNumericGreaterThan, famNumericGreaterThanEquals:
			cv.num, err = parseNumber(v)
		case famDateEquals, famDateLessThan, famDateLessThanEquals, famDateGreaterThan, famDateGreaterThanEquals:
			cv.t, err = parseDate(v)
		case famBool, famNull:
			cv.b, err = parseBool(v)
		case famBinary:
			cv.bin, err = base64.StdEncoding.DecodeString(v)
		case famIP:
			cv.prefix, err = parseCIDR(v)
		case famARN:
			if cv.arn, cv.isARN = compileARNPattern(v, vars); !cv.isARN {
				// AWS compares component by component; a value that is not
				// an ARN can match nothing but an identical request value.
				cv.pat = compilePattern(v, false, vars, false)
			}
		}
		if err != nil {
			return fmt.Errorf("%s value %q for key %s: %w", c.Operator, v, c.Key, err)
		}
	}
	return nil
}

func parseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("not a number")
	}
	return f, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("not true or false")
}

// parseCIDR accepts a CIDR block or a bare address (a /32 or /128).
func parseCIDR(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("not a CIDR block")
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not an IP address")
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// dateLayouts are the ISO 8601 forms AWS accepts in Date conditions.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02T15Z07:00",
	"2006-01-02T15",
	"2006-01-02",
	"2006-01",
}

// parseDate accepts ISO 8601 (date, date-time, with or without zone and
// fraction; no zone means UTC) or epoch seconds.
func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("empty date")
	}
	if isDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > 253402300799 { // past year 9999
			return time.Time{}, fmt.Errorf("epoch seconds out of range")
		}
		return time.Unix(n, 0).UTC(), nil
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s)); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 date or epoch seconds")
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// noValue stands for a missing key.
var noValue ctxValue

// condResult is the outcome of evaluating one condition.
type condResult uint8

const (
	condFalse condResult = iota
	condTrue
	condUnresolved // a policy variable could not be resolved
)

// eval evaluates the condition against ctx.
//
// Per request value v, pos(v) is "v matches at least one policy value".
// A negated operator is true for v when no policy value matches (NOR). A
// plain operator on a multivalued key is true when any value matches
// (negated: when none does); ForAnyValue needs one request value to
// satisfy the operator, ForAllValues all of them. A missing key (or an
// empty set) makes ForAnyValue false, ForAllValues true, IfExists true, a
// negated operator true and any other operator false.
func (c *Condition) eval(ctx *Context) condResult {
	v, present := ctx.lookup(c.key)
	if !present {
		v = &noValue
	}
	if c.fam == famNull {
		isNull := !present || len(v.values) == 0
		for i := range c.vals {
			if c.vals[i].b == isNull {
				return condTrue
			}
		}
		return condFalse
	}
	if !present || len(v.values) == 0 {
		switch {
		case c.qualifier == ForAllValues:
			return condTrue
		case c.qualifier == ForAnyValue:
			return condFalse
		case c.ifExists, c.negated:
			return condTrue
		}
		return condFalse
	}
	switch c.qualifier {
	case ForAnyValue, ForAllValues:
		all := c.qualifier == ForAllValues
		for _, rv := range v.values {
			m, r := c.matchAny(rv, v, ctx)
			if r == condUnresolved {
				return condUnresolved
			}
			if c.negated {
				m = !m
			}
			if all && !m {
				return condFalse
			}
			if !all && m {
				return condTrue
			}
		}
		if all {
			return condTrue
		}
		return condFalse
	}
	any := false
	for _, rv := range v.values {
		m, r := c.matchAny(rv, v, ctx)
		if r == condUnresolved {
			return condUnresolved
		}
		if m {
			any = true
			break
		}
	}
	if any != c.negated {
		return condTrue
	}
	return condFalse
}

// matchAny reports whether the request value rv matches at least one
// policy value under the operator family (ignoring negation). cv is the
// context entry rv comes from, whose pre-parsed forms are used when set.
func (c *Condition) matchAny(rv string, cv *ctxValue, ctx *Context) (bool, condResult) {
	switch c.fam {
	case famString, famStringIgnoreCase, famStringLike:
		fold := c.fam == famStringIgnoreCase
		for i := range c.vals {
			m, ok := c.vals[i].pat.match(rv, ctx, fold)
			if !ok {
				return false, condUnresolved
			}
			if m {
				return true, condTrue
			}
		}
	case famARN:
		for i := range c.vals {
			cv := &c.vals[i]
			var m, ok bool
			if cv.isARN {
				m, ok = cv.arn.match(rv, ctx)
			} else {
				m, ok = cv.pat.match(rv, ctx, false)
			}
			if !ok {
				return false, condUnresolved
			}
			if m {
				return true, condTrue
			}
		}
	case famNumericEquals, famNumericLessThan, famNumericLessThanEquals, famNumericGreaterThan, famNumericGreaterThanEquals:
		n, err := strconv.ParseFloat(rv, 64)
		if err != nil {
			return false, condTrue
		}
		for i := range c.vals {
			if compareOrdered(c.fam-famNumericEquals, cmpFloat(n, c.vals[i].num)) {
				return true, condTrue
			}
		}
	case famDateEquals, famDateLessThan, famDateLessThanEquals, famDateGreaterThan, famDateGreaterThanEquals:
		t := cv.time
		if !cv.hasTime {
			var err error
			if t, err = parseDate(rv); err != nil {
				return false, condTrue
			}
		}
		for i := range c.vals {
			if compareOrdered(c.fam-famDateEquals, t.Compare(c.vals[i].t)) {
				return true, condTrue
			}
		}
	case famBool:
		b, err := parseBool(rv)
		if err != nil {
			return false, condTrue
		}
		for i := range c.vals {
			if c.vals[i].b == b {
				return true, condTrue
			}
		}
	case famBinary:
		var buf [512]byte
		n := base64.StdEncoding.DecodedLen(len(rv))
		if n > len(buf) {
			return false, condTrue
		}
		n, err := base64.StdEncoding.Decode(buf[:], []byte(rv))
		if err != nil {
			return false, condTrue
		}
		for i := range c.vals {
			if bytes.Equal(buf[:n], c.vals[i].bin) {
				return true, condTrue
			}
		}
	case famIP:
		a := cv.addr
		if !cv.hasAddr {
			var err error
			if a, err = netip.ParseAddr(rv); err != nil {
				return false, condTrue
			}
			a = a.Unmap()
		}
		for i := range c.vals {
			if c.vals[i].prefix.Contains(a) {
				return true, condTrue
			}
		}
	}
	return false, condTrue
}

// compareOrdered applies an ordered comparison (offset from the family's
// Equals) to a three-way comparison result.
func compareOrdered(rel opFamily, cmp int) bool {
	switch rel {
	case 0:
		return cmp == 0
	case 1:
		return cmp < 0
	case 2:
		return cmp <= 0
	case 3:
		return cmp > 0
	case 4:
		return cmp >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
