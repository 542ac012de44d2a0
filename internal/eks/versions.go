package eks

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/assumed-dev/assumed/internal/directory"
)

// Kubernetes versions
//
// DescribeClusterVersions answers from a fixed table: the versions EKS
// offered in late 2025, with their support status then (not computed from
// the clock, so that answers do not change under a test), and 1.33 as the
// default, the version CreateCluster picks when given none. CreateCluster
// itself accepts any 1.N version, as before.

// clusterVersion is one Kubernetes version EKS offers.
type clusterVersion struct {
	version, patch string
	status         types.VersionStatus
	release        string // release date on EKS
	endStandard    string
	endExtended    string
}

var clusterVersions = []clusterVersion{
	{"1.34", "1.34.1", types.VersionStatusStandardSupport, "2025-10-02", "2026-12-02", "2027-12-02"},
	{"1.33", "1.33.5", types.VersionStatusStandardSupport, "2025-05-29", "2026-07-29", "2027-07-29"},
	{"1.32", "1.32.9", types.VersionStatusStandardSupport, "2025-01-23", "2026-03-23", "2027-03-23"},
	{"1.31", "1.31.13", types.VersionStatusStandardSupport, "2024-09-26", "2025-11-26", "2026-11-26"},
	{"1.30", "1.30.14", types.VersionStatusExtendedSupport, "2024-05-23", "2025-07-23", "2026-07-23"},
	{"1.29", "1.29.15", types.VersionStatusExtendedSupport, "2024-01-23", "2025-03-23", "2026-03-23"},
	{"1.28", "1.28.15", types.VersionStatusExtendedSupport, "2023-09-26", "2024-11-26", "2025-11-26"},
	{"1.27", "1.27.16", types.VersionStatusUnsupported, "2023-05-24", "2024-07-24", "2025-07-24"},
}

// kubernetesPatch is the patch release of a Kubernetes version, for node
// groups' release versions; "VERSION.0" for one the table lacks.
func kubernetesPatch(v string) string {
	for _, cv := range clusterVersions {
		if cv.version == v {
			return cv.patch
		}
	}
	return v + ".0"
}

func date(s string) *time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	return &t
}

// clusterVersionStatus is the deprecated status field of a version.
func clusterVersionStatus(v types.VersionStatus) types.ClusterVersionStatus {
	switch v {
	case types.VersionStatusStandardSupport:
		return types.ClusterVersionStatusStandardSupport
	case types.VersionStatusExtendedSupport:
		return types.ClusterVersionStatusExtendedSupport
	}
	return types.ClusterVersionStatusUnsupported
}

// clusterVersionsTokenPrefix starts DescribeClusterVersions' page tokens.
const clusterVersionsTokenPrefix = "v1."

// DescribeClusterVersions lists the Kubernetes versions EKS offers,
// newest first: the supported ones, or all with includeAll, filtered by
// version, status or default.
func (s *Service) DescribeClusterVersions(_ context.Context, caller *directory.Caller, in *sdk.DescribeClusterVersionsInput) (*sdk.DescribeClusterVersionsOutput, error) {
	snap := s.w.Directory().Snapshot()
	if err := authorize(snap, caller, "eks:DescribeClusterVersions", "*", nil); err != nil {
		return nil, err
	}
	clusterType := aws.ToString(in.ClusterType)
	if clusterType != "" && clusterType != "eks" {
		return nil, invalidParameter("clusterType %q is not supported: assumed simulates eks clusters only.", clusterType)
	}
	status := in.VersionStatus
	//lint:ignore SA1019 clients still send the deprecated status
	old := in.Status
	if status == "" && old != "" {
		status = types.VersionStatus(map[types.ClusterVersionStatus]types.VersionStatus{
			types.ClusterVersionStatusStandardSupport: types.VersionStatusStandardSupport,
			types.ClusterVersionStatusExtendedSupport: types.VersionStatusExtendedSupport,
			types.ClusterVersionStatusUnsupported:     types.VersionStatusUnsupported,
		}[old])
		if status == "" {
			return nil, invalidParameter("status %q is not one of standard-support, extended-support, unsupported.", string(old))
		}
	}
	if status != "" && !slices.Contains(status.Values(), status) {
		return nil, invalidParameter("versionStatus %q is not one of %s.", string(status), joinEnum(status.Values()))
	}
	var list []clusterVersion
	for _, cv := range clusterVersions {
		switch {
		case len(in.ClusterVersions) > 0 && !slices.Contains(in.ClusterVersions, cv.version):
		case aws.ToBool(in.DefaultOnly) && cv.version != defaultVersion:
		case status != "" && cv.status != status:
		case status == "" && !aws.ToBool(in.IncludeAll) && len(in.ClusterVersions) == 0 && cv.status == types.VersionStatusUnsupported:
		default:
			list = append(list, cv)
		}
	}
	// Pages go by position in the list, as zero-padded numbers that sort
	// as they count.
	order := make([]string, len(list))
	for i := range list {
		order[i] = fmt.Sprintf("%04d", i)
	}
	page, next, err := namesPage(order, in.MaxResults, aws.ToString(in.NextToken), clusterVersionsTokenPrefix)
	if err != nil {
		return nil, err
	}
	out := &sdk.DescribeClusterVersionsOutput{ClusterVersions: []types.ClusterVersionInformation{}, NextToken: next}
	for _, k := range page {
		i, _ := strconv.Atoi(k)
		cv := list[i]
		out.ClusterVersions = append(out.ClusterVersions, types.ClusterVersionInformation{
			ClusterType: aws.String("eks"), ClusterVersion: aws.String(cv.version), KubernetesPatchVersion: aws.String(cv.patch),
			DefaultPlatformVersion: aws.String(platformVersion), DefaultVersion: cv.version == defaultVersion,
			ReleaseDate: date(cv.release), EndOfStandardSupportDate: date(cv.endStandard), EndOfExtendedSupportDate: date(cv.endExtended),
			VersionStatus: cv.status, Status: clusterVersionStatus(cv.status),
		})
	}
	return out, nil
}
