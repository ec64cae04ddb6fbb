"""Creates the table, bucket, sending identity and staff topic when they are missing.

Used by the local stack at start-up and by tests; on AWS the CDK stack in ``infra/`` owns these.
Every step is idempotent: running it against resources that exist changes nothing.
"""

from __future__ import annotations

from chalicelib.adapters import schema
from chalicelib.adapters.aws import client
from chalicelib.adapters.cognito import ensure_user_pool
from chalicelib.settings import Settings

STAFF_POOL_NAME = "service-desk-staff"


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
