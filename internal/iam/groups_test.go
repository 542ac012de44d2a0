package iam_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assumed-dev/assumed/internal/testenv"
)

// grpCreate creates groups, failing the test on error.
func grpCreate(t *testing.T, c *iam.Client, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := c.CreateGroup(context.Background(), &iam.CreateGroupInput{GroupName: aws.String(n)}); err != nil {
			t.Fatalf("CreateGroup %s: %v", n, err)
		}
	}
}

// grpAdd adds a user to groups, failing the test on error.
func grpAdd(t *testing.T, c *iam.Client, user string, groups ...string) {
	t.Helper()
	for _, g := range groups {
		if _, err := c.AddUserToGroup(context.Background(), &iam.AddUserToGroupInput{UserName: aws.String(user), GroupName: aws.String(g)}); err != nil {
			t.Fatalf("AddUserToGroup %s %s: %v", user, g, err)
		}
	}
}

// grpNames returns the names of groups.
func grpNames(groups []types.Group) string {
	var out []string
	for _, g := range groups {
		out = append(out, aws.ToString(g.GroupName))
	}
	return strings.Join(out, ",")
}

func TestGroupLifecycle(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)

	out, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs"), Path: aws.String("/eng/")})
	if err != nil {
		t.Fatal(err)
	}
	g := out.Group
	if aws.ToString(g.Arn) != "arn:aws:iam::111111111111:group/eng/devs" || !strings.HasPrefix(aws.ToString(g.GroupId), "AGPA") ||
		len(aws.ToString(g.GroupId)) != 21 || aws.ToString(g.Path) != "/eng/" || g.CreateDate == nil {
		t.Fatalf("CreateGroup = %+v", g)
	}
	grpCreate(t, c, "ops")
	usrCreate(t, c, "zoe", "amy", "bea")

	for _, tc := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"duplicate, other case", func() error {
			_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("DEVS")})
			return err
		}, "EntityAlreadyExists", "Group with name DEVS already exists."},
		{"bad name", func() error {
			_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("a/b")})
			return err
		}, "ValidationError", ""},
		{"missing group", func() error {
			_, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("nope")})
			return err
		}, "NoSuchEntity", "The group with name nope cannot be found."},
		{"add a missing user", func() error {
			_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("nope")})
			return err
		}, "NoSuchEntity", "The user with name nope cannot be found."},
		{"add to a missing group", func() error {
			_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("nope"), UserName: aws.String("zoe")})
			return err
		}, "NoSuchEntity", "The group with name nope cannot be found."},
		{"remove a non-member", func() error {
			_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("ops"), UserName: aws.String("zoe")})
			return err
		}, "NoSuchEntity", ""},
		{"delete a missing group", func() error {
			_, err := c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("nope")})
			return err
		}, "NoSuchEntity", "The group with name nope cannot be found."},
	} {
		usrWant(t, tc.name, tc.call(), tc.code, tc.msg)
	}

	// Members, listed by name and paginated; adding twice is a no-op.
	for _, u := range []string{"zoe", "amy", "bea", "amy"} {
		grpAdd(t, c, u, "devs")
	}
	grpAdd(t, c, "amy", "ops")
	var members []string
	p := iam.NewGetGroupPaginator(c, &iam.GetGroupInput{GroupName: aws.String("devs"), MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(page.Group.GroupName) != "devs" {
			t.Fatalf("GetGroup page group = %+v", page.Group)
		}
		for _, u := range page.Users {
			members = append(members, aws.ToString(u.UserName))
		}
	}
	if strings.Join(members, ",") != "amy,bea,zoe" {
		t.Fatalf("members = %v", members)
	}
	gs, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("amy")})
	if err != nil || grpNames(gs.Groups) != "devs,ops" {
		t.Fatalf("ListGroupsForUser = %+v, %v", gs, err)
	}
	lg, err := c.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/eng/")})
	if err != nil || grpNames(lg.Groups) != "devs" {
		t.Fatalf("ListGroups /eng/ = %+v, %v", lg, err)
	}
	lg, err = c.ListGroups(ctx, &iam.ListGroupsInput{MaxItems: aws.Int32(1)})
	if err != nil || grpNames(lg.Groups) != "devs" || !lg.IsTruncated {
		t.Fatalf("ListGroups page 1 = %+v, %v", lg, err)
	}
	lg, err = c.ListGroups(ctx, &iam.ListGroupsInput{Marker: lg.Marker})
	if err != nil || grpNames(lg.Groups) != "ops" || lg.IsTruncated {
		t.Fatalf("ListGroups page 2 = %+v, %v", lg, err)
	}

	// Rename: members and policies stay.
	if _, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("p"), PolicyDocument: aws.String(usrAllow("s3:*", "*"))}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("devs"), NewGroupName: aws.String("OPS")})
	usrWant(t, "rename onto another group", err, "EntityAlreadyExists", "Group with name OPS already exists.")
	if _, err := c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("devs"), NewGroupName: aws.String("builders"), NewPath: aws.String("/")}); err != nil {
		t.Fatal(err)
	}
	usrWant(t, "old group name", func() error {
		_, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")})
		return err
	}(), "NoSuchEntity", "")
	check := func(when string, c *iam.Client) {
		t.Helper()
		gg, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("builders")})
		if err != nil || aws.ToString(gg.Group.Arn) != "arn:aws:iam::111111111111:group/builders" || usrNames(gg.Users) != "amy,bea,zoe" ||
			aws.ToString(gg.Group.GroupId) != aws.ToString(g.GroupId) {
			t.Fatalf("%s: renamed group = %+v, %v", when, gg, err)
		}
		lp, err := c.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("builders")})
		if err != nil || strings.Join(lp.PolicyNames, ",") != "p" {
			t.Fatalf("%s: group policies = %+v, %v", when, lp, err)
		}
		gs, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("amy")})
		if err != nil || grpNames(gs.Groups) != "builders,ops" {
			t.Fatalf("%s: ListGroupsForUser = %+v, %v", when, gs, err)
		}
	}
	check("after rename", c)
	env.Restart()
	c = env.RootIAM(testenv.AccountA)
	check("after restart", c)

	// DeleteGroup refuses while the group has members or policies.
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("builders")})
	usrWant(t, "delete with members", err, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
	for _, u := range []string{"amy", "bea", "zoe"} {
		if _, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("builders"), UserName: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("builders")})
	usrWant(t, "delete with inline policies", err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	if _, err := c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("builders"), PolicyName: aws.String("p")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("builders"), PolicyArn: aws.String(usrAWSPolicy + "ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("builders")})
	usrWant(t, "delete with attached policies", err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	if _, err := c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("builders"), PolicyArn: aws.String(usrAWSPolicy + "ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("builders")}); err != nil {
		t.Fatal(err)
	}
	if gs, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("amy")}); err != nil || grpNames(gs.Groups) != "ops" {
		t.Fatalf("after delete: %+v, %v", gs, err)
	}
}

func TestGroupPolicies(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	grpCreate(t, c, "g")
	g := aws.String("g")

	doc := usrAllow("s3:GetObject", "*")
	if _, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: g, PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	gp, err := c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: g, PolicyName: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := url.QueryUnescape(aws.ToString(gp.PolicyDocument)); d != doc || aws.ToString(gp.GroupName) != "g" || aws.ToString(gp.PolicyName) != "p" {
		t.Fatalf("GetGroupPolicy = %+v %q", gp, d)
	}
	_, err = c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: g, PolicyName: aws.String("nope")})
	usrWant(t, "missing group policy", err, "NoSuchEntity", "The group policy with name nope cannot be found.")
	_, err = c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: g, PolicyName: aws.String("nope")})
	usrWant(t, "delete a missing group policy", err, "NoSuchEntity", "The group policy with name nope cannot be found.")

	// 5,120 characters for all of a group's inline policies; a user's
	// limit (2,048) does not apply.
	big := usrAllow("s3:GetObject", "arn:aws:s3:::"+strings.Repeat("b", 2600))
	if _, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: g, PolicyName: aws.String("big1"), PolicyDocument: aws.String(big)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: g, PolicyName: aws.String("big2"), PolicyDocument: aws.String(big)})
	usrWant(t, "aggregate group inline size", err, "LimitExceeded", "Maximum policy size of 5120 bytes exceeded for group g")
	// Replacing a policy counts the new document only.
	if _, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: g, PolicyName: aws.String("big1"), PolicyDocument: aws.String(big)}); err != nil {
		t.Fatal(err)
	}
	lp, err := c.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: g})
	if err != nil || strings.Join(lp.PolicyNames, ",") != "big1,p" {
		t.Fatalf("ListGroupPolicies = %+v, %v", lp, err)
	}

	for _, n := range []string{"ReadOnlyAccess", "IAMReadOnlyAccess"} {
		if _, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: g, PolicyArn: aws.String(usrAWSPolicy + n)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: g, PolicyArn: aws.String(usrAWSPolicy + "Nope")})
	usrWant(t, "attach a missing policy", err, "NoSuchEntity", "")
	la, err := c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: g, MaxItems: aws.Int32(1)})
	if err != nil || len(la.AttachedPolicies) != 1 || aws.ToString(la.AttachedPolicies[0].PolicyName) != "IAMReadOnlyAccess" || !la.IsTruncated {
		t.Fatalf("ListAttachedGroupPolicies = %+v, %v", la, err)
	}
	if _, err := c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: g, PolicyArn: aws.String(usrAWSPolicy + "ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: g, PolicyArn: aws.String(usrAWSPolicy + "ReadOnlyAccess")})
	usrWant(t, "detach twice", err, "NoSuchEntity", "")
	la, err = c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: g})
	if err != nil || len(la.AttachedPolicies) != 1 || la.IsTruncated {
		t.Fatalf("ListAttachedGroupPolicies after detach = %+v, %v", la, err)
	}
}

func TestGroupsPerUserQuota(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx := context.Background()
	c := env.RootIAM(testenv.AccountA)
	usrCreate(t, c, "joiner")
	for i := range 11 {
		grpCreate(t, c, fmt.Sprintf("g%02d", i))
	}
	for i := range 10 {
		grpAdd(t, c, "joiner", fmt.Sprintf("g%02d", i))
	}
	_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("joiner"), GroupName: aws.String("g10")})
	usrWant(t, "eleventh group", err, "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10")
	var names []string
	p := iam.NewListGroupsForUserPaginator(c, &iam.ListGroupsForUserInput{UserName: aws.String("joiner"), MaxItems: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, grpNames(page.Groups))
	}
	if len(names) != 4 || strings.Join(names, ",") != "g00,g01,g02,g03,g04,g05,g06,g07,g08,g09" {
		t.Fatalf("ListGroupsForUser pages = %v", names)
	}
}
