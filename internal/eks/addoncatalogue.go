package eks

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"gopkg.in/yaml.v3"
)

// The add-on catalogue
//
// DescribeAddonVersions and CreateAddon answer from a small fixed
// catalogue of EKS's own add-ons, each with a few versions, the
// Kubernetes versions (1.28-1.34) each runs on and the one EKS installs
// by default on each. The versions are plausible for late 2025; nothing
// is downloaded or run.

// addonSpec is an add-on of the catalogue.
type addonSpec struct {
	name, typ string
	// podIdentity maps the service accounts the add-on can have pod
	// identity associations for to their recommended managed policies.
	podIdentity map[string][]string
	// requiresIAM says the add-on needs AWS permissions (a role).
	requiresIAM bool
	versions    []addonVersion // newest first
	// config is the top level of the add-on's configuration schema:
	// property name to JSON type.
	config map[string]string
}

// addonVersion is a version of an add-on, for the Kubernetes minor
// versions from..to, the default on defaultFrom..defaultTo (0: none).
type addonVersion struct {
	version                string
	from, to               int
	defaultFrom, defaultTo int
}

// addonNamespace is where EKS installs its add-ons.
const addonNamespace = "kube-system"

// commonConfig are the configuration properties every add-on has.
var commonConfig = map[string]string{
	"affinity": "object", "nodeSelector": "object", "tolerations": "array", "resources": "object",
	"podAnnotations": "object", "podLabels": "object", "priorityClassName": "string",
}

var addonCatalogue = []addonSpec{
	{
		name: "aws-ebs-csi-driver", typ: "storage", requiresIAM: true,
		podIdentity: map[string][]string{"ebs-csi-controller-sa": {"arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"}},
		versions: []addonVersion{
			{"v1.51.1-eksbuild.1", 28, 34, 0, 0},
			{"v1.48.0-eksbuild.2", 28, 34, 28, 34},
			{"v1.45.0-eksbuild.2", 28, 33, 0, 0},
		},
		config: map[string]string{"controller": "object", "node": "object", "sidecars": "object", "defaultStorageClass": "object", "storageClasses": "array"},
	},
	{
		name: "coredns", typ: "networking",
		versions: []addonVersion{
			{"v1.12.4-eksbuild.1", 33, 34, 34, 34},
			{"v1.12.1-eksbuild.2", 33, 34, 33, 33},
			{"v1.11.4-eksbuild.24", 31, 32, 31, 32},
			{"v1.11.1-eksbuild.13", 29, 30, 29, 30},
			{"v1.10.1-eksbuild.38", 28, 28, 28, 28},
		},
		config: map[string]string{"replicaCount": "integer", "corefile": "string", "autoScaling": "object", "podDisruptionBudget": "object", "topologySpreadConstraints": "array"},
	},
	{
		name: "eks-pod-identity-agent", typ: "security",
		versions: []addonVersion{
			{"v1.3.9-eksbuild.3", 28, 34, 0, 0},
			{"v1.3.8-eksbuild.2", 28, 34, 28, 34},
			{"v1.3.4-eksbuild.1", 28, 32, 0, 0},
		},
		config: map[string]string{"agent": "object"},
	},
	{
		name: "kube-proxy", typ: "networking",
		versions: kubeProxyVersions(),
		config:   map[string]string{"mode": "string", "ipvs": "object", "nftables": "object"},
	},
	{
		name: "vpc-cni", typ: "networking", requiresIAM: true,
		podIdentity: map[string][]string{"aws-node": {"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}},
		versions: []addonVersion{
			{"v1.20.4-eksbuild.1", 28, 34, 0, 0},
			{"v1.19.6-eksbuild.7", 28, 34, 28, 34},
			{"v1.18.6-eksbuild.1", 28, 31, 0, 0},
		},
		config: map[string]string{"env": "object", "enableNetworkPolicy": "string", "enableWindowsIpam": "string", "init": "object", "nodeAgent": "object"},
	},
}

// kubeProxyVersions are kube-proxy's: one per Kubernetes version, the
// same patch release.
func kubeProxyVersions() []addonVersion {
	var out []addonVersion
	for _, cv := range clusterVersions {
		m, ok := minorVersion(cv.version)
		if !ok || cv.status == types.VersionStatusUnsupported {
			continue
		}
		out = append(out, addonVersion{"v" + cv.patch + "-eksbuild.2", m, m, m, m})
	}
	return out
}

// addonByName finds an add-on of the catalogue.
func addonByName(name string) (*addonSpec, bool) {
	for i := range addonCatalogue {
		if addonCatalogue[i].name == name {
			return &addonCatalogue[i], true
		}
	}
	return nil, false
}

// version finds a version of the add-on.
func (a *addonSpec) version(v string) (*addonVersion, bool) {
	for i := range a.versions {
		if a.versions[i].version == v {
			return &a.versions[i], true
		}
	}
	return nil, false
}

// runsOn reports whether the version runs on a cluster of Kubernetes
// version k.
func (v *addonVersion) runsOn(k string) bool {
	m, ok := minorVersion(k)
	return ok && m >= v.from && m <= v.to
}

// isDefaultOn reports whether the version is the default on Kubernetes
// version k.
func (v *addonVersion) isDefaultOn(k string) bool {
	m, ok := minorVersion(k)
	return ok && v.defaultFrom != 0 && m >= v.defaultFrom && m <= v.defaultTo
}

// defaultVersion is the version EKS installs on Kubernetes version k.
func (a *addonSpec) defaultVersion(k string) (string, bool) {
	for _, v := range a.versions {
		if v.isDefaultOn(k) {
			return v.version, true
		}
	}
	return "", false
}

// schema is the add-on's configuration schema, as DescribeAddonConfiguration
// returns it: a JSON Schema (draft-07) string.
func (a *addonSpec) schema() string {
	props := map[string]any{}
	for _, c := range []map[string]string{commonConfig, a.config} {
		for name, typ := range c {
			props[name] = map[string]any{"type": typ}
		}
	}
	b, _ := json.Marshal(map[string]any{
		"$schema": "http://json-schema.org/draft-07/schema#", "$ref": "#/definitions/" + a.name,
		"definitions": map[string]any{a.name: map[string]any{"type": "object", "additionalProperties": false, "properties": props}},
	})
	return string(b)
}

// checkConfigurationValues checks an add-on's configurationValues
// (JSON or YAML) against its schema.
func (a *addonSpec) checkConfigurationValues(values string) error {
	if strings.TrimSpace(values) == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(values), &v); err != nil {
		if yerr := yaml.Unmarshal([]byte(values), &v); yerr != nil {
			return invalidParameter("ConfigurationValue provided in request is not supported: it is neither JSON nor YAML (%v).", err)
		}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return invalidParameter("ConfigurationValue provided in request is not supported: Json schema validation failed with error: [$: %s found, object expected]", jsonTypeOf(v))
	}
	var errs []string
	for _, k := range sortedKeys(obj) {
		want, ok := a.config[k]
		if !ok {
			want, ok = commonConfig[k]
		}
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("$.%s: is not defined in the schema and the schema does not allow additional properties", k))
		case !jsonTypeIs(obj[k], want):
			errs = append(errs, fmt.Sprintf("$.%s: %s found, %s expected", k, jsonTypeOf(obj[k]), want))
		}
	}
	if len(errs) > 0 {
		return invalidParameter("ConfigurationValue provided in request is not supported: Json schema validation failed with error: [%s]", strings.Join(errs, ", "))
	}
	return nil
}

func jsonTypeOf(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case int, int64, uint64:
		return "integer"
	case nil:
		return "null"
	}
	return "number"
}

func jsonTypeIs(v any, want string) bool {
	got := jsonTypeOf(v)
	return got == want || (want == "number" && got == "integer")
}

// podIdentityAccounts are the add-on's pod identity service accounts,
// sorted.
func (a *addonSpec) podIdentityAccounts() []string {
	out := make([]string, 0, len(a.podIdentity))
	for sa := range a.podIdentity {
		out = append(out, sa)
	}
	sort.Strings(out)
	return out
}

// hasServiceAccount reports whether the add-on can have a pod identity
// association for the service account.
func (a *addonSpec) hasServiceAccount(sa string) bool {
	return slices.Contains(a.podIdentityAccounts(), sa)
}
