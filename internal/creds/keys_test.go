package creds

import (
	"regexp"
	"strings"
	"testing"
)

func TestGeneratedIDsHaveAWSShapes(t *testing.T) {
	const n = 2000
	tests := []struct {
		name string
		gen  func() (string, error)
		re   *regexp.Regexp
	}{
		{"access key ID", func() (string, error) { return NewAccessKeyID(PrefixAccessKey) }, regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)},
		{"temporary access key ID", func() (string, error) { return NewAccessKeyID(PrefixTemporaryAccessKey) }, regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`)},
		{"secret access key", NewSecretAccessKey, regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)},
		{"user ID", func() (string, error) { return NewUniqueID(PrefixUser) }, regexp.MustCompile(`^AIDA[A-Z0-9]{17}$`)},
		{"role ID", func() (string, error) { return NewUniqueID(PrefixRole) }, regexp.MustCompile(`^AROA[A-Z0-9]{17}$`)},
		{"policy ID", func() (string, error) { return NewUniqueID(PrefixManagedPolicy) }, regexp.MustCompile(`^ANPA[A-Z0-9]{17}$`)},
		{"group ID", func() (string, error) { return NewUniqueID(PrefixGroup) }, regexp.MustCompile(`^AGPA[A-Z0-9]{17}$`)},
		{"instance profile ID", func() (string, error) { return NewUniqueID(PrefixInstanceProfile) }, regexp.MustCompile(`^AIPA[A-Z0-9]{17}$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			chars := map[rune]bool{}
			for i := 0; i < n; i++ {
				id, err := tt.gen()
				if err != nil {
					t.Fatal(err)
				}
				if !tt.re.MatchString(id) {
					t.Fatalf("%q does not match %s", id, tt.re)
				}
				if seen[id] {
					t.Fatalf("%q generated twice", id)
				}
				seen[id] = true
				for _, c := range id[4:] {
					chars[c] = true
				}
			}
			// 2000 draws of 16+ characters use every symbol of the alphabet;
			// a generator stuck on a subset (a bias, a constant) shows here.
			want := map[string]int{"secret access key": 64}[tt.name]
			switch {
			case want != 0:
			case strings.Contains(tt.name, "access key ID"):
				want = 32
			default:
				want = 36
			}
			if len(chars) != want {
				t.Errorf("%d distinct characters after the prefix, want %d", len(chars), want)
			}
		})
	}
}

func TestGeneratedIDsRejectBadPrefixes(t *testing.T) {
	for _, p := range []string{"", "AKI", "AKIAA", "akia", "AK1A", "AKÍA"} {
		if id, err := NewAccessKeyID(p); err == nil {
			t.Errorf("NewAccessKeyID(%q) = %q, want an error", p, id)
		}
		if id, err := NewUniqueID(p); err == nil {
			t.Errorf("NewUniqueID(%q) = %q, want an error", p, id)
		}
	}
}

func TestUniqueIDCharactersAreUniform(t *testing.T) {
	// 36 symbols, 17 per ID, 6000 IDs: about 2833 draws per symbol. A
	// modulo bias (256 % 36 = 4 symbols drawn 8/7 as often) would put those
	// symbols near 3200; allow ±10%.
	counts := map[byte]int{}
	const ids = 6000
	for i := 0; i < ids; i++ {
		id, err := NewUniqueID(PrefixRole)
		if err != nil {
			t.Fatal(err)
		}
		for j := 4; j < len(id); j++ {
			counts[id[j]]++
		}
	}
	mean := float64(ids*uniqueIDSuffixLen) / 36
	for c, n := range counts {
		if f := float64(n); f < mean*0.9 || f > mean*1.1 {
			t.Errorf("character %q drawn %d times, mean %.0f", c, n, mean)
		}
	}
}
