"""How the service desk's resources are provisioned, defined once for the CDK stack and the local stack.

The stack in ``infra/`` builds the staff pool, bucket, queues, table and every function's environment
from the definitions here; ``ensure_resources`` creates the same on the local stand-in when they are
missing (at start-up and in tests). The local stack follows the ``dev`` stage of ``infra/stages.py``:
staff may enrol an authenticator app but need not (``LOCAL_MFA_REQUIRED``), as in dev; prod requires
one. ``tests/infra`` compares the synthesized template with what is here and fails on a difference.
Every step is idempotent: running it against resources that exist changes nothing.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import schema
from chalicelib.adapters.aws import client
from chalicelib.adapters.cognito import PasswordPolicy, StaffPool, ensure_user_pool
from chalicelib.domain.staff import StaffRole
from chalicelib.settings import REPORT_PARTS_QUEUE, Settings

# The stage of infra/stages.py the local stack is provisioned like.
LOCAL_STAGE = "dev"
STAFF_POOL_NAME = "service-desk-staff"
# One Cognito group per staff role (the app reads a user's roles from the token's groups).
STAFF_GROUPS: tuple[str, ...] = tuple(role.value for role in StaffRole)
STAFF_PASSWORD_POLICY = PasswordPolicy(
    min_length=12, require_lowercase=True, require_uppercase=True, require_digits=True, require_symbols=False,
    temporary_password_days=3,
)
# As the dev stage: staff may enrol an authenticator app (TOTP); prod requires one (stages.py).
LOCAL_MFA_REQUIRED = False
LOCAL_STAFF_POOL = StaffPool(name=STAFF_POOL_NAME, groups=STAFF_GROUPS, password_policy=STAFF_PASSWORD_POLICY,
                             mfa_required=LOCAL_MFA_REQUIRED)

REPORT_PARTS_DEAD_LETTER_QUEUE = f"{REPORT_PARTS_QUEUE}-dlq"
NOTIFICATION_DEAD_LETTER_QUEUE = "service-desk-notification-dlq"
LINK_SIGNING_SECRET = "service-desk-link-signing"
# A part that failed this many times is parked in the dead-letter queue.
REPORT_PART_MAX_RECEIVES = 3
# Dead letters wait two weeks for someone to look; a report part older than two days is of no use (the
# nightly job starts a stuck build afresh).
DEAD_LETTER_RETENTION_DAYS = 14
REPORT_PARTS_RETENTION_DAYS = 2
# How long a received part stays hidden from other consumers. Locally no timeout stops a function, so
# this only has to outlast a slow part: one that runs longer would be handed out a second time.
LOCAL_REPORT_PART_VISIBILITY_SECONDS = 60
# The files bucket: SSE-KMS with an S3 bucket key (fewer KMS calls); on AWS the stage's own key.
FILES_ENCRYPTION = {"SSEAlgorithm": "aws:kms"}
FILES_BUCKET_KEY = True


AWS_SWEEP_LOOKAHEAD_SECONDS = 60


@dataclass(frozen=True)
class FunctionEnvironment:
    """Every function's environment, the same names on AWS and locally (values differ)."""

    stage: str
    table: str
    bucket: str
    public_base_url: str
    sender_email: str
    desk_email: str
    desk_topic_name: str
    desk_topic_arn: str
    notification_dlq_url: str
    report_queue_url: str
    user_pool_id: str
    user_pool_client_id: str
    region: str
    home_province: str
    timezone: str
    report_recipients: str
    link_signing_secret_name: str
    email_provider: str
    service_name: str
    metrics_namespace: str
    local: bool = False
    # Empty locally: files are linked by presigned S3 links, not through a CloudFront distribution.
    files_base_url: str = ""
    files_signing_key_id: str = ""
    files_signing_key_secret_name: str = ""

    def variables(self) -> dict[str, str]:
        return {
            "LOCAL_MODE": "true" if self.local else "false",
            "STAGE": self.stage,
            "TABLE_NAME": self.table,
            "BUCKET_NAME": self.bucket,
            "FILES_BASE_URL": self.files_base_url,
            "FILES_SIGNING_KEY_ID": self.files_signing_key_id,
            "FILES_SIGNING_KEY_SECRET_NAME": self.files_signing_key_secret_name,
            "PUBLIC_BASE_URL": self.public_base_url,
            "SENDER_EMAIL": self.sender_email,
            "DESK_EMAIL": self.desk_email,
            "DESK_TOPIC_NAME": self.desk_topic_name,
            "DESK_TOPIC_ARN": self.desk_topic_arn,
            "NOTIFICATION_DLQ_URL": self.notification_dlq_url,
            "REPORT_QUEUE_URL": self.report_queue_url,
            "COGNITO_USER_POOL_ID": self.user_pool_id,
            "COGNITO_CLIENT_ID": self.user_pool_client_id,
            "COGNITO_REGION": self.region,
            "HOME_PROVINCE": self.home_province,
            "TIMEZONE": self.timezone,
            "REPORT_RECIPIENTS": self.report_recipients,
            "LINK_SIGNING_SECRET_NAME": self.link_signing_secret_name,
            "EMAIL_PROVIDER": self.email_provider,
            "POWERTOOLS_SERVICE_NAME": self.service_name,
            "POWERTOOLS_METRICS_NAMESPACE": self.metrics_namespace,
            # On AWS sweeps start a minute apart: each also takes what falls due before the next starts.
            # Locally the clock may be moved under a waiting sweep, and the scheduler runs one job at a time.
            "SWEEP_LOOKAHEAD_SECONDS": "0" if self.local else str(AWS_SWEEP_LOOKAHEAD_SECONDS),
        }


def local_environment(settings: Settings, resources: dict[str, str], region: str) -> dict[str, str]:
    """The local functions' environment from what ``ensure_resources`` made (the Chalice dev server and
    the scheduler get it, as each Lambda function gets the stack's)."""
    return FunctionEnvironment(
        stage=LOCAL_STAGE, table=resources["table"], bucket=resources["bucket"],
        public_base_url=settings.public_base_url, sender_email=resources["sender"], desk_email=settings.desk_email,
        desk_topic_name=settings.desk_topic_name, desk_topic_arn=resources["desk_topic"],
        notification_dlq_url=resources["notification_dlq_url"], report_queue_url=resources["report_queue_url"],
        user_pool_id=resources["user_pool_id"], user_pool_client_id=resources["user_pool_client_id"], region=region,
        home_province=settings.home_province, timezone=settings.timezone,
        report_recipients=settings.report_recipients, link_signing_secret_name=resources["link_signing_secret"],
        email_provider=settings.email_provider, service_name="service-desk", metrics_namespace="ServiceDesk", local=True,
    ).variables()


def ensure_resources(settings: Settings) -> dict[str, str]:
    """Returns what it created or found, for the start-up banner and ``local_environment``."""
    pool_id, client_id = ensure_user_pool(LOCAL_STAFF_POOL)
    return {
        "table": _ensure_table(settings.table_name),
        "bucket": _ensure_bucket(settings.bucket_name, settings.public_base_url),
        "sender": _ensure_identity(settings.sender_email),
        "desk_topic": _ensure_topic(settings.desk_topic_name),
        "user_pool_id": pool_id,
        "user_pool_client_id": client_id,
        # The app sends report parts here (REPORT_QUEUE_URL); the local scheduler consumes them.
        "report_queue_url": _ensure_queue_with_dead_letters(
            REPORT_PARTS_QUEUE, REPORT_PARTS_DEAD_LETTER_QUEUE, LOCAL_REPORT_PART_VISIBILITY_SECONDS
        ),
        "notification_dlq_url": _ensure_queue(
            NOTIFICATION_DEAD_LETTER_QUEUE, {"MessageRetentionPeriod": str(DEAD_LETTER_RETENTION_DAYS * 24 * 3600)}
        ),
        "link_signing_secret": _ensure_secret(LINK_SIGNING_SECRET),
    }


def _ensure_secret(name: str) -> str:
    """A generated secret, as Secrets Manager makes the stack's at deploy time; returns its ARN."""
    manager = client("secretsmanager")
    try:
        return str(manager.describe_secret(SecretId=name)["ARN"])
    except manager.exceptions.ResourceNotFoundException:
        return str(manager.create_secret(Name=name, SecretString=secrets.token_urlsafe(48))["ARN"])


def _ensure_table(name: str) -> str:
    ddb = client("dynamodb")
    existing = ddb.list_tables()["TableNames"]
    if name not in existing:
        ddb.create_table(**schema.create_table_kwargs(name), DeletionProtectionEnabled=True)
        ddb.get_waiter("table_exists").wait(TableName=name)
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.TTL_ATTRIBUTE},
        )
        ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    else:
        _add_missing_indexes(ddb, name)
    return name


def _add_missing_indexes(ddb: Any, name: str) -> None:
    """A table kept from an older version gains the indexes added since (the stack's template does this
    on AWS); its items are indexed once written again, e.g. by ``python -m ops.reindex``."""
    have = {i["IndexName"] for i in ddb.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])}
    wanted = schema.create_table_kwargs(name)
    for index in wanted["GlobalSecondaryIndexes"]:
        if index["IndexName"] not in have:
            ddb.update_table(TableName=name, AttributeDefinitions=wanted["AttributeDefinitions"],
                             GlobalSecondaryIndexUpdates=[{"Create": index}])


def _ensure_bucket(name: str, app_origin: str) -> str:
    s3 = client("s3")
    buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if name not in buckets:
        region = s3.meta.region_name
        kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **kwargs)
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": FILES_ENCRYPTION, "BucketKeyEnabled": FILES_BUCKET_KEY}]
            },
        )
        s3.put_bucket_cors(
            Bucket=name,
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": [app_origin.rstrip("/")],
                        "AllowedMethods": ["POST", "GET"],
                        "AllowedHeaders": ["*"],
                        "MaxAgeSeconds": 3000,
                    }
                ]
            },
        )
    return name


def _ensure_identity(email: str) -> str:
    ses = client("ses")
    verified = ses.list_identities(IdentityType="EmailAddress")["Identities"]
    if email not in verified:
        ses.verify_email_identity(EmailAddress=email)
    return email


def _ensure_topic(name: str) -> str:
    # CreateTopic is itself idempotent: it returns the existing topic's ARN.
    return client("sns").create_topic(Name=name)["TopicArn"]


def _ensure_queue_with_dead_letters(name: str, dead_letter_name: str, visibility_seconds: int) -> str:
    """The queue and its dead-letter queue, with the redrive policy; returns the queue's URL."""
    dead_letters = _ensure_queue(dead_letter_name, {"MessageRetentionPeriod": str(DEAD_LETTER_RETENTION_DAYS * 24 * 3600)})
    dead_letter_arn = client("sqs").get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    redrive = {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": REPORT_PART_MAX_RECEIVES}
    return _ensure_queue(name, {
        "VisibilityTimeout": str(visibility_seconds), "RedrivePolicy": json.dumps(redrive),
        "MessageRetentionPeriod": str(REPORT_PARTS_RETENTION_DAYS * 24 * 3600),
    })


def _ensure_queue(name: str, attributes: dict[str, str]) -> str:
    # CreateQueue refuses an existing queue whose attributes differ: look it up first, then set them.
    sqs = client("sqs")
    try:
        url: str = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    return url
