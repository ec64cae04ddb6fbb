"""Creates the table, bucket, sending identity, staff topic and report-parts queue when they are missing.

Used by the local stack at start-up and by tests; on AWS the CDK stack in ``infra/`` owns these.
Every step is idempotent: running it against resources that exist changes nothing.
"""

from __future__ import annotations

import json

from chalicelib.adapters import schema
from chalicelib.adapters.aws import client
from chalicelib.adapters.cognito import ensure_user_pool
from chalicelib.settings import REPORT_PARTS_QUEUE, Settings

STAFF_POOL_NAME = "service-desk-staff"
REPORT_PARTS_DEAD_LETTER_QUEUE = f"{REPORT_PARTS_QUEUE}-dlq"
# A part that failed this many times is parked in the dead-letter queue (the stack's value too).
REPORT_PART_MAX_RECEIVES = 3
# How long a received part stays hidden from other consumers. Locally no timeout stops a function, so
# this only has to outlast a slow part: one that runs longer would be handed out a second time.
LOCAL_REPORT_PART_VISIBILITY_SECONDS = 60


def ensure_resources(settings: Settings) -> dict[str, str]:
    """Returns what it created or found, for the start-up banner (and the staff pool's ids, which the
    app needs in ``COGNITO_USER_POOL_ID`` / ``COGNITO_CLIENT_ID``)."""
    pool_id, client_id = ensure_user_pool(STAFF_POOL_NAME)
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
    }


def _ensure_table(name: str) -> str:
    ddb = client("dynamodb")
    existing = ddb.list_tables()["TableNames"]
    if name not in existing:
        ddb.create_table(**schema.create_table_kwargs(name))
        ddb.get_waiter("table_exists").wait(TableName=name)
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.TTL_ATTRIBUTE},
        )
    return name


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
    dead_letters = _ensure_queue(dead_letter_name, {"MessageRetentionPeriod": str(14 * 24 * 3600)})
    dead_letter_arn = client("sqs").get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    redrive = {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": REPORT_PART_MAX_RECEIVES}
    return _ensure_queue(name, {"VisibilityTimeout": str(visibility_seconds), "RedrivePolicy": json.dumps(redrive)})


def _ensure_queue(name: str, attributes: dict[str, str]) -> str:
    # CreateQueue refuses an existing queue whose attributes differ: look it up first, then set them.
    sqs = client("sqs")
    try:
        url: str = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    return url
