"""Every per-stage setting of the deployment, in one place. Nothing here is secret.

Pick a stage with ``cdk deploy -c stage=prod``; without ``-c stage`` every stage is synthesized (CI).
Values an operator may want to change at deploy time without editing this file are CloudFormation
parameters instead (see ``stacks/service_desk.py``): the public URL and the SMS spend limit, whose
defaults come from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_logs as logs


@dataclass(frozen=True)
class StageSettings:
    name: str
    # Where customers and staff reach the app (custom domain, or the API URL printed after the first
    # deploy). It is the only origin S3 accepts browser uploads from (CORS). Empty: must be passed
    # as the PublicBaseUrl parameter.
    public_base_url: str
    # SES identity the app sends from: an email address, or a domain (then publish its DKIM records).
    sender_email: str
    ses_identity: str
    desk_email: str
    # US dollars per month SNS may spend on SMS. Above USD 1 AWS must first raise the account's
    # limit (a support case), otherwise the deployment fails while setting it.
    sms_monthly_spend_limit_usd: int
    # Photos and signed forms move to S3 Standard-IA after this many days.
    files_infrequent_access_after_days: int
    # Noncurrent (overwritten or deleted) object versions are kept this long, then expire.
    noncurrent_versions_kept_days: int
    # S3 server access logs for the files bucket, into a bucket of their own.
    files_access_logs: bool
    log_retention: logs.RetentionDays
    # Alarm when an overdue ticket has waited this long without being escalated.
    overdue_not_escalated_alarm_seconds: int
    # How email leaves: "ses", or "smtp" where SES does not exist (AWS China regions) or a company relay
    # must be used. For SMTP the stack makes a secret "SmtpPassword"; put the password in it after the
    # first deploy (aws secretsmanager put-secret-value), then deploy again.
    email_provider: str = "ses"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_username: str = ""
    # How SMS leave (the app's SMS_PROVIDER): "sns", or "aliyun" / "tencent", which mainland carriers
    # take as a registered signature and templates (docs/deploy.md). For those two the stack makes a
    # secret "SmsProviderKey" for the vendor's AccessKey secret or SecretKey: put the key in it after the
    # first deploy (aws secretsmanager put-secret-value). Not secret: the key's ID (AccessKey ID or
    # SecretId), the signature, the template codes (`python -m ops.sms_templates` lists the names) and
    # Tencent's SMS application.
    sms_provider: str = "sns"
    sms_sign_name: str = ""
    sms_template_codes: str = ""
    sms_key_id: str = ""
    tencent_sms_app_id: str = ""
    tencent_sms_region: str = "ap-guangzhou"
    # Who gets the monthly report (comma-separated emails). Empty: must be passed as the
    # ReportRecipients parameter.
    report_recipients: str = ""
    home_province: str = "CN-JS"
    timezone: str = "Asia/Shanghai"
    # API Gateway throttling: steady requests per second and burst for the whole stage, and tighter
    # limits on the anonymous routes that cost money (each report sends an SMS; each upload URL lets
    # a file into the bucket). Beyond them API Gateway answers 429.
    api_rate_limit: float = 50
    api_burst_limit: int = 100
    public_write_rate_limit: float = 2
    public_write_burst_limit: int = 5
    # AWS WAF: requests one source IP may make in any 5 minutes before it is blocked (rate-based rule;
    # AWS's minimum is 10).
    waf_requests_per_ip_per_5_minutes: int = 300
    # Lambda concurrency kept for the SLA sweep alone, so a flood of form posts cannot starve it. None:
    # none reserved (an account whose concurrency limit is still 10 cannot reserve any). A sweep waits up
    # to a minute for what falls due before the next one starts, so two run at once, three in a burst.
    sweep_reserved_concurrency: int | None = 3
    # Browser uploads (photos, scanned forms, archive imports) never attached to a ticket or imported
    # expire after this many days; attached ones are kept (their tag changes on attachment).
    unattached_uploads_expire_after_days: int = 3
    # SMS to customers and to staff share the account's one spend limit, so each is counted on its own
    # (the app's ServiceDesk/SmsSent and SmsFailed, by audience) and alarmed on at these hourly volumes:
    # customers' confirmations, quotes and reminders (a script pumping the form), and staff escalations
    # (a ladder gone wrong). Any staff SMS refused alarms at once; the spend alarm fires at this share of
    # the monthly limit.
    customer_sms_per_hour_alarm: int = 100
    staff_sms_per_hour_alarm: int = 50
    sms_spend_alarm_share: float = 0.8
    # Cognito: staff must use an authenticator app in prod. The local stack is provisioned like dev
    # (chalicelib/adapters/provision.py, LOCAL_MFA_REQUIRED; tests/infra checks they agree).
    require_mfa: bool = True


STAGES: dict[str, StageSettings] = {
    "dev": StageSettings(
        name="dev",
        public_base_url="",
        sender_email="noreply@dev.service-desk.example.com",
        ses_identity="noreply@dev.service-desk.example.com",
        desk_email="desk@dev.service-desk.example.com",
        sms_monthly_spend_limit_usd=1,
        files_infrequent_access_after_days=30,
        noncurrent_versions_kept_days=7,
        files_access_logs=False,
        log_retention=logs.RetentionDays.ONE_MONTH,
        overdue_not_escalated_alarm_seconds=15 * 60,
        require_mfa=False,
        customer_sms_per_hour_alarm=20,
        staff_sms_per_hour_alarm=20,
        api_rate_limit=10,
        api_burst_limit=20,
        waf_requests_per_ip_per_5_minutes=300,
        sweep_reserved_concurrency=None,
    ),
    "prod": StageSettings(
        name="prod",
        public_base_url="",
        sender_email="noreply@service-desk.example.com",
        ses_identity="service-desk.example.com",
        desk_email="desk@service-desk.example.com",
        sms_monthly_spend_limit_usd=50,
        files_infrequent_access_after_days=90,
        noncurrent_versions_kept_days=90,
        files_access_logs=True,
        log_retention=logs.RetentionDays.ONE_YEAR,
        overdue_not_escalated_alarm_seconds=15 * 60,
        api_rate_limit=50,
        api_burst_limit=100,
        waf_requests_per_ip_per_5_minutes=600,
        sweep_reserved_concurrency=3,
    ),
}
