package main

// This file is the one place where the generic mapping is corrected:
//
//   - iamPrefixes: a service's IAM prefix where the automatic choice (the
//     candidate among signing name, endpoint prefix, botocore id and service
//     id whose SAR actions cover the most operations) is wrong;
//   - operationOverrides: an operation's IAM actions where they are not
//     simply PREFIX:OperationName, or need conditions or bindings; an
//     explicit empty list marks an operation deliberately left unmapped (it
//     is refused);
//   - bindingOverrides: per service, the parameter that fills an ARN
//     template variable when the generic rule (same name, case-insensitive,
//     then same name without a trailing Name/Arn/Id/Url/Identifier) finds
//     none or the wrong one.
//
// The mappings for S3, DynamoDB, ECR, SQS, SNS, KMS, Secrets Manager and
// Lambda follow AWS's documentation: "Required permissions for Amazon S3 API
// operations" (S3 User Guide), "Using IAM with DynamoDB transactions" and the
// DynamoDB API permissions reference, the SNS batching guide ("PublishBatch
// uses the same Publish API action"), the SQS batch actions (authorized as
// their single-message actions), KMS ReEncrypt ("authorized twice - once as
// ReEncryptFrom on the source key and once as ReEncryptTo on the destination
// key"), and the Lambda and Secrets Manager permission references.
//
// Parameter names in If, Unless and Bind are a member name as botocore
// spells it, or one of the derived parameters package catalog adds:
//
//	CopySource.Bucket, CopySource.Key, CopySource.VersionId   (S3 x-amz-copy-source)
//	Delete.Objects[].Key, Delete.Objects[].VersionedKey       (S3 DeleteObjects XML body)
//	M[].K.F                                                   (JSON: list M of structures, member K's string field F)
//
// A map member's parameter values are its keys (DynamoDB RequestItems: the
// table names). A binding may end in |transform, one of:
//
//	arn       the value must be an ARN of the resource type
//	kmskey    a KMS key id, key ARN, alias name (alias/x) or alias ARN
//	kmsalias  a KMS alias name (alias/x) or alias ARN, for ${Alias}
//	lambdafn  a Lambda function name, name:qualifier, partial ARN or ARN,
//	          qualified by the Qualifier parameter when present
//	parentarn an ARN whose last :segment is dropped (SNS subscription -> topic)

// iamPrefixes maps a botocore service id to its IAM prefix, where the
// automatic choice is wrong or finds nothing.
var iamPrefixes = map[string]string{
	"cloudwatch":               "cloudwatch",
	"dynamodbstreams":          "dynamodb",
	"iot-data":                 "iot",
	"iot-jobs-data":            "iot",
	"sesv2":                    "ses",
	"sso-oidc":                 "sso-oauth",
	"s3control":                "s3",
	"apigatewayv2":             "apigateway",
	"lex-runtime":              "lex",
	"lexv2-runtime":            "lex",
	"lexv2-models":             "lex",
	"sagemaker-runtime":        "sagemaker",
	"opensearch":               "es",
	"cloudcontrol":             "cloudformation",
	"iotsecuretunneling":       "iot",
	"resourcegroupstaggingapi": "tag",
	"mturk":                    "mechanicalturk",
	"partnercentral-account":   "partnercentral-account-management",
	"partnercentral-benefits":  "partnercentral",
	"partnercentral-channel":   "partnercentral",
	"partnercentral-selling":   "partnercentral",
	"es":                       "es",
}

// extraSigningNames lists, per botocore service id, the other SigV4 signing
// names some of its operations use.
var extraSigningNames = map[string][]string{
	"s3": {"s3-object-lambda", "s3express"},
}

// act is one IAM action of an operation override; see wire.ActionRef.
type act struct {
	Action string
	If     string
	Unless string
	Res    []string
	Bind   map[string]string
}

func one(a string) []act { return []act{{Action: a}} }

// versioned is an object action whose VersionId form is another action
// (GetObject -> GetObjectVersion).
func versioned(plain, version string) []act {
	return []act{{Action: plain, Unless: "VersionId"}, {Action: version, If: "VersionId"}}
}

// copySource is the read side of CopyObject and UploadPartCopy: the source
// object named by x-amz-copy-source.
var copySource = []act{
	{Action: "s3:GetObject", Unless: "CopySource.VersionId", Bind: map[string]string{"BucketName": "CopySource.Bucket", "ObjectName": "CopySource.Key"}},
	{Action: "s3:GetObjectVersion", If: "CopySource.VersionId", Bind: map[string]string{"BucketName": "CopySource.Bucket", "ObjectName": "CopySource.Key"}},
}

func concat(parts ...[]act) []act {
	var out []act
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// objectWrite is PutObject's authorization, shared by the operations that
// create an object: s3:PutObject, and s3:PutObjectAcl / s3:PutObjectTagging
// when the request sets an ACL or tags.
var objectWrite = []act{
	{Action: "s3:PutObject"},
	{Action: "s3:PutObjectAcl", If: "ACL"},
	{Action: "s3:PutObjectTagging", If: "Tagging"},
}

// tableItems binds a DynamoDB per-item action to the tables of one kind of
// transaction item.
func tableItems(action, kind string) act {
	p := "TransactItems[]." + kind + ".TableName"
	return act{Action: action, If: p, Bind: map[string]string{"TableName": p}}
}

// operationOverrides maps botocore service id -> operation -> actions.
var operationOverrides = map[string]map[string][]act{
	"s3": {
		"AbortMultipartUpload":                        one("s3:AbortMultipartUpload"),
		"CompleteMultipartUpload":                     one("s3:PutObject"),
		"CopyObject":                                  concat(objectWrite, copySource),
		"CreateBucketMetadataConfiguration":           one("s3:CreateBucketMetadataTableConfiguration"),
		"CreateMultipartUpload":                       objectWrite,
		"CreateSession":                               one("s3express:CreateSession"),
		"DeleteBucketAnalyticsConfiguration":          one("s3:PutAnalyticsConfiguration"),
		"DeleteBucketCors":                            one("s3:PutBucketCORS"),
		"DeleteBucketEncryption":                      one("s3:PutEncryptionConfiguration"),
		"DeleteBucketIntelligentTieringConfiguration": one("s3:PutIntelligentTieringConfiguration"),
		"DeleteBucketInventoryConfiguration":          one("s3:PutInventoryConfiguration"),
		"DeleteBucketLifecycle":                       one("s3:PutLifecycleConfiguration"),
		"DeleteBucketMetadataConfiguration":           one("s3:DeleteBucketMetadataTableConfiguration"),
		"DeleteBucketMetricsConfiguration":            one("s3:PutMetricsConfiguration"),
		"DeleteBucketOwnershipControls":               one("s3:PutBucketOwnershipControls"),
		"DeleteBucketReplication":                     one("s3:PutReplicationConfiguration"),
		"DeleteBucketTagging":                         one("s3:PutBucketTagging"),
		"DeleteObject":                                versioned("s3:DeleteObject", "s3:DeleteObjectVersion"),
		"DeleteObjectTagging":                         versioned("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
		// DeleteObjects is authorized as s3:DeleteObject on each key (and
		// s3:DeleteObjectVersion on each key given with a version); with no
		// body there are no keys, hence no actions, and the request is refused.
		"DeleteObjects": {
			{Action: "s3:DeleteObject", If: "Delete.Objects[].Key", Bind: map[string]string{"ObjectName": "Delete.Objects[].Key"}},
			{Action: "s3:DeleteObjectVersion", If: "Delete.Objects[].VersionedKey", Bind: map[string]string{"ObjectName": "Delete.Objects[].VersionedKey"}},
		},
		"DeletePublicAccessBlock":                    one("s3:PutBucketPublicAccessBlock"),
		"GetBucketAccelerateConfiguration":           one("s3:GetAccelerateConfiguration"),
		"GetBucketAnalyticsConfiguration":            one("s3:GetAnalyticsConfiguration"),
		"GetBucketEncryption":                        one("s3:GetEncryptionConfiguration"),
		"GetBucketIntelligentTieringConfiguration":   one("s3:GetIntelligentTieringConfiguration"),
		"GetBucketInventoryConfiguration":            one("s3:GetInventoryConfiguration"),
		"GetBucketLifecycle":                         one("s3:GetLifecycleConfiguration"),
		"GetBucketLifecycleConfiguration":            one("s3:GetLifecycleConfiguration"),
		"GetBucketMetadataConfiguration":             one("s3:GetBucketMetadataTableConfiguration"),
		"GetBucketMetricsConfiguration":              one("s3:GetMetricsConfiguration"),
		"GetBucketNotificationConfiguration":         one("s3:GetBucketNotification"),
		"GetBucketReplication":                       one("s3:GetReplicationConfiguration"),
		"GetObject":                                  versioned("s3:GetObject", "s3:GetObjectVersion"),
		"GetObjectAcl":                               versioned("s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
		"GetObjectAttributes":                        versioned("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"),
		"GetObjectLockConfiguration":                 one("s3:GetBucketObjectLockConfiguration"),
		"GetObjectTagging":                           versioned("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
		"GetPublicAccessBlock":                       one("s3:GetBucketPublicAccessBlock"),
		"HeadBucket":                                 one("s3:ListBucket"),
		"HeadObject":                                 versioned("s3:GetObject", "s3:GetObjectVersion"),
		"ListBucketAnalyticsConfigurations":          one("s3:GetAnalyticsConfiguration"),
		"ListBucketIntelligentTieringConfigurations": one("s3:GetIntelligentTieringConfiguration"),
		"ListBucketInventoryConfigurations":          one("s3:GetInventoryConfiguration"),
		"ListBucketMetricsConfigurations":            one("s3:GetMetricsConfiguration"),
		"ListBuckets":                                one("s3:ListAllMyBuckets"),
		"ListDirectoryBuckets":                       one("s3express:ListAllMyDirectoryBuckets"),
		"ListMultipartUploads":                       one("s3:ListBucketMultipartUploads"),
		"ListObjectVersions":                         one("s3:ListBucketVersions"),
		"ListObjects":                                one("s3:ListBucket"),
		"ListObjectsV2":                              one("s3:ListBucket"),
		"ListParts":                                  one("s3:ListMultipartUploadParts"),
		"PutBucketAccelerateConfiguration":           one("s3:PutAccelerateConfiguration"),
		"PutBucketAnalyticsConfiguration":            one("s3:PutAnalyticsConfiguration"),
		"PutBucketEncryption":                        one("s3:PutEncryptionConfiguration"),
		"PutBucketIntelligentTieringConfiguration":   one("s3:PutIntelligentTieringConfiguration"),
		"PutBucketInventoryConfiguration":            one("s3:PutInventoryConfiguration"),
		"PutBucketLifecycle":                         one("s3:PutLifecycleConfiguration"),
		"PutBucketLifecycleConfiguration":            one("s3:PutLifecycleConfiguration"),
		"PutBucketMetricsConfiguration":              one("s3:PutMetricsConfiguration"),
		"PutBucketNotificationConfiguration":         one("s3:PutBucketNotification"),
		"PutBucketReplication":                       one("s3:PutReplicationConfiguration"),
		"PutObject":                                  objectWrite,
		"PutObjectAcl":                               versioned("s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
		"PutObjectLockConfiguration":                 one("s3:PutBucketObjectLockConfiguration"),
		"PutObjectTagging":                           versioned("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
		"PutPublicAccessBlock":                       one("s3:PutBucketPublicAccessBlock"),
		// RenameObject (directory buckets only) has no documented action in the SAR.
		"RenameObject":           nil,
		"SelectObjectContent":    one("s3:GetObject"),
		"UploadPart":             one("s3:PutObject"),
		"UploadPartCopy":         concat(one("s3:PutObject"), copySource),
		"WriteGetObjectResponse": one("s3-object-lambda:WriteGetObjectResponse"),
	},
	"dynamodb": {
		"BatchGetItem":   {{Action: "dynamodb:BatchGetItem", Bind: map[string]string{"TableName": "RequestItems"}}},
		"BatchWriteItem": {{Action: "dynamodb:BatchWriteItem", Bind: map[string]string{"TableName": "RequestItems"}}},
		// PartiQL operations are authorized as dynamodb:PartiQLSelect,
		// PartiQLInsert, PartiQLUpdate or PartiQLDelete depending on the
		// statement's verb and table, which this table can't express; they
		// are refused.
		"BatchExecuteStatement": nil,
		"ExecuteStatement":      nil,
		"ExecuteTransaction":    nil,
		"Query": {
			{Action: "dynamodb:Query", Unless: "IndexName", Res: []string{"table"}},
			{Action: "dynamodb:Query", If: "IndexName", Res: []string{"index"}},
		},
		"Scan": {
			{Action: "dynamodb:Scan", Unless: "IndexName", Res: []string{"table"}},
			{Action: "dynamodb:Scan", If: "IndexName", Res: []string{"index"}},
		},
		"TransactGetItems": {tableItems("dynamodb:GetItem", "Get")},
		"ImportTable":      {{Action: "dynamodb:ImportTable", Bind: map[string]string{"TableName": "TableCreationParameters.TableName"}}},
		// The source table, named by ARN or by name.
		"RestoreTableToPointInTime": {
			{Action: "dynamodb:RestoreTableToPointInTime", If: "SourceTableArn", Bind: map[string]string{"TableName": "SourceTableArn|arn"}},
			{Action: "dynamodb:RestoreTableToPointInTime", Unless: "SourceTableArn", Bind: map[string]string{"TableName": "SourceTableName"}},
		},
		"TransactWriteItems": {
			tableItems("dynamodb:ConditionCheckItem", "ConditionCheck"),
			tableItems("dynamodb:DeleteItem", "Delete"),
			tableItems("dynamodb:PutItem", "Put"),
			tableItems("dynamodb:UpdateItem", "Update"),
		},
	},
	"ecr": {
		// ListImageReferrers has no action in the SAR yet.
		"ListImageReferrers": nil,
	},
	"sqs": {
		"ChangeMessageVisibilityBatch": one("sqs:ChangeMessageVisibility"),
		"DeleteMessageBatch":           one("sqs:DeleteMessage"),
		"SendMessageBatch":             one("sqs:SendMessage"),
		"ListMessageMoveTasks":         {{Action: "sqs:ListMessageMoveTasks", Bind: map[string]string{"QueueName": "SourceArn|arn"}}},
		"StartMessageMoveTask":         {{Action: "sqs:StartMessageMoveTask", Bind: map[string]string{"QueueName": "SourceArn|arn"}}},
	},
	"sns": {
		"CreateTopic":               {{Action: "sns:CreateTopic", Bind: map[string]string{"TopicName": "Name"}}},
		"PublishBatch":              one("sns:Publish"),
		"GetSubscriptionAttributes": {{Action: "sns:GetSubscriptionAttributes", Bind: map[string]string{"TopicName": "SubscriptionArn|parentarn"}}},
		"SetSubscriptionAttributes": {{Action: "sns:SetSubscriptionAttributes", Bind: map[string]string{"TopicName": "SubscriptionArn|parentarn"}}},
		"Unsubscribe":               {{Action: "sns:Unsubscribe", Bind: map[string]string{"TopicName": "SubscriptionArn|parentarn"}}},
	},
	"kms": {
		"CreateAlias": {{Action: "kms:CreateAlias", Bind: map[string]string{"KeyId": "TargetKeyId|kmskey"}}},
		"UpdateAlias": {{Action: "kms:UpdateAlias", Bind: map[string]string{"KeyId": "TargetKeyId|kmskey"}}},
		"ReEncrypt": {
			{Action: "kms:ReEncryptFrom", Bind: map[string]string{"KeyId": "SourceKeyId|kmskey"}},
			{Action: "kms:ReEncryptTo", Bind: map[string]string{"KeyId": "DestinationKeyId|kmskey"}},
		},
	},
	"secretsmanager": {
		"CreateSecret": {{Action: "secretsmanager:CreateSecret", Bind: map[string]string{"SecretId": "Name"}}},
		// BatchGetSecretValue needs secretsmanager:GetSecretValue on each
		// secret besides its own (resource-less) action.
		"BatchGetSecretValue": {
			{Action: "secretsmanager:BatchGetSecretValue"},
			{Action: "secretsmanager:GetSecretValue", If: "SecretIdList", Bind: map[string]string{"SecretId": "SecretIdList"}},
		},
	},
	"lambda": {
		"GetLayerVersionByArn":     {{Action: "lambda:GetLayerVersion", Bind: map[string]string{"LayerName": "Arn|arn", "LayerVersion": "Arn|arn"}}},
		"Invoke":                   one("lambda:InvokeFunction"),
		"InvokeWithResponseStream": one("lambda:InvokeFunction"),
	},
}

// bindingOverrides maps botocore service id -> ARN variable -> parameter,
// applied to every operation of the service that has that member.
var bindingOverrides = map[string]map[string]string{
	"s3":     {"ObjectName": "Key"},
	"kms":    {"KeyId": "KeyId|kmskey", "Alias": "AliasName|kmsalias"},
	"lambda": {"FunctionName": "FunctionName|lambdafn", "LayerVersion": "VersionNumber", "Alias": "Qualifier", "Version": "Qualifier"},
}
