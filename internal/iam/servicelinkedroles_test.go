package iam_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// slrCreate creates the service-linked role of service, failing the test
// on error.
func slrCreate(t *testing.T, c *iam.Client, service, suffix string) *types.Role {
	t.Helper()
	in := &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(service)}
	if suffix != "" {
		in.CustomSuffix = aws.String(suffix)
	}
	out, err := c.CreateServiceLinkedRole(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateServiceLinkedRole %s: %v", service, err)
	}
	return out.Role
}

// slrProtected is IAM's answer to a change of a service-linked role.
func slrProtected(name string) string {
	return "Cannot perform the operation on the protected role '" + name + "' - this role is only modifiable by AWS"
}

func TestServiceLinkedRoles(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)

	eks := slrCreate(t, c, "eks.amazonaws.com", "")
	if aws.ToString(eks.RoleName) != "AWSServiceRoleForAmazonEKS" || aws.ToString(eks.Path) != "/aws-service-role/eks.amazonaws.com/" ||
		aws.ToString(eks.Arn) != "arn:aws:iam::"+testenv.AccountA+":role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS" ||
		!strings.HasPrefix(aws.ToString(eks.RoleId), "AROA") || aws.ToInt32(eks.MaxSessionDuration) != 3600 {
		t.Errorf("EKS role = %+v", eks)
	}
	// It trusts the service, and has the service's policy.
	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("AWSServiceRoleForAmazonEKS")})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	var trust struct {
		Statement []struct {
			Effect    string
			Principal struct{ Service []string }
			Action    []string
		}
	}
	if err := json.Unmarshal([]byte(doc), &trust); err != nil || len(trust.Statement) != 1 || trust.Statement[0].Effect != "Allow" ||
		strings.Join(trust.Statement[0].Principal.Service, ",") != "eks.amazonaws.com" || strings.Join(trust.Statement[0].Action, ",") != "sts:AssumeRole" {
		t.Errorf("trust policy %s (%v)", doc, err)
	}
	att, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("AWSServiceRoleForAmazonEKS")})
	if err != nil || polAttachedNames(att.AttachedPolicies) != "AmazonEKSServiceRolePolicy@arn:aws:iam::aws:policy/aws-service-role/AmazonEKSServiceRolePolicy" {
		t.Errorf("attached = %+v, %v", att, err)
	}

	// Names: the table's, CustomSuffix after "_", and derived ones.
	for _, tc := range []struct{ service, suffix, name string }{
		{"autoscaling.amazonaws.com", "", "AWSServiceRoleForAutoScaling"},
		{"autoscaling.amazonaws.com", "web", "AWSServiceRoleForAutoScaling_web"},
		{"elasticloadbalancing.amazonaws.com", "", "AWSServiceRoleForElasticLoadBalancing"},
		{"ecs.application-autoscaling.amazonaws.com", "", "AWSServiceRoleForApplicationAutoScaling_ECSService"},
		{"elasticbeanstalk.amazonaws.com", "", "AWSServiceRoleForElasticBeanstalk"},
		{"foo-bar.amazonaws.com", "", "AWSServiceRoleForFooBar"},
		{"worker.fleet.amazonaws.com", "", "AWSServiceRoleForFleetWorker"},
	} {
		r := slrCreate(t, c, tc.service, tc.suffix)
		if aws.ToString(r.RoleName) != tc.name || aws.ToString(r.Path) != "/aws-service-role/"+tc.service+"/" {
			t.Errorf("%s %q: role %s at %s, want %s", tc.service, tc.suffix, aws.ToString(r.RoleName), aws.ToString(r.Path), tc.name)
		}
	}
	_, err = c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")})
	usrWant(t, "same role again", err, "InvalidInput", "Service role name AWSServiceRoleForAutoScaling has been taken in this account, please try a different suffix.")
	for _, tc := range []struct{ what, service, suffix, code string }{
		{"not a service principal", "example.com", "", "InvalidInput"},
		{"a bare amazonaws.com", "amazonaws.com", "", "InvalidInput"},
		{"a malformed service", "a b.amazonaws.com", "", "ValidationError"},
		{"a suffix for a fixed name", "ecs.application-autoscaling.amazonaws.com", "x", "InvalidInput"},
		{"a malformed suffix", "ecs.amazonaws.com", "a b", "ValidationError"},
		{"a name past 64 characters", "ecs.amazonaws.com", strings.Repeat("s", 60), "ValidationError"},
	} {
		in := &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(tc.service)}
		if tc.suffix != "" {
			in.CustomSuffix = aws.String(tc.suffix)
		}
		_, err := c.CreateServiceLinkedRole(ctx, in)
		usrWant(t, tc.what, err, tc.code, "")
	}

	// Only its service may change its trust and permissions or delete it;
	// the account may describe and tag it.
	name := aws.String("AWSServiceRoleForAmazonEKS")
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name})
	usrWant(t, "DeleteRole", err, "UnmodifiableEntity", slrProtected("AWSServiceRoleForAmazonEKS"))
	_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: name, PolicyArn: aws.String("arn:aws:iam::aws:policy/aws-service-role/AmazonEKSServiceRolePolicy")})
	usrWant(t, "DetachRolePolicy", err, "UnmodifiableEntity", slrProtected("AWSServiceRoleForAmazonEKS"))
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: name, PolicyArn: aws.String(usrAWSPolicy + "ReadOnlyAccess")})
	usrWant(t, "AttachRolePolicy", err, "UnmodifiableEntity", "")
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: name, PolicyName: aws.String("p"), PolicyDocument: aws.String(polDocS3)})
	usrWant(t, "PutRolePolicy", err, "UnmodifiableEntity", "")
	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: aws.String(trustB)})
	usrWant(t, "UpdateAssumeRolePolicy", err, "UnmodifiableEntity", "")
	_, err = c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: name, Description: aws.String("EKS, managing clusters")})
	polMust(t, "UpdateRole", err)
	_, err = c.TagRole(ctx, &iam.TagRoleInput{RoleName: name, Tags: entTag})
	polMust(t, "TagRole", err)
	// The path is reserved for service-linked roles.
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fake"), Path: aws.String("/aws-service-role/eks.amazonaws.com/"), AssumeRolePolicyDocument: aws.String(trustB)})
	usrWant(t, "CreateRole under /aws-service-role/", err, "InvalidInput", "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles")

	// Deletion, as a task that has succeeded.
	del, err := c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: name})
	if err != nil {
		t.Fatal(err)
	}
	task := aws.ToString(del.DeletionTaskId)
	if !strings.HasPrefix(task, "task/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS/") {
		t.Errorf("DeletionTaskId = %s", task)
	}
	status := func(c *iam.Client, id string) (*iam.GetServiceLinkedRoleDeletionStatusOutput, error) {
		return c.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String(id)})
	}
	if st, err := status(c, task); err != nil || st.Status != types.DeletionTaskStatusTypeSucceeded || st.Reason != nil {
		t.Errorf("deletion status = %+v, %v", st, err)
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: name})
	usrWant(t, "GetRole after deletion", err, "NoSuchEntity", "")
	_, err = c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: name})
	usrWant(t, "delete again", err, "NoSuchEntity", "The role with name AWSServiceRoleForAmazonEKS cannot be found.")
	polMust(t, "CreateRole", usrCreateRole(c, "plain"))
	_, err = c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("plain")})
	usrWant(t, "DeleteServiceLinkedRole of a plain role", err, "NoSuchEntity", "")
	_, err = status(c, "task/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS/00000000-0000-0000-0000-000000000000")
	usrWant(t, "unknown task", err, "NoSuchEntity", "")
	_, err = status(c, "not-a-task")
	usrWant(t, "malformed task", err, "InvalidInput", "")

	// A role still in an instance profile: the task fails, the role stays.
	ipCreate(t, c, "beanstalk", "/")
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("beanstalk"), RoleName: aws.String("AWSServiceRoleForElasticBeanstalk")})
	polMust(t, "AddRoleToInstanceProfile", err)
	del, err = c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("AWSServiceRoleForElasticBeanstalk")})
	polMust(t, "DeleteServiceLinkedRole in use", err)
	failed := aws.ToString(del.DeletionTaskId)
	if st, err := status(c, failed); err != nil || st.Status != types.DeletionTaskStatusTypeFailed || st.Reason == nil ||
		len(st.Reason.RoleUsageList) != 1 || strings.Join(st.Reason.RoleUsageList[0].Resources, ",") != "arn:aws:iam::"+testenv.AccountA+":instance-profile/beanstalk" {
		t.Errorf("status of a deletion in use = %+v, %v", st, err)
	}
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("AWSServiceRoleForElasticBeanstalk")}); err != nil {
		t.Errorf("the role in use was deleted: %v", err)
	}

	// Tasks survive a restart; so do the roles and their protection.
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	if st, err := status(c, task); err != nil || st.Status != types.DeletionTaskStatusTypeSucceeded {
		t.Errorf("deletion status after restart = %+v, %v", st, err)
	}
	if st, err := status(c, failed); err != nil || st.Status != types.DeletionTaskStatusTypeFailed {
		t.Errorf("failed deletion after restart = %+v, %v", st, err)
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("AWSServiceRoleForAutoScaling_web")})
	usrWant(t, "DeleteRole after restart", err, "UnmodifiableEntity", slrProtected("AWSServiceRoleForAutoScaling_web"))

	// Authorization: iam:AWSServiceName names the service; the deletion
	// status is read on the role's ARN.
	_, alice := usrWithKey(t, env, "alice")
	usrPut(t, c, "alice", "slr", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*","Condition":{"StringEquals":{"iam:AWSServiceName":"rds.amazonaws.com"}}},
		{"Effect":"Allow","Action":["iam:DeleteServiceLinkedRole","iam:GetServiceLinkedRoleDeletionStatus"],"Resource":"arn:aws:iam::*:role/aws-service-role/rds.amazonaws.com/*"}]}`)
	_, err = alice.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")})
	usrWant(t, "alice creates ECS's", err, "AccessDenied", usrDenied("iam:CreateServiceLinkedRole", "arn:aws:iam::111111111111:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS", "because no identity-based policy allows the iam:CreateServiceLinkedRole action"))
	rds := slrCreate(t, alice, "rds.amazonaws.com", "")
	if aws.ToString(rds.RoleName) != "AWSServiceRoleForRDS" {
		t.Errorf("RDS role = %s", aws.ToString(rds.RoleName))
	}
	_, err = alice.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("AWSServiceRoleForAutoScaling")})
	usrWant(t, "alice deletes another service's", err, "AccessDenied", "")
	del, err = alice.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("AWSServiceRoleForRDS")})
	polMust(t, "alice deletes RDS's", err)
	if _, err := status(alice, aws.ToString(del.DeletionTaskId)); err != nil {
		t.Errorf("alice reads her deletion: %v", err)
	}
	_, err = status(alice, failed)
	usrWant(t, "alice reads another role's deletion", err, "AccessDenied", "")
}
