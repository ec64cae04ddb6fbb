"""Every setting the app reads, in one place, validated once (through ``chalicelib.settings.get_settings``).

Each field is an environment variable (upper-cased name, e.g. ``TABLE_NAME``). The defaults are safe
for the local stack; production values come from the Chalice stage config or the CDK stack.
The README's "Configuration" table is generated from this model's descriptions, so keep them short.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict


def _on_aws(default: Any, description: str) -> Any:
    """A setting AWS must provide: outside local mode, empty or still its local default is refused."""
    return Field(default, description=description, json_schema_extra={"required_on_aws": True})


def _required_on_aws(field: FieldInfo) -> bool:
    return isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("required_on_aws") is True


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    table_name: str = _on_aws("service-desk", description="DynamoDB table holding tickets, events and outbox")
    bucket_name: str = _on_aws("service-desk-files", description="S3 bucket for photos and acceptance forms")
    public_base_url: str = _on_aws(
        "http://127.0.0.1:8000", description="Base URL customers and staff reach the app at (links in messages)"
    )
    upload_base_url: str = Field(
        "",
        description="Base URL browsers upload to S3 with; empty means the S3 endpoint boto3 uses",
    )
    # Stored files are served through CloudFront on AWS (it adds X-Content-Type-Options, which S3 links
    # cannot carry); the stack makes the distribution for every stage. Locally: presigned S3 links.
    files_base_url: str = _on_aws(
        "",
        description="CloudFront address browsers fetch stored files from (signed URLs); empty: presigned S3 links (local)",
    )
    files_signing_key_id: str = _on_aws(
        "", description="ID of the CloudFront public key whose private key signs the files' URLs"
    )
    files_signing_key_secret_name: str = _on_aws(
        "", description="Secrets Manager name or ARN of that private key (PEM), read at run time"
    )
    sender_email: str = _on_aws("noreply@service-desk.local", description="SES identity messages are sent from")
    email_provider: Literal["ses", "smtp"] = Field(
        "ses", description="How email leaves: Amazon SES, or an SMTP server (AWS China has no SES)"
    )
    smtp_host: str = Field("", description="SMTP server, when EMAIL_PROVIDER=smtp")
    smtp_port: int = Field(587, description="SMTP port (587 STARTTLS, 465 implicit TLS, 25 local relay)")
    smtp_security: Literal["starttls", "tls", "none"] = Field("starttls", description="SMTP transport security")
    smtp_username: str = Field("", description="SMTP user name; empty for no authentication")
    smtp_password: str = Field("", description="SMTP password, local only: on AWS it is read from the secret below")
    smtp_password_secret_name: str = Field(
        "", description="Secrets Manager name or ARN of the SMTP password (read at run time; set on AWS)"
    )
    sms_provider: Literal["sns", "aliyun", "tencent"] = Field(
        "sns", description="How SMS leave: Amazon SNS (the text), or Alibaba/Tencent Cloud SMS (registered templates)"
    )
    sms_sign_name: str = Field(
        "", description="Signature (签名) registered with Alibaba/Tencent Cloud SMS, e.g. 售后服务"
    )
    sms_template_codes: str = Field(
        "",
        description="Carrier template code of each SMS, `<name>.<language>=<code>` comma-separated "
        "(`python -m ops.sms_templates` lists the names)",
    )
    aliyun_sms_access_key_id: str = Field("", description="Alibaba Cloud AccessKey ID allowed to send SMS")
    aliyun_sms_access_key_secret: str = Field(
        "", description="Its AccessKey secret, local only: on AWS it is read from the secret below"
    )
    aliyun_sms_access_key_secret_name: str = Field(
        "", description="Secrets Manager name or ARN of the Alibaba Cloud AccessKey secret (SMS_PROVIDER=aliyun)"
    )
    aliyun_sms_endpoint: str = Field("https://dysmsapi.aliyuncs.com", description="Alibaba Cloud SMS API endpoint")
    tencent_sms_secret_id: str = Field("", description="Tencent Cloud SecretId allowed to send SMS")
    tencent_sms_secret_key: str = Field(
        "", description="Its SecretKey, local only: on AWS it is read from the secret below"
    )
    tencent_sms_secret_key_secret_name: str = Field(
        "", description="Secrets Manager name or ARN of the Tencent Cloud SecretKey (SMS_PROVIDER=tencent)"
    )
    tencent_sms_app_id: str = Field("", description="Tencent Cloud SMS application (SmsSdkAppId)")
    tencent_sms_region: str = Field("ap-guangzhou", description="Tencent Cloud region of the SMS API")
    tencent_sms_endpoint: str = Field("https://sms.tencentcloudapi.com", description="Tencent Cloud SMS API endpoint")
    desk_email: str = _on_aws("desk@service-desk.local", description="Service desk mailbox told of every new ticket")
    desk_topic_name: str = Field("service-desk-new-tickets", description="SNS topic staff subscribe to for new tickets")
    desk_topic_arn: str = _on_aws(
        "", description="ARN of that topic; empty means look it up by name (local), set it on AWS"
    )
    home_province: str = Field("CN-JS", description="ISO 3166-2 code of the company's province (in-province rules)")
    timezone: str = Field("Asia/Shanghai", description="Time zone of calendars and of times shown to people")
    max_photo_bytes: int = Field(10 * 1024 * 1024, description="Largest photo a customer may upload")
    upload_url_seconds: int = Field(900, description="How long a presigned upload stays valid")
    idempotency_seconds: int = Field(24 * 3600, description="How long a submitted form's idempotency key is remembered")
    idempotency_lock_seconds: float = Field(
        10, gt=0, description="How long a request that died mid-submission blocks a retry of the same form"
    )
    idempotency_wait_seconds: float = Field(
        20, ge=0, description="How long a repeated form waits for the first one still being submitted (then 409)"
    )
    webhook_cache_seconds: float = Field(
        60,
        ge=0,
        description="How long a function keeps the webhook subscriptions it read (every ticket write "
        "consults them): one made or removed by another function takes effect within this",
    )
    # Limits on the anonymous front door (the form and POST /api/requests); the desk's own entries are
    # never limited. A plant reporting several machines at once stays well under them; a script does not.
    intake_limit_phone_per_hour: int = Field(
        5, ge=1, description="Reports one phone number may send per clock hour; more are answered 429"
    )
    # Looser than per phone: mobile carriers put many customers behind one address (carrier-grade NAT).
    intake_limit_ip_per_hour: int = Field(
        20, ge=1, description="Reports one IP address may send per clock hour; more are answered 429"
    )
    confirmation_sms_per_phone_per_day: int = Field(
        3, ge=0, description="Confirmation SMS one number gets per UTC day; later reports are accepted, email only"
    )
    international_sms: bool = Field(
        False, description="Send confirmation SMS to numbers outside China (+86); email goes either way"
    )
    local_mode: bool = Field(False, description="Enables local-only pages (the outbox); never set on AWS")
    aws_endpoint_url: str = Field(
        "", description="Endpoint of the local AWS stand-in; empty on AWS (boto3 reads AWS_ENDPOINT_URL too)"
    )
    due_shards: int = Field(4, description="Partitions of the sparse 'due' index that the sweeps query")
    sweep_workers: int = Field(
        16, ge=1, le=64, description="Due tickets a sweep, and messages a delivery run, handle at once (threads)"
    )
    sweep_lookahead_seconds: int = Field(
        0,
        ge=0,
        le=90,
        description="How far ahead a sweep also takes deadlines, waiting for each one's moment "
        "(60 on AWS, where sweeps start a minute apart; 0: only what is due)",
    )
    notification_max_attempts: int = Field(8, description="Deliveries tried before a message is marked failed")
    notification_dlq_url: str = _on_aws(
        "", description="SQS queue for notifications given up on (alarmed on AWS); empty: none (local)"
    )
    escalation_climb_minutes: int = Field(
        60, description="Minutes an unacknowledged breach waits before it climbs to the next level"
    )
    warn_share: float = Field(0.75, description="Share of a deadline's target at which its owner is warned")
    link_signing_secret: str = Field(
        "local-only-link-secret-change-me",
        description="Secret that signs links in messages, local only: on AWS it is read from the secret below",
    )
    link_signing_secret_name: str = _on_aws(
        "", description="Secrets Manager name or ARN of the link-signing secret (read at run time, cached)"
    )
    cognito_user_pool_id: str = _on_aws("", description="Cognito user pool of staff; local: found by name at start-up")
    cognito_client_id: str = _on_aws("", description="Cognito app client the sign-in page uses")
    cognito_region: str = Field("us-east-1", description="Region of the user pool (part of the tokens' issuer)")
    cognito_jwks_url: str = Field(
        "", description="Where the pool's signing keys are; empty means Cognito's own URL (set locally)"
    )
    clock_file: str = Field(
        "", description='Local mode only: a JSON file {"offset_seconds": N} that moves the app\'s clock (tests)'
    )
    report_recipients: str = _on_aws(
        "", description="Comma-separated emails of the managers who get the monthly report on the 1st"
    )
    report_recurring_faults: int = Field(
        3, description="Fault tickets of one product model in a month that the report flags as recurring"
    )
    report_queue_url: str = _on_aws(
        "",
        description="SQS queue of monthly-report parts (one per day of the month, built in parallel); "
        "empty: the parts are built one after another in the same process",
    )
    report_read_workers: int = Field(
        16, ge=1, le=64, description="Timelines a report part reads from DynamoDB at once (threads)"
    )
    survey_link_days: int = Field(
        30, ge=1, le=365, description="Days a satisfaction survey link works after the job was approved"
    )

    def missing_on_aws(self) -> tuple[str, ...]:
        """The variables AWS must set that are unset or still local defaults; none in local mode."""
        if self.local_mode:
            return ()
        missing = [
            name.upper()
            for name, field in type(self).model_fields.items()
            if _required_on_aws(field) and getattr(self, name) in ("", field.default)
        ]
        if self.email_provider == "smtp" and not self.smtp_host:
            missing.append("SMTP_HOST")
        if self.email_provider == "smtp" and self.smtp_username and not self.smtp_password_secret_name:
            missing.append("SMTP_PASSWORD_SECRET_NAME")
        missing += self._missing_for_sms()
        return tuple(missing)

    def _missing_for_sms(self) -> list[str]:
        """A template carrier needs its account, its secret in Secrets Manager, the sign name and codes."""
        needs = {
            "sns": (),
            "aliyun": ("aliyun_sms_access_key_id", "aliyun_sms_access_key_secret_name"),
            "tencent": ("tencent_sms_secret_id", "tencent_sms_secret_key_secret_name", "tencent_sms_app_id"),
        }[self.sms_provider]
        if needs:
            needs += ("sms_sign_name", "sms_template_codes")
        return [name.upper() for name in needs if not getattr(self, name)]

    @property
    def report_recipient_list(self) -> tuple[str, ...]:
        return tuple(a.strip() for a in self.report_recipients.split(",") if a.strip())


# The environment variables every function on AWS must be given (the stack's test checks it does).
REQUIRED_ON_AWS: tuple[str, ...] = tuple(
    name.upper() for name, field in Settings.model_fields.items() if _required_on_aws(field)
)
