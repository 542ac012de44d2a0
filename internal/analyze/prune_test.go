package analyze

import "testing"

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"sts:assumerole", "sts:assumerole", true},
		{"sts:*", "sts:assumerole", true},
		{"*", "sts:assumerole", true},
		{"sts:assume*", "sts:assumerole", true},
		{"sts:assume?ole", "sts:assumerole", true},
		{"*:*role", "sts:assumerole", true},
		{"s3:*", "sts:assumerole", false},
		{"sts:assumerolewith*", "sts:assumerole", false},
		{"sts:get*", "sts:assumerole", false},
		{"", "sts:assumerole", false},
		{"sts:assumerole?", "sts:assumerole", false},
	} {
		if got := globMatch(c.p, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func TestAccountOfARN(t *testing.T) {
	for a, want := range map[string]string{
		"arn:aws:iam::111111111111:role/x":             "111111111111",
		"arn:aws:sts::222222222222:assumed-role/r/s":   "222222222222",
		"arn:aws:s3:::bucket":                          "",
		"arn:aws:eks:us-east-1:333333333333:cluster/c": "333333333333",
		"service:lambda.amazonaws.com":                 "",
		"arn:aws:iam::444444444444":                    "",
		"account:111111111111":                         "",
	} {
		if got := accountOfARN(a); got != want {
			t.Errorf("accountOfARN(%q) = %q, want %q", a, got, want)
		}
	}
}
