package iam

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/uuid"

	"github.com/assumed-dev/assumed/internal/creds"
	"github.com/assumed-dev/assumed/internal/directory"
	"github.com/assumed-dev/assumed/policy"
)

// Service-linked roles
//
// A service-linked role is a role an AWS service owns in the account: IAM
// names it after the service (AWSServiceRoleForAmazonEKS), puts it under
// the path /aws-service-role/SERVICE/, lets only that service assume it
// and attaches the service's AWS managed policy. The account may read,
// describe (UpdateRole, UpdateRoleDescription) and tag it, but not change
// its trust or permissions nor delete it with DeleteRole: those answer
// UnmodifiableEntity. DeleteServiceLinkedRole deletes it, as a deletion
// task that GetServiceLinkedRoleDeletionStatus reports on. Here the task
// runs at once: it has succeeded by the time the call returns, or failed
// because an instance profile still holds the role.
//
// The path prefix /aws-service-role/ is reserved: CreateRole refuses it,
// so the path alone tells a service-linked role from another.
//
// IAM knows each service's role name; this server knows those of the
// services in slrServices and derives one for any other *.amazonaws.com
// service principal.

// slrPathPrefix starts the path of every service-linked role.
const slrPathPrefix = "/aws-service-role/"

// slrService is what IAM gives the service-linked role of one service.
type slrService struct {
	// name follows "AWSServiceRoleFor" in the role's name.
	name string
	// policy is the AWS managed policy (under /aws-service-role/) the role
	// gets, when this server has it.
	policy string
	// fixed: the service's role takes no CustomSuffix (Application Auto
	// Scaling's, whose name already ends with the scalable target type).
	fixed bool
}

// slrServices are the service-linked roles of common services, by service
// principal, as IAM names them.
var slrServices = map[string]slrService{
	"access-analyzer.amazonaws.com":      {name: "AccessAnalyzer", policy: "AccessAnalyzerServiceRolePolicy"},
	"autoscaling.amazonaws.com":          {name: "AutoScaling", policy: "AutoScalingServiceRolePolicy"},
	"autoscaling-plans.amazonaws.com":    {name: "AutoScalingPlans_EC2AutoScaling", policy: "AWSAutoScalingPlansEC2AutoScalingPolicy", fixed: true},
	"backup.amazonaws.com":               {name: "Backup", policy: "AWSBackupServiceLinkedRolePolicyForBackup"},
	"batch.amazonaws.com":                {name: "Batch", policy: "BatchServiceRolePolicy"},
	"cloudtrail.amazonaws.com":           {name: "CloudTrail", policy: "CloudTrailServiceRolePolicy"},
	"compute-optimizer.amazonaws.com":    {name: "ComputeOptimizer", policy: "ComputeOptimizerServiceRolePolicy"},
	"config.amazonaws.com":               {name: "Config", policy: "AWSConfigServiceRolePolicy"},
	"ecs.amazonaws.com":                  {name: "ECS", policy: "AmazonECSServiceRolePolicy"},
	"eks.amazonaws.com":                  {name: "AmazonEKS", policy: "AmazonEKSServiceRolePolicy"},
	"eks-fargate.amazonaws.com":          {name: "AmazonEKSForFargate", policy: "AmazonEKSForFargateServiceRolePolicy"},
	"eks-nodegroup.amazonaws.com":        {name: "AmazonEKSNodegroup", policy: "AWSServiceRoleForAmazonEKSNodegroup"},
	"elasticache.amazonaws.com":          {name: "ElastiCache", policy: "ElastiCacheServiceRolePolicy"},
	"elasticbeanstalk.amazonaws.com":     {name: "ElasticBeanstalk", policy: "AWSElasticBeanstalkServiceRolePolicy"},
	"elasticloadbalancing.amazonaws.com": {name: "ElasticLoadBalancing", policy: "AWSElasticLoadBalancingServiceRolePolicy"},
	"elasticmapreduce.amazonaws.com":     {name: "EMRCleanup", policy: "AmazonEMRCleanupPolicy"},
	"es.amazonaws.com":                   {name: "AmazonElasticsearchService", policy: "AmazonElasticsearchServiceRolePolicy"},
	"fsx.amazonaws.com":                  {name: "AmazonFSx", policy: "AmazonFSxServiceRolePolicy"},
	"globalaccelerator.amazonaws.com":    {name: "GlobalAccelerator", policy: "AWSGlobalAcceleratorSLRPolicy"},
	"guardduty.amazonaws.com":            {name: "AmazonGuardDuty", policy: "AmazonGuardDutyServiceRolePolicy"},
	"inspector2.amazonaws.com":           {name: "AmazonInspector2", policy: "AmazonInspector2ServiceRolePolicy"},
	"kafka.amazonaws.com":                {name: "Kafka", policy: "KafkaServiceRolePolicy"},
	"logger.cloudfront.amazonaws.com":    {name: "CloudFrontLogger", policy: "AWSCloudFrontLogger"},
	"mq.amazonaws.com":                   {name: "AmazonMQ", policy: "AmazonMQServiceRolePolicy"},
	"opensearchservice.amazonaws.com":    {name: "AmazonOpenSearchService", policy: "AmazonOpenSearchServiceRolePolicy"},
	"ops.apigateway.amazonaws.com":       {name: "APIGateway", policy: "APIGatewayServiceRolePolicy"},
	"organizations.amazonaws.com":        {name: "Organizations", policy: "AWSOrganizationsServiceTrustPolicy"},
	"rds.amazonaws.com":                  {name: "RDS", policy: "AmazonRDSServiceRolePolicy"},
	"redshift.amazonaws.com":             {name: "Redshift", policy: "AmazonRedshiftServiceLinkedRolePolicy"},
	"replication.ecr.amazonaws.com":      {name: "ECRReplication", policy: "ECRReplicationServiceRolePolicy"},
	"replicator.lambda.amazonaws.com":    {name: "LambdaReplicator", policy: "AWSLambdaReplicator"},
	"securityhub.amazonaws.com":          {name: "SecurityHub", policy: "AWSSecurityHubServiceRolePolicy"},
	"spot.amazonaws.com":                 {name: "EC2Spot", policy: "AWSEC2SpotServiceRolePolicy"},
	"spotfleet.amazonaws.com":            {name: "EC2SpotFleet", policy: "AWSEC2SpotFleetServiceRolePolicy"},
	"ssm.amazonaws.com":                  {name: "AmazonSSM", policy: "AmazonSSMServiceRolePolicy"},
	"sso.amazonaws.com":                  {name: "SSO", policy: "AWSSSOServiceRolePolicy"},
	"support.amazonaws.com":              {name: "Support", policy: "AWSSupportServiceRolePolicy"},
	"transitgateway.amazonaws.com":       {name: "VPCTransitGateway", policy: "AWSVPCTransitGatewayServiceRolePolicy"},
	"trustedadvisor.amazonaws.com":       {name: "TrustedAdvisor", policy: "AWSTrustedAdvisorServiceRolePolicy"},
	// Application Auto Scaling: one role per scalable target type.
	"appstream.application-autoscaling.amazonaws.com":        {name: "ApplicationAutoScaling_AppStreamFleet", policy: "AWSApplicationAutoscalingAppStreamFleetPolicy", fixed: true},
	"cassandra.application-autoscaling.amazonaws.com":        {name: "ApplicationAutoScaling_CassandraTable", policy: "AWSApplicationAutoscalingCassandraTablePolicy", fixed: true},
	"comprehend.application-autoscaling.amazonaws.com":       {name: "ApplicationAutoScaling_ComprehendEndpoint", policy: "AWSApplicationAutoscalingComprehendEndpointPolicy", fixed: true},
	"custom-resource.application-autoscaling.amazonaws.com":  {name: "ApplicationAutoScaling_CustomResource", policy: "AWSApplicationAutoScalingCustomResourcePolicy", fixed: true},
	"dynamodb.application-autoscaling.amazonaws.com":         {name: "ApplicationAutoScaling_DynamoDBTable", policy: "AWSApplicationAutoscalingDynamoDBTablePolicy", fixed: true},
	"ec2.application-autoscaling.amazonaws.com":              {name: "ApplicationAutoScaling_EC2SpotFleetRequest", policy: "AWSApplicationAutoscalingEC2SpotFleetRequestPolicy", fixed: true},
	"ecs.application-autoscaling.amazonaws.com":              {name: "ApplicationAutoScaling_ECSService", policy: "AWSApplicationAutoscalingECSServicePolicy", fixed: true},
	"elasticache.application-autoscaling.amazonaws.com":      {name: "ApplicationAutoScaling_ElastiCacheRG", policy: "AWSApplicationAutoscalingElastiCacheRGPolicy", fixed: true},
	"elasticmapreduce.application-autoscaling.amazonaws.com": {name: "ApplicationAutoScaling_EMRInstanceGroup", policy: "AWSApplicationAutoscalingEMRInstanceGroupPolicy", fixed: true},
	"kafka.application-autoscaling.amazonaws.com":            {name: "ApplicationAutoScaling_KafkaCluster", policy: "AWSApplicationAutoscalingKafkaClusterPolicy", fixed: true},
	"lambda.application-autoscaling.amazonaws.com":           {name: "ApplicationAutoScaling_LambdaConcurrency", policy: "AWSApplicationAutoscalingLambdaConcurrencyPolicy", fixed: true},
	"neptune.application-autoscaling.amazonaws.com":          {name: "ApplicationAutoScaling_NeptuneCluster", policy: "AWSApplicationAutoscalingNeptuneClusterPolicy", fixed: true},
	"rds.application-autoscaling.amazonaws.com":              {name: "ApplicationAutoScaling_RDSCluster", policy: "AWSApplicationAutoscalingRDSClusterPolicy", fixed: true},
	"sagemaker.application-autoscaling.amazonaws.com":        {name: "ApplicationAutoScaling_SageMakerEndpoint", policy: "AWSApplicationAutoscalingSageMakerEndpointPolicy", fixed: true},
}

// slrServiceLabel is one DNS label of a service principal.
var slrServiceLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// slrServiceFor returns the service-linked role of a service principal:
// slrServices' entry, or for another *.amazonaws.com principal a name
// made of its labels, the service's own last ("replicator.lambda" →
// LambdaReplicator, "foo-bar" → FooBar), and no policy. Other principals
// have no service-linked role.
func slrServiceFor(service string) (slrService, bool) {
	if svc, ok := slrServices[service]; ok {
		return svc, true
	}
	host, ok := strings.CutSuffix(service, ".amazonaws.com")
	if !ok || host == "" {
		return slrService{}, false
	}
	labels := strings.Split(host, ".")
	var name strings.Builder
	for i := len(labels) - 1; i >= 0; i-- {
		if !slrServiceLabel.MatchString(labels[i]) {
			return slrService{}, false
		}
		for word := range strings.SplitSeq(labels[i], "-") {
			if word != "" {
				name.WriteString(strings.ToUpper(word[:1]) + word[1:])
			}
		}
	}
	return slrService{name: name.String()}, true
}

// isServiceLinked says whether a role is a service-linked role.
func isServiceLinked(r *directory.Role) bool { return strings.HasPrefix(r.Path, slrPathPrefix) }

// slrProtectedActions are the actions IAM refuses on a service-linked
// role: only its service may change its trust and permissions or delete
// it.
var slrProtectedActions = map[string]bool{
	"iam:DeleteRole": true, "iam:UpdateAssumeRolePolicy": true,
	"iam:PutRolePolicy": true, "iam:DeleteRolePolicy": true,
	"iam:AttachRolePolicy": true, "iam:DetachRolePolicy": true,
	"iam:PutRolePermissionsBoundary": true, "iam:DeleteRolePermissionsBoundary": true,
}

// protectServiceLinked is IAM's UnmodifiableEntity for an action on a
// service-linked role that only its service may take.
func protectServiceLinked(action string, r *directory.Role) error {
	if isServiceLinked(r) && slrProtectedActions[action] {
		return unmodifiableEntity("Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", r.Name)
	}
	return nil
}

// checkRolePath refuses the path prefix of service-linked roles to
// CreateRole.
func checkRolePath(path string) error {
	if strings.HasPrefix(path, slrPathPrefix) {
		return invalidInput("Path prefix '%s' can only be used for AWS Service linked Roles", slrPathPrefix)
	}
	return nil
}

// slrDescriptionPattern is IAM's pattern for a role description.
var slrDescriptionPattern = regexp.MustCompile(`^[\x{0009}\x{000A}\x{000D}\x{0020}-\x{007E}\x{00A1}-\x{00FF}]*$`)

// slrTrustPolicy is the trust policy of a service's service-linked role.
func slrTrustPolicy(service string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["` + service + `"]},"Action":["sts:AssumeRole"]}]}`
}

// CreateServiceLinkedRole creates the service-linked role of an AWS
// service: AWSServiceRoleFor<Service>[_CustomSuffix] under
// /aws-service-role/SERVICE/, trusting the service and with its managed
// policy attached. A role of that name already there is InvalidInput, as
// in IAM.
func (s *Service) CreateServiceLinkedRole(ctx context.Context, caller *directory.Caller, in *sdk.CreateServiceLinkedRoleInput) (*sdk.CreateServiceLinkedRoleOutput, error) {
	service := deref(in.AWSServiceName)
	if err := checkName(service, "aWSServiceName", 128); err != nil {
		return nil, err
	}
	if in.CustomSuffix != nil {
		if err := checkName(*in.CustomSuffix, "customSuffix", 64); err != nil {
			return nil, err
		}
	}
	desc := deref(in.Description)
	switch {
	case len(desc) > maxDescriptionLen:
		return nil, invalidField(desc, "description", "Member must have length less than or equal to 1000")
	case !slrDescriptionPattern.MatchString(desc):
		return nil, invalidField(desc, "description", `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)
	}
	svc, ok := slrServiceFor(service)
	if !ok {
		return nil, invalidInput("Invalid service principal %s: service-linked roles are for AWS services (SERVICE.amazonaws.com).", service)
	}
	name := "AWSServiceRoleFor" + svc.name
	if in.CustomSuffix != nil {
		if svc.fixed {
			return nil, invalidInput("Custom suffix is not allowed for %s", service)
		}
		name += "_" + *in.CustomSuffix
	}
	if err := roles.check(name); err != nil {
		return nil, err
	}
	path := slrPathPrefix + service + "/"
	arn := roleARNFor(caller.AccountID, path, name)
	reqCtx := policy.NewContext()
	reqCtx.Set("iam:AWSServiceName", service)
	r, err := roles.create(ctx, s, caller, arn, "iam:CreateServiceLinkedRole", reqCtx, func(t *txn) (*directory.Role, error) {
		if roles.checkNew(t.Snap, caller.AccountID, name) != nil {
			return nil, invalidInput("Service role name %s has been taken in this account, please try a different suffix.", name)
		}
		doc := slrTrustPolicy(service)
		trust, err := parseTrust(t.Snap, doc)
		if err != nil {
			return nil, fmt.Errorf("service-linked role trust policy: %w", err)
		}
		id, err := creds.NewUniqueID(creds.PrefixRole)
		if err != nil {
			return nil, err
		}
		var attached []string
		if svc.policy != "" {
			if p := "arn:aws:iam::aws:policy" + slrPathPrefix + svc.policy; hasPolicy(t.Snap, caller.AccountID, p) {
				attached = []string{p}
			}
		}
		return &directory.Role{
			Principal: directory.Principal{
				Name: name, Path: path, ID: id, ARN: arn, CreateDate: caller.RequestTime.UTC().Truncate(1e9), Attached: attached,
			},
			TrustPolicy: doc, Description: desc, MaxSessionDuration: minSessionDuration, Trust: trust,
		}, nil
	})
	if err != nil {
		return nil, err
	}
	out := &sdk.CreateServiceLinkedRoleOutput{Role: ptr(sdkRole(r, true))}
	out.Role.RoleLastUsed = nil
	return out, nil
}

// hasPolicy says whether a managed policy can be attached in account.
func hasPolicy(snap *directory.Snapshot, account, policyARN string) bool {
	_, ok := snap.PolicyFor(account, policyARN)
	return ok
}

// slrTaskPrefix starts every deletion task ID:
// task/aws-service-role/SERVICE/ROLE/UUID.
const slrTaskPrefix = "task" + slrPathPrefix

// slrRoleOfTask returns the ARN of the role a deletion task ID names, in
// account; ok is false for an ID not of the form IAM gives.
func slrRoleOfTask(account, taskID string) (string, bool) {
	rest, ok := strings.CutPrefix(taskID, slrTaskPrefix)
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 3 || slices.Contains(parts, "") {
		return "", false
	}
	return roleARNFor(account, slrPathPrefix+parts[0]+"/", parts[1]), true
}

// DeleteServiceLinkedRole deletes a service-linked role, with its
// policies, and returns the ID of the deletion task. The task fails,
// leaving the role, when an instance profile still holds it.
func (s *Service) DeleteServiceLinkedRole(ctx context.Context, caller *directory.Caller, in *sdk.DeleteServiceLinkedRoleInput) (*sdk.DeleteServiceLinkedRoleOutput, error) {
	name := deref(in.RoleName)
	var taskID string
	err := s.update(ctx, func(t *txn) error {
		r, err := roles.authorized(t.Snap, caller, name, "iam:DeleteServiceLinkedRole", nil)
		if err != nil {
			return err
		}
		if !isServiceLinked(r) {
			return noSuchEntity("The role with name %s is not a service-linked role.", r.Name)
		}
		service := strings.TrimSuffix(strings.TrimPrefix(r.Path, slrPathPrefix), "/")
		task := &directory.DeletionTask{
			ID: slrTaskPrefix + service + "/" + r.Name + "/" + uuid.NewString(), RoleARN: r.ARN,
			Status: string(types.DeletionTaskStatusTypeSucceeded), CreateDate: caller.RequestTime.UTC().Truncate(1e9),
		}
		acct := t.IAM(caller.AccountID)
		if ips := roleInstanceProfiles(acct, r); len(ips) > 0 {
			task.Status = string(types.DeletionTaskStatusTypeFailed)
			for _, ip := range ips {
				task.InUseBy = append(task.InUseBy, ip.ARN)
			}
			slices.Sort(task.InUseBy)
		} else {
			key := roles.key(r.Name)
			delete(acct.Roles, key)
			t.Del(kindRole, caller.AccountID, key)
		}
		taskID = task.ID
		acct.DeletionTasks[task.ID] = task
		return t.Put(kindDeletionTask, caller.AccountID, task.ID, task)
	})
	if err != nil {
		return nil, err
	}
	return &sdk.DeleteServiceLinkedRoleOutput{DeletionTaskId: ptr(taskID)}, nil
}

// GetServiceLinkedRoleDeletionStatus reports on a deletion task of
// DeleteServiceLinkedRole. It is authorized on the role the task deletes.
func (s *Service) GetServiceLinkedRoleDeletionStatus(_ context.Context, caller *directory.Caller, in *sdk.GetServiceLinkedRoleDeletionStatusInput) (*sdk.GetServiceLinkedRoleDeletionStatusOutput, error) {
	id := deref(in.DeletionTaskId)
	switch {
	case len(id) < 1:
		return nil, invalidField(id, "deletionTaskId", "Member must have length greater than or equal to 1")
	case len(id) > 1000:
		return nil, invalidField(id, "deletionTaskId", "Member must have length less than or equal to 1000")
	}
	roleARN, ok := slrRoleOfTask(caller.AccountID, id)
	if !ok {
		return nil, invalidInput("Invalid deletion task ID %s: it must be of the form task/aws-service-role/SERVICE/ROLE/ID.", id)
	}
	snap := s.dir.Snapshot()
	if err := authorize(snap, caller, "iam:GetServiceLinkedRoleDeletionStatus", roleARN, nil); err != nil {
		return nil, err
	}
	task, ok := snap.AccountIAM(caller.AccountID).DeletionTasks[id]
	if !ok {
		return nil, noSuchEntity("The deletion task %s cannot be found.", id)
	}
	out := &sdk.GetServiceLinkedRoleDeletionStatusOutput{Status: types.DeletionTaskStatusType(task.Status)}
	if len(task.InUseBy) > 0 {
		out.Reason = &types.DeletionTaskFailureReasonType{
			Reason:        ptr("The role is in use by instance profiles: remove it from them first."),
			RoleUsageList: []types.RoleUsageType{{Resources: slices.Clone(task.InUseBy)}},
		}
	}
	return out, nil
}
