package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestParse(t *testing.T) {
	testKeys(t)
	sig := []byte("not checked by Parse")
	tests := []struct {
		name    string
		raw     string
		check   func(t *testing.T, tok *Token)
		wantErr bool
	}{{
		name: "RS256 with aud array",
		raw:  signJWT(t, jose.RS256, rsaA, "kid-a", claims(builtinIssuer)),
		check: func(t *testing.T, tok *Token) {
			if tok.Algorithm != "RS256" || tok.KeyID != "kid-a" || tok.Issuer != builtinIssuer ||
				tok.Subject != "system:serviceaccount:default:app" || !slices.Equal(tok.Audience, []string{"sts.amazonaws.com"}) ||
				!tok.IssuedAt.Equal(t0) || !tok.NotBefore.Equal(t0) || !tok.Expiry.Equal(t0.Add(time.Hour)) {
				t.Errorf("token = %+v", tok)
			}
			if n, ok := tok.Claims["exp"].(json.Number); !ok || n.String() != jsonInt(t0.Add(time.Hour).Unix()) {
				t.Errorf("Claims[exp] = %#v, want a json.Number", tok.Claims["exp"])
			}
		},
	}, {
		name: "ES256, aud and amr strings, no kid, float dates",
		raw: rawJWT(`{"alg":"ES256"}`,
			`{"iss":"https://accounts.google.com","sub":"1234","aud":"client","amr":"authenticated","exp":1772370000.75,"iat":1.7723664e9}`, sig),
		check: func(t *testing.T, tok *Token) {
			if tok.KeyID != "" || !slices.Equal(tok.Audience, []string{"client"}) || !slices.Equal(tok.AMR, []string{"authenticated"}) {
				t.Errorf("token = %+v", tok)
			}
			if want := time.Unix(1772370000, 750000000); !tok.Expiry.Equal(want) {
				t.Errorf("Expiry = %v, want %v", tok.Expiry, want)
			}
			if want := time.Unix(1772366400, 0); !tok.IssuedAt.Equal(want) {
				t.Errorf("IssuedAt = %v, want %v", tok.IssuedAt, want)
			}
			if !tok.NotBefore.IsZero() {
				t.Errorf("NotBefore = %v, want zero", tok.NotBefore)
			}
		},
	}, {
		name: "amr array, no aud, no dates",
		raw:  rawJWT(`{"alg":"RS512","kid":"k"}`, `{"iss":"i","sub":"s","amr":["unauthenticated","cognito"]}`, sig),
		check: func(t *testing.T, tok *Token) {
			if len(tok.Audience) != 0 || !slices.Equal(tok.AMR, []string{"unauthenticated", "cognito"}) ||
				!tok.Expiry.IsZero() || !tok.IssuedAt.IsZero() {
				t.Errorf("token = %+v", tok)
			}
		},
	},
		{
			name: "whitespace and nesting",
			raw: rawJWT(" {\t\"alg\" : \"RS256\" } ",
				" {\r\n \"iss\" : \"i\" , \"sub\":\"s\", \"x\" : [ 1 , { } , [ ] , {\"a\":[true,null,-1.5e3]} ] ,\"\\\"q\":\"\\u00e9\"} ", sig),
			check: func(t *testing.T, tok *Token) {
				if tok.Subject != "s" || tok.Claims["\"q"] != "é" {
					t.Errorf("token = %+v", tok)
				}
			},
		},
		{name: "empty", raw: "", wantErr: true},
		{name: "two parts", raw: "eyJhbGciOiJSUzI1NiJ9.e30", wantErr: true},
		{name: "four parts", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s"}`, sig) + ".x", wantErr: true},
		{name: "not base64url", raw: "eyJhbGciOiJSUzI1NiJ9.e30=.c2ln", wantErr: true},
		{name: "standard base64", raw: "eyJhbGciOiJSUzI1NiJ9.e3+/.c2ln", wantErr: true},
		{name: "newline inside", raw: strings.Replace(rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s"}`, sig), ".", "\n.", 1), wantErr: true},
		{name: "trailing newline", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s"}`, sig) + "\n", wantErr: true},
		{name: "no signature", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s"}`, nil), wantErr: true},
		{name: "header not JSON", raw: rawJWT(`alg`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "header an array", raw: rawJWT(`["RS256"]`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "header null", raw: rawJWT(`null`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "no alg", raw: rawJWT(`{"kid":"k"}`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "alg not a string", raw: rawJWT(`{"alg":1}`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "alg none", raw: rawJWT(`{"alg":"none"}`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "alg none, empty signature", raw: rawJWT(`{"alg":"none"}`, `{"iss":"i","sub":"s"}`, nil), wantErr: true},
		{name: "alg None", raw: rawJWT(`{"alg":"None"}`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "alg HS256", raw: rawJWT(`{"alg":"HS256"}`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "alg PS256", raw: rawJWT(`{"alg":"PS256"}`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "alg EdDSA", raw: rawJWT(`{"alg":"EdDSA"}`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "alg lower case", raw: rawJWT(`{"alg":"rs256"}`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "duplicate alg", raw: rawJWT(`{"alg":"RS256","alg":"none"}`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "kid not a string", raw: rawJWT(`{"alg":"RS256","kid":7}`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "crit", raw: rawJWT(`{"alg":"RS256","crit":["exp"],"exp":1}`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "payload not JSON", raw: rawJWT(`{"alg":"RS256"}`, `iss`, sig), wantErr: true},
		{name: "payload trailing data", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s"}{}`, sig), wantErr: true},
		{name: "missing iss", raw: rawJWT(`{"alg":"RS256"}`, `{"sub":"s"}`, sig), wantErr: true},
		{name: "missing sub", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i"}`, sig), wantErr: true},
		{name: "empty iss", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"","sub":"s"}`, sig), wantErr: true},
		{name: "iss a number", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":1,"sub":"s"}`, sig), wantErr: true},
		{name: "sub null", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":null}`, sig), wantErr: true},
		{name: "duplicate iss", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","iss":"j"}`, sig), wantErr: true},
		{name: "duplicate through an escape", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","\u0069ss":"j"}`, sig), wantErr: true},
		{name: "duplicate alg through an escape", raw: rawJWT(`{"alg":"RS256","\u0061lg":"none"}`, `{"iss":"i","sub":"s"}`, sig), wantErr: true},
		{name: "duplicate through invalid UTF-8", raw: rawJWT(`{"alg":"RS256"}`, "{\"iss\":\"i\",\"sub\":\"s\",\"\xff\":1,\"\xfe\":2}", sig), wantErr: true},
		{name: "unterminated string", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s`, sig), wantErr: true},
		{name: "missing colon", raw: rawJWT(`{"alg":"RS256"}`, `{"iss" "i","sub":"s"}`, sig), wantErr: true},
		{name: "trailing comma", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s",}`, sig), wantErr: true},
		{name: "duplicate nested", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","x":{"a":1,"a":2}}`, sig), wantErr: true},
		{name: "too deep", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`, sig), wantErr: true},
		{name: "aud a number", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","aud":1}`, sig), wantErr: true},
		{name: "aud null", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","aud":null}`, sig), wantErr: true},
		{name: "aud array of numbers", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","aud":["a",1]}`, sig), wantErr: true},
		{name: "amr an object", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","amr":{}}`, sig), wantErr: true},
		{name: "exp a string", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","exp":"1772370000"}`, sig), wantErr: true},
		{name: "exp negative", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","exp":-1}`, sig), wantErr: true},
		{name: "exp huge", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","exp":1e300}`, sig), wantErr: true},
		{name: "nbf huge integer", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","nbf":9223372036854775807}`, sig), wantErr: true},
		{name: "iat a bool", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","iat":true}`, sig), wantErr: true},
		{name: "too long", raw: rawJWT(`{"alg":"RS256"}`, `{"iss":"i","sub":"s","x":"`+strings.Repeat("a", MaxTokenLength)+`"}`, sig), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Parse(tc.raw)
			if tc.wantErr {
				wantKind(t, err, KindInvalid)
				if tok != nil {
					t.Errorf("Parse returned a token with its error")
				}
				return
			}
			wantKind(t, err, 0)
			if tok.Raw != tc.raw {
				t.Errorf("Raw = %q, want the input", tok.Raw)
			}
			tc.check(t, tok)
		})
	}
}

// TestParseRejectsHMACWithPublicKey is the classic key-confusion attack: an
// HS256 token whose MAC key is the issuer's RSA public key.
func TestParseRejectsHMACWithPublicKey(t *testing.T) {
	testKeys(t)
	der, err := x509.MarshalPKIXPublicKey(&rsaA.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	payload, _ := json.Marshal(claims(builtinIssuer))
	for name, secret := range map[string][]byte{"DER": der, "PEM": pemKey} {
		t.Run(name, func(t *testing.T) {
			raw := signPayload(t, jose.HS256, secret, "kid-a", payload)
			_, err := Parse(raw)
			wantKind(t, err, KindInvalid)

			// Even past Parse, no key of the issuer is usable for HMAC.
			jwk := jwk(rsaA, "kid-a", "")
			if _, ok := usableKey(&jwk, "HS256"); ok {
				t.Errorf("an RSA key is usable for HS256")
			}
			// A forged token with a valid-looking MAC by hand.
			h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"kid-a"}`))
			p := base64.RawURLEncoding.EncodeToString(payload)
			mac := hmac.New(sha256.New, secret)
			mac.Write([]byte(h + "." + p))
			_, err = Parse(h + "." + p + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)))
			wantKind(t, err, KindInvalid)
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{
		KindInvalid: "InvalidIdentityToken", KindExpired: "ExpiredTokenException",
		KindCommunication: "IDPCommunicationError", 0: "Kind(0)",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
	if KindOf(nil) != 0 || KindOf(invalid(nil, "x")) != KindInvalid {
		t.Errorf("KindOf is wrong")
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts
// keeps its invariants.
func FuzzParse(f *testing.F) {
	testKeys(f)
	f.Add(signJWT(f, jose.RS256, rsaA, "kid-a", claims(builtinIssuer)))
	f.Add(rawJWT(`{"alg":"ES256"}`, `{"iss":"i","sub":"s","aud":["a"],"exp":1.5}`, []byte("sig")))
	f.Add(rawJWT(`{"alg":"none"}`, `{"iss":"i","sub":"s"}`, nil))
	f.Add("..")
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := Parse(raw)
		if err != nil {
			if KindOf(err) != KindInvalid {
				t.Fatalf("error of kind %v: %v", KindOf(err), err)
			}
			return
		}
		if tok.Issuer == "" || tok.Subject == "" || !slices.Contains(AllowedAlgorithms, tok.Algorithm) || tok.Raw != raw {
			t.Fatalf("accepted token breaks invariants: %+v", tok)
		}
		v := NewVerifier(VerifierConfig{Local: func(string) (jose.JSONWebKeySet, bool) {
			return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk(rsaA, "kid-a", "")}}, true
		}})
		_ = v.Verify(context.Background(), tok, t0)
	})
}
