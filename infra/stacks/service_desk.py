"""One stage of the service desk on AWS: the Chalice app and everything it uses.

The Chalice app is packaged by Chalice's own CDK construct (the same package ``chalice package`` makes);
this stack creates the resources around it and then adjusts each Lambda function of the packaged
template: its own IAM role, its log group, for scheduled functions a dead-letter queue, and for queue
functions (``on_sqs_message``) the stack's own queue in place of the one Chalice names.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import (
    ArnFormat,
    Aws,
    CfnOutput,
    CfnParameter,
    CfnResource,
    Duration,
    Fn,
    RemovalPolicy,
    Stack,
    Tags,
)
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_wafv2 as wafv2
from aws_cdk import custom_resources as cr
from chalice.app import SQSEventConfig
from chalice.cdk import Chalice
from chalice.utils import to_cfn_resource_name
from constructs import Construct
from stages import StageSettings

from chalicelib.adapters import keys, schema
from chalicelib.adapters.cognito import API_RESOURCE_SERVER, MACHINE_ROLES
from chalicelib.adapters.provision import (
    DEAD_LETTER_RETENTION_DAYS,
    REPORT_PART_MAX_RECEIVES,
    REPORT_PARTS_RETENTION_DAYS,
    STAFF_GROUPS,
    STAFF_PASSWORD_POLICY,
    FunctionEnvironment,
)
from chalicelib.adapters.s3_files import ATTACHED_TAG, UNATTACHED
from chalicelib.adapters.sms_metrics import FAILED as SMS_FAILED_METRIC
from chalicelib.adapters.sms_metrics import SENT as SMS_SENT_METRIC
from chalicelib.domain.closure import FORMS_PREFIX
from chalicelib.domain.escalation import CHAT_SECRET_PREFIX
from chalicelib.domain.sms_budget import SmsAudience
from chalicelib.domain.uploads import PHOTO_PREFIX
from chalicelib.domain.webhooks import SECRET_PREFIX as WEBHOOK_SECRET_PREFIX
from chalicelib.services.archive import IMPORTS_PREFIX
from chalicelib.services.reports import BUILD_PARTS_PREFIX
from chalicelib.settings import REPORT_PARTS_QUEUE
from stacks import bytecode, package_contents
from stacks.suppressions import skip_checks

# Published by the SLA sweep through Powertools metrics (namespace from POWERTOOLS_METRICS_NAMESPACE,
# which adds the "service" dimension from POWERTOOLS_SERVICE_NAME).
METRICS_NAMESPACE = "ServiceDesk"
SERVICE_NAME = "service-desk"
OVERDUE_METRIC = "OldestOverdueTicketNotEscalatedSeconds"
# Years deadlines may reach soon (this one; the next from November) without an official holiday schedule.
CALENDAR_GAP_METRIC = "HolidayCalendarYearsNotOfficial"
# Published by the delivery job (chalicelib/web/jobs.py): messages it sent, and gave up on, in a run.
DELIVERED_METRIC = "MessagesSent"
FAILED_METRIC = "MessagesFailed"

# The monthly report fans out: the nightly job queues one part per day of the month, and report_part
# builds each (the one that finishes the last part assembles and sends the report). A part reads
# about a day of tickets and their timelines; 300 s leaves room for a busy day. 1,769 MB is one full
# vCPU on Lambda (CPU comes with memory).
REPORT_PART_TIMEOUT_SECONDS = 300
REPORT_PART_MEMORY_MB = 1769
# AWS's advice for a queue that feeds a function: a visibility timeout of six times the function's
# timeout, so a message is not handed out again while a run (with the poller's retries) may still be on.
REPORT_PARTS_VISIBILITY_SECONDS = 6 * REPORT_PART_TIMEOUT_SECONDS

# Anonymous routes that cost money or storage: a report (an SMS and an email each), an upload URL.
# The tag that marks the topics this stack's functions may publish to (value: the stack's name). IAM
# names a topic by ARN, but a Publish to a phone number has none, so "every topic but ours" can only be
# said by a Deny on SNS ARNs whose tag is not ours.
PUBLISH_TAG = "service-desk:published-by"
PUBLIC_WRITE_ROUTES = ("/requests", "/api/requests", "/api/uploads/photos")
RATE_RULE = "RequestsPerSourceIp"
# Gets reserved concurrency (stages.py): escalations go on however busy the form is.
SWEEP_FUNCTION = "SlaSweep"
# What the files' distribution says of every stored file it serves: a photo or a form is never run,
# framed, or guessed at. An image opened on its own still shows; nothing in it may load or execute.
FILES_CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
# S3 applies these overrides of a signed link (the checked type, inline or attachment); CloudFront
# forwards them and keeps one cached copy per answer.
FILES_RESPONSE_OVERRIDES = ("response-content-type", "response-content-disposition")
# Where an operator puts the PEM public key before the first deploy (docs/deploy.md): not secret, but
# made outside the repository with its private key.
FILES_PUBLIC_KEY_PARAMETER = "/service-desk/{stage}/files-signing-public-key"
# The Chinese font the PDFs embed, fontTools, which cuts it (chalicelib/services/pdf_font.py), and
# pypdfium2, which draws a filed form's first page (services/form_preview.py): too big for the deployment
# package, so a layer; segno, which draws the QR codes (label sheets, authenticator enrolment), with them. infra/install.sh builds it from Debian's fonts-wqy-microhei and PyPI's wheels.
PDF_FONT_LAYER_DIR = Path(__file__).resolve().parents[1] / ".pdf-font-layer"
# cryptography, with cffi whose _cffi_backend its bindings load: PyJWT verifies staff sign-in tokens (RS256)
# with it, and the stored files' CloudFront links are signed with it. Its compiled core is most of 5 MiB
# zipped, so a layer for the functions that do either, not a part of the package every function deploys.
# infra/install.sh builds it from PyPI's wheels (requirements-cryptography.txt).
CRYPTOGRAPHY_LAYER_DIR = Path(__file__).resolve().parents[1] / ".cryptography-layer"
# openpyxl, with et_xmlfile: the archive's .xlsx imports (read) and the monthly report's .xlsx (written). Pure
# Python, but about 0.25 MB zipped that every function would deploy for the two that read or write a
# spreadsheet. infra/install.sh builds it from PyPI's wheels (requirements-spreadsheet.txt).
SPREADSHEET_LAYER_DIR = Path(__file__).resolve().parents[1] / ".spreadsheet-layer"
# The AWS SDK (requirements-sdk.txt), which the bytecode layer carries with its compiled modules: with
# PYTHONPYCACHEPREFIX set Python no longer reads the runtime's SDK's own .pyc. infra/install.sh fetches it.
SDK_LAYER_DIR = Path(__file__).resolve().parents[1] / ".sdk-layer"
# The bytecode layer's folder by the SHA-256 of the package it compiles: the stages package the same app,
# so one synth compiles it once (a few seconds) and their layers are one asset.
_BYTECODE_FOLDERS: dict[str, Path] = {}

_ALL_INDEXES = tuple(schema.GLOBAL_INDEXES)
_READ_WRITE = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    # TransactWriteItems is authorized per contained action; ConditionCheck is one of them.
    "dynamodb:ConditionCheckItem",
)
# A new report's archive look-up: one PartiQL SELECT naming the partitions it reads; statements that
# would scan the table are denied (``_statements``).
_PARTIQL_SELECT = "dynamodb:PartiQLSelect"


@dataclass(frozen=True)
class FunctionAccess:
    """What one Lambda function of the app may touch. Each function gets a role made from this."""

    table_actions: tuple[str, ...]
    # Global secondary indexes the function queries (by name from chalicelib/adapters/keys.py).
    indexes: tuple[str, ...]
    files: bool
    sends_notifications: bool
    # Invoked asynchronously (schedules): failed invocations go to the dead-letter queue.
    asynchronous: bool
    # Reads and writes the monthly reports' files (``reports/*`` of the files bucket) and nothing else there.
    report_files: bool = False
    # Lists the members of a staff group (the supervisor's dispatch form offers the technicians).
    lists_staff: bool = False
    # Reads a staff member's phone and email: a technician's own deadlines warn him, and an SMS to him
    # given up on names him to his supervisors.
    reads_staff_contacts: bool = False
    # Reads report files that may not exist yet (the month's report before its first assembly): without
    # s3:ListBucket, S3 answers 403 instead of NoSuchKey for a missing key.
    lists_report_files: bool = False
    # Starts a monthly-report build: queues its parts (sqs:SendMessage on the report-parts queue).
    starts_reports: bool = False
    # Fed by the report-parts queue: its event source mapping receives and deletes with this role.
    builds_report_parts: bool = False
    # Draws PDFs (the acceptance form, nameplate label sheets) and pictures of them: gets the PDF font layer.
    draws_pdfs: bool = False
    # Verifies staff sign-in tokens (RS256) or signs stored files' links (RSA): gets the cryptography layer.
    uses_rsa: bool = False
    # Reads or writes .xlsx files (archive imports, the monthly report's rows): gets the spreadsheet layer.
    uses_spreadsheets: bool = False


# Keyed by the logical id `chalice package` gives each function (CamelCase of its Python name;
# the routes share one function, APIHandler). A new @app.schedule or @app.on_sqs_message needs an
# entry here: synthesis stops with an error until it has one, so no function ever runs with a
# borrowed role.
FUNCTION_ACCESS: dict[str, FunctionAccess] = {
    # Pages and JSON API: intake (idempotency records are deleted when a submission fails, hence
    # DeleteItem), tracking, uploads, and the first delivery attempt of new-ticket notifications. The
    # reports page starts a build of a month never built, or again on request (queues its parts).
    "APIHandler": FunctionAccess(
        table_actions=(*_READ_WRITE, _PARTIQL_SELECT),
        indexes=_ALL_INDEXES,
        files=True,
        sends_notifications=True,
        asynchronous=False,
        lists_staff=True,
        starts_reports=True,
        draws_pdfs=True,
        uses_rsa=True,
        # The archive's spreadsheet imports (the report's .xlsx are made by ReportPart: a build is queued).
        uses_spreadsheets=True,
    ),
    # Every minute: sends outbox messages that are due (queried from the sparse "due" index); a monthly
    # report that failed to send is retried from its stored email (reports/*).
    "DeliverNotifications": FunctionAccess(
        table_actions=tuple(a for a in _READ_WRITE if a != "dynamodb:DeleteItem"),
        indexes=(keys.GSI_DUE,),
        files=False,
        sends_notifications=True,
        asynchronous=True,
        report_files=True,
        reads_staff_contacts=True,
    ),
    # Nightly: until last month's report has gone out (its claim), starts a build unless one is still
    # running (the month's build records: GetItem, Query), records the new build (PutItem) and queues
    # its parts. It reads no tickets and sends nothing itself: ReportPart does both.
    "MonthlyReport": FunctionAccess(
        table_actions=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"),
        indexes=(),
        files=False,
        sends_notifications=False,
        asynchronous=True,
        starts_reports=True,
    ),
    # One message of the report-parts queue: reads a day of the month's tickets (the "by_month" index)
    # and their timelines, stores the part under reports/, marks it done on the build's record
    # (UpdateItem). The one that completes the build merges the parts, stores the report and, for
    # the nightly build, stores its email, claims the month and queues one message per manager in
    # one transaction, and sends them.
    "ReportPart": FunctionAccess(
        table_actions=(
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:Query",
            "dynamodb:ConditionCheckItem",
        ),
        indexes=(keys.GSI_MONTH,),
        files=False,
        sends_notifications=True,
        asynchronous=False,
        report_files=True,
        lists_report_files=True,
        builds_report_parts=True,
        # The assembled report's rows as .xlsx, stored and attached to its email.
        uses_spreadsheets=True,
    ),
    # Daily: reads the week's maintenance visits (a Query by month, no index), the products and
    # customers they belong to, and claims each reminder with its messages in one transaction.
    "MaintenanceReminders": FunctionAccess(
        table_actions=(
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:Query",
            "dynamodb:ConditionCheckItem",
        ),
        indexes=(),
        files=False,
        sends_notifications=True,
        asynchronous=True,
    ),
    # Every minute: warns and escalates tickets whose deadline is due (the "due" index again), writes
    # claims and events in one transaction, and sends the escalation messages.
    "SlaSweep": FunctionAccess(
        table_actions=tuple(a for a in _READ_WRITE if a != "dynamodb:DeleteItem"),
        indexes=(keys.GSI_DUE,),
        files=False,
        sends_notifications=True,
        asynchronous=True,
        reads_staff_contacts=True,
    ),
}

# Functions that need another timeout (s) or memory (MB) than the stage config's 30 s / 512 MB. Set on
# the packaged functions: Chalice's construct does not apply "lambda_functions" of its stage config
# (it looks for them only in .chalice/config.json, under a stage named after the construct's scope).
FUNCTION_SIZES: dict[str, tuple[int, int]] = {
    # Only starts the month's build (queues its parts); ReportPart does the work.
    "MonthlyReport": (60, 512),
    "ReportPart": (REPORT_PART_TIMEOUT_SECONDS, REPORT_PART_MEMORY_MB),
    # A burst of due tickets or messages: bench/floor.py measures ~0.25 s of waiting on AWS and providers
    # per due ticket, so 2,000 (a run's most) at SWEEP_WORKERS=16 take ~30 s; two minutes leaves room.
    # The sweep also waits up to its look-ahead (60 s) for deadlines falling due before the next run, and
    # a burst may fall due at its end: three minutes.
    # Threads wait, they do not compute: 1 GB gives the vCPU the JSON and the schedules need.
    "SlaSweep": (180, 1024),
    "DeliverNotifications": (120, 1024),
}

# Lambda checks that do not fit these functions, with why; applied to every function of the app.
_LAMBDA_SKIPS: dict[str, str] = {
    "CKV_AWS_117": "No VPC: the functions reach only AWS APIs (DynamoDB, S3, SES, SNS) and team chats' "
    "webhooks (HTTPS); a VPC would add "
    "NAT gateways or endpoints and cost without reducing exposure.",
    "CKV_AWS_115": "No reserved concurrency: the app is the only workload of its account and new accounts "
    "(limit 10) cannot reserve any; throttles are alarmed on instead. The SLA sweep gets some where the "
    "stage reserves it (stages.py).",
}


class _TrimmedChalice(Chalice):
    """Chalice's construct, whose package leaves out what no function reads (stacks/package_contents.py):
    trimmed right after ``chalice package`` made it, before the construct makes it the functions' code."""

    def _package_app(self) -> None:
        super()._package_app()
        package_contents.trim(Path(self._sam_package_dir) / "deployment.zip")


class ServiceDeskStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageSettings, source_dir: str, **kwargs):
        super().__init__(scope, construct_id, description=f"After-sales service desk ({stage.name})", **kwargs)
        self.stage = stage
        self.smtp_password: secretsmanager.Secret | None = None  # made with the SMTP settings, if any
        self.sms_provider_key: secretsmanager.Secret | None = None  # made for Alibaba/Tencent Cloud SMS
        Tags.of(self).add("app", SERVICE_NAME)
        Tags.of(self).add("stage", stage.name)

        public_base_url = CfnParameter(
            self,
            "PublicBaseUrl",
            type="String",
            default=stage.public_base_url or None,
            allowed_pattern=r"^https://[^/\s]+(/\S*)?$",
            description="https URL customers and staff open (custom domain, or the EndpointURL output of "
            "the first deploy). Its origin is the only one S3 accepts browser uploads from.",
        ).value_as_string
        sms_spend_limit = CfnParameter(
            self,
            "SmsMonthlySpendLimitUsd",
            type="Number",
            default=stage.sms_monthly_spend_limit_usd,
            min_value=0,
            description="Most USD per month SNS may spend on SMS (above 1, AWS must raise the account limit first).",
        ).value_as_string
        report_recipients = CfnParameter(
            self,
            "ReportRecipients",
            type="String",
            default=stage.report_recipients or None,
            allowed_pattern=r"^[^@,\s]+@[^@,\s]+(,[^@,\s]+@[^@,\s]+)*$",
            description="Comma-separated emails of the managers who get the monthly report on the 1st.",
        ).value_as_string

        self.api_name = f"{SERVICE_NAME}-{stage.name}"
        self.key = self._key()
        self.table = self._table()
        self.files = self._files_bucket(app_origin=_origin_of(public_base_url))
        self.files_distribution, self.files_public_key, self.files_signing_key = self._files_distribution()
        self.user_pool, self.user_pool_client = self._staff_directory()
        self.ses_identity_arn, self.ses_configuration_set_arn = self._email()
        self.desk_topic = sns.Topic(
            self, "DeskTopic", display_name="Service desk: new tickets", master_key=self.key, enforce_ssl=True
        )
        Tags.of(self.desk_topic).add(PUBLISH_TAG, self.stack_name)
        self._sms_settings(sms_spend_limit)
        self.dead_letters = sqs.Queue(
            self,
            "NotificationDeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=Duration.days(DEAD_LETTER_RETENTION_DAYS),
        )
        self.report_parts, self.report_part_dead_letters = self._report_parts_queue()
        # Signs the acknowledge links in escalation messages. Generated by Secrets Manager at deploy time,
        # so it is in no file; the functions read it at run time (its ARN is in their environment).
        self.link_signing_secret = secretsmanager.Secret(
            self,
            "LinkSigningSecret",
            description=f"Signs links in escalation messages ({stage.name})",
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=RemovalPolicy.RETAIN,
        )
        skip_checks(
            self.link_signing_secret,
            {
                "CKV2_AWS_57": "Rotating it would invalidate every acknowledge link already sent (they live 14 "
                "days); rotate by hand with a deploy when needed.",
            },
        )
        self.alarm_topic = sns.Topic(
            self, "AlarmTopic", display_name="Service desk alarms", master_key=self.key, enforce_ssl=True
        )

        self.app = _TrimmedChalice(
            self,
            "App",
            source_dir=source_dir,
            stage_config=self._chalice_stage_config(public_base_url, report_recipients),
        )
        self._harden_api()
        self.pdf_font_layer = self._layer(
            "PdfFontLayer",
            PDF_FONT_LAYER_DIR,
            "WenQuanYi Micro Hei (Apache-2.0), fontTools, pypdfium2, segno: the PDFs' font, previews, QR codes",
        )
        self.cryptography_layer = self._layer(
            "CryptographyLayer",
            CRYPTOGRAPHY_LAYER_DIR,
            "cryptography and cffi: staff sign-in tokens (RS256), stored files' signed links",
        )
        self.spreadsheet_layer = self._layer(
            "SpreadsheetLayer",
            SPREADSHEET_LAYER_DIR,
            "openpyxl and et_xmlfile: the archive's .xlsx imports, the monthly report's .xlsx",
        )
        self.bytecode_layer = self._bytecode_layer()
        functions = self._app_functions()
        self._connect_queues(functions)
        for logical_id, function in functions.items():
            self._harden_function(logical_id, function)
        self._alarms(functions)
        self._dashboard(functions)
        self._outputs()

    # -- resources ------------------------------------------------------------------------------

    def _key(self) -> kms.Key:
        # One customer-managed key per stage for the table, bucket, topics, queue and logs: unlike the
        # AWS-managed keys it can be shared with CloudWatch (alarms to an encrypted topic) and CloudWatch
        # Logs, its use is visible in CloudTrail per stage, and access can be cut off by its policy.
        key = kms.Key(
            self,
            "DataKey",
            alias=f"alias/{SERVICE_NAME}-{self.stage.name}",
            description=f"Encrypts the service desk's data ({self.stage.name})",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                    "kms:GenerateDataKey",
                    "kms:DescribeKey",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                    }
                },
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsToEncryptedTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        return key

    def _layer(self, construct_id: str, directory: Path, description: str) -> lambda_.LayerVersion:
        if not (directory / "python").is_dir():
            raise ValueError(f"{directory} is missing: run infra/install.sh (make install) to build it")
        return lambda_.LayerVersion(
            self,
            construct_id,
            code=lambda_.Code.from_asset(str(directory)),
            # infra/install.sh takes the wheels built for it (PDFium, cryptography's core, cffi).
            compatible_architectures=[lambda_.Architecture.X86_64],
            description=description,
        )

    def _bytecode_layer(self) -> lambda_.LayerVersion:
        """The AWS SDK and the compiled modules of the package just made, of the layers and of the standard
        library, for every function (stacks/bytecode.py): a cold start then imports instead of compiling."""
        if not (SDK_LAYER_DIR / "python").is_dir():
            raise ValueError(f"{SDK_LAYER_DIR} is missing: run infra/install.sh (make install) to fetch it")
        # The construct's packaging folder (in infra/app.py's scratch folder): deployment.zip is the package
        # the functions deploy, so the bytecode is of exactly those sources.
        packaged = Path(self.app._sam_package_dir)
        package = packaged / "deployment.zip"
        digest = hashlib.sha256(package.read_bytes()).hexdigest()
        folder = _BYTECODE_FOLDERS.get(digest)
        if folder is None:
            folder = _BYTECODE_FOLDERS[digest] = packaged / "bytecode-layer"
            shutil.copytree(SDK_LAYER_DIR / "python", folder / "python")
            with tempfile.TemporaryDirectory(prefix="package-") as unpacked, zipfile.ZipFile(package) as archive:
                archive.extractall(unpacked)
                layers = [PDF_FONT_LAYER_DIR, CRYPTOGRAPHY_LAYER_DIR, SPREADSHEET_LAYER_DIR, folder]
                bytecode.build(folder / Path(bytecode.PREFIX).name, Path(unpacked), layers)
        return lambda_.LayerVersion(
            self,
            "BytecodeLayer",
            code=lambda_.Code.from_asset(str(folder)),
            compatible_architectures=[lambda_.Architecture.X86_64],
            description="The AWS SDK; compiled modules (checked-hash .pyc) of the package, layers, standard library",
        )

    def _report_parts_queue(self) -> tuple[sqs.Queue, sqs.Queue]:
        """The queue of monthly-report parts that feeds ``report_part``, and its dead-letter queue: a part
        that failed REPORT_PART_MAX_RECEIVES times waits there (alarmed) instead of being retried forever."""
        dead_letters = sqs.Queue(
            self,
            "ReportPartDeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=Duration.days(DEAD_LETTER_RETENTION_DAYS),
        )
        parts = sqs.Queue(
            self,
            "ReportParts",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            # One data key serves many messages: fewer KMS calls from the senders and the poller.
            data_key_reuse=Duration.hours(1),
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(REPORT_PARTS_VISIBILITY_SECONDS),
            retention_period=Duration.days(REPORT_PARTS_RETENTION_DAYS),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=REPORT_PART_MAX_RECEIVES, queue=dead_letters),
        )
        return parts, dead_letters

    def _table(self) -> dynamodb.Table:
        """Built from chalicelib/adapters/schema.py, the definition the local stack creates too."""
        definition = schema.create_table_kwargs("unused")
        types = {a["AttributeName"]: a["AttributeType"] for a in definition["AttributeDefinitions"]}

        def attribute(name: str) -> dynamodb.Attribute:
            return dynamodb.Attribute(name=name, type=_ATTRIBUTE_TYPES[types[name]])

        def key_of(key_schema: list[dict[str, str]], kind: str) -> dynamodb.Attribute:
            return attribute(next(k["AttributeName"] for k in key_schema if k["KeyType"] == kind))

        if definition["BillingMode"] != "PAY_PER_REQUEST":
            raise ValueError("the stack provisions on-demand tables only; update it with the schema")
        table = dynamodb.Table(
            self,
            "Table",
            partition_key=key_of(definition["KeySchema"], "HASH"),
            sort_key=key_of(definition["KeySchema"], "RANGE"),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            time_to_live_attribute=schema.TTL_ATTRIBUTE,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in definition["GlobalSecondaryIndexes"]:
            table.add_global_secondary_index(
                index_name=index["IndexName"],
                partition_key=key_of(index["KeySchema"], "HASH"),
                sort_key=key_of(index["KeySchema"], "RANGE"),
                projection_type=_PROJECTIONS[index["Projection"]["ProjectionType"]],
            )
        return table

    def _files_bucket(self, *, app_origin: str) -> s3.Bucket:
        access_logs = None
        if self.stage.files_access_logs:
            access_logs = s3.Bucket(
                self,
                "FilesAccessLogs",
                # S3 server access logs can only be delivered to a bucket encrypted with SSE-S3.
                encryption=s3.BucketEncryption.S3_MANAGED,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                versioned=True,
                # Log delivery is granted by a bucket policy (CDK adds it), no ACLs.
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                lifecycle_rules=[
                    s3.LifecycleRule(
                        id="expire-access-logs",
                        expiration=Duration.days(365),
                        noncurrent_version_expiration=Duration.days(30),
                    )
                ],
                removal_policy=RemovalPolicy.RETAIN,
            )
            skip_checks(
                access_logs,
                {
                    "CKV_AWS_18": "This is the access-log bucket; logging its own access would loop.",
                    "CKV_AWS_145": "S3 server access logs can only be delivered to SSE-S3 buckets, not SSE-KMS.",
                },
            )
        bucket = s3.Bucket(
            self,
            "Files",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            # Phones upload photos straight to S3 with a presigned POST and the pages show them with
            # presigned GETs; only the app's own origin may do either from a browser.
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.POST, s3.HttpMethods.GET],
                    allowed_origins=[app_origin],
                    allowed_headers=["Content-Type"],
                    max_age=3000,
                )
            ],
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="cheaper-class-for-old-files",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(self.stage.files_infrequent_access_after_days),
                        )
                    ],
                    noncurrent_version_expiration=Duration.days(self.stage.noncurrent_versions_kept_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                # A monthly report's parts matter only until their build is assembled (minutes);
                # a week leaves time to look into a build that stalled.
                s3.LifecycleRule(
                    id="expire-report-build-parts",
                    prefix=BUILD_PARTS_PREFIX,
                    expiration=Duration.days(7),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                # Anyone may ask for an upload URL, so what is uploaded and never attached must not pile
                # up. Uploads stay at their key once attached: only the tag says which to keep (the app
                # retags on attachment; files it writes itself carry no tag and never match).
                *(
                    s3.LifecycleRule(
                        id=f"expire-unattached-{prefix.split('/')[-2]}",
                        prefix=prefix,
                        tag_filters={ATTACHED_TAG: UNATTACHED},
                        expiration=Duration.days(self.stage.unattached_uploads_expire_after_days),
                        noncurrent_version_expiration=Duration.days(1),
                    )
                    for prefix in (PHOTO_PREFIX, FORMS_PREFIX, IMPORTS_PREFIX)
                ),
            ],
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="files/" if access_logs else None,
            removal_policy=RemovalPolicy.RETAIN,
        )
        skips = {
            "CKV_AWS_144": "No cross-region replication: versioning protects against overwrites and deletes; "
            "a second region is not a requirement of the service desk and would double storage cost.",
        }
        if access_logs is None:
            skips["CKV_AWS_18"] = f"Server access logs are switched off for stage {self.stage.name} (stages.py)."
        skip_checks(bucket, skips)
        return bucket

    def _files_distribution(self) -> tuple[cloudfront.Distribution, cloudfront.PublicKey, secretsmanager.Secret]:
        """CloudFront in front of the files bucket: the only way in besides the app's own role (origin
        access control), HTTPS only, answering only URLs signed with the stage's key, and adding to every
        file the headers a presigned S3 link cannot carry (``X-Content-Type-Options: nosniff``)."""
        encoded_key = CfnParameter(
            self,
            "FilesSigningPublicKey",
            type="AWS::SSM::Parameter::Value<String>",
            default=FILES_PUBLIC_KEY_PARAMETER.format(stage=self.stage.name),
            description="SSM parameter holding the PEM public key CloudFront checks the files' signed URLs "
            "with (docs/deploy.md: its private key goes in the FilesSigningKey secret).",
        ).value_as_string
        public_key = cloudfront.PublicKey(
            self, "FilesSigningPublicKeyItem", encoded_key=encoded_key,
            comment=f"Checks the signed links to stored files ({self.stage.name})",
        )
        key_group = cloudfront.KeyGroup(self, "FilesKeyGroup", items=[public_key],
                                        comment=f"Signers of links to stored files ({self.stage.name})")
        signing_key = secretsmanager.Secret(
            self,
            "FilesSigningKey",
            description=f"PEM private key that signs links to stored files ({self.stage.name})",
            encryption_key=self.key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        skip_checks(signing_key, {
            "CKV2_AWS_57": "Rotated with its public key: a new pair in the SSM parameter and here, then a "
            "deploy (docs/deploy.md); links already sent live minutes.",
        })
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "FilesHeaders",
            comment="Stored files: never sniffed, framed or run",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=FILES_CONTENT_SECURITY_POLICY, override=True
                ),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
            ),
        )
        cache = cloudfront.CachePolicy(
            self,
            "FilesCache",
            comment="A stored file as its signed link asks for it (type and disposition)",
            query_string_behavior=cloudfront.CacheQueryStringBehavior.allow_list(*FILES_RESPONSE_OVERRIDES),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            min_ttl=Duration.seconds(0),
            default_ttl=Duration.minutes(5),
            max_ttl=Duration.hours(1),
        )
        distribution = cloudfront.Distribution(
            self,
            "FilesDistribution",
            comment=f"Stored files of the service desk ({self.stage.name}), signed links only",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(
                    self.files, origin_access_levels=[cloudfront.AccessLevel.READ]
                ),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cache,
                response_headers_policy=headers,
                trusted_key_groups=[key_group],
                compress=False,  # photos and PDFs are compressed already
            ),
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
        )
        skip_checks(distribution, {
            "CKV_AWS_68": "Every request needs a URL signed by the app for minutes; CloudFront refuses the rest "
            "before S3 is asked. The API, where anyone may post, has its WAF.",
            "CKV2_AWS_47": "No WAF on the files' distribution (signed links only, see CKV_AWS_68).",
            "CKV_AWS_86": "Standard logs need a bucket with ACLs; each signed link is made by a logged request "
            "of the app, and CloudFront's metrics count what it served. Follow-up in docs/deploy.md.",
            "CKV_AWS_174": "The default *.cloudfront.net certificate fixes the TLS policy; a custom domain "
            "with its certificate would set TLSv1.2_2021.",
            "CKV2_AWS_42": "A custom domain and certificate are optional (docs/deploy.md); links are made by the "
            "app, people never type the address.",
            "CKV_AWS_305": "No default root object: the distribution serves stored files by their keys only.",
            "CKV_AWS_310": "One origin, the stage's bucket; there is no second copy to fail over to.",
        })
        CfnOutput(self, "FilesDomainName", value=distribution.distribution_domain_name,
                  description="Where browsers fetch stored files (signed links)")
        CfnOutput(self, "FilesSigningKeyArn", value=signing_key.secret_arn,
                  description="Put the PEM private key of the files' key pair here (aws secretsmanager put-secret-value)")
        return distribution, public_key, signing_key

    def _staff_directory(self) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        pool = cognito.UserPool(
            self,
            "Staff",
            self_sign_up_enabled=False,  # staff accounts are created by an admin
            # People sign in with the login an admin gives them (li.gong); it is also the name timelines,
            # dispatch lists and reports show. Email as username would make Cognito store a UUID instead.
            sign_in_aliases=cognito.SignInAliases(username=True),
            sign_in_case_sensitive=False,
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            mfa=cognito.Mfa.REQUIRED if self.stage.require_mfa else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=STAFF_PASSWORD_POLICY.min_length,
                require_lowercase=STAFF_PASSWORD_POLICY.require_lowercase,
                require_uppercase=STAFF_PASSWORD_POLICY.require_uppercase,
                require_digits=STAFF_PASSWORD_POLICY.require_digits,
                require_symbols=STAFF_PASSWORD_POLICY.require_symbols,
                temp_password_validity=Duration.days(STAFF_PASSWORD_POLICY.temporary_password_days),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for group in STAFF_GROUPS:
            cognito.CfnUserPoolGroup(
                self,
                f"Group{group.title().replace('_', '')}",
                user_pool_id=pool.user_pool_id,
                group_name=group,
                description=f"Staff role {group}",
            )
        client = pool.add_client(
            "StaffWeb",
            generate_secret=False,
            # The app's sign-in page (server side, over TLS) uses USER_PASSWORD_AUTH.
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        # Integrations (an ERP, a CRM) call the staff API with an access token of their own app client
        # (client credentials, made by `python -m ops.api_clients`), whose scopes name the roles it may
        # act in; the token endpoint lives on the pool's domain.
        pool.add_resource_server(
            "ApiScopes",
            identifier=API_RESOURCE_SERVER,
            user_pool_resource_server_name=f"{SERVICE_NAME} staff API",
            scopes=[cognito.ResourceServerScope(scope_name=role, scope_description=f"act as {role}")
                    for role in sorted(MACHINE_ROLES)],
        )
        domain = pool.add_domain(
            "TokenDomain",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=f"{SERVICE_NAME}-{self.stage.name}-{Aws.ACCOUNT_ID}"),
        )
        CfnOutput(self, "ApiTokenEndpoint", value=f"{domain.base_url()}/oauth2/token",
                  description="Where integrations exchange their client id and secret for an access token")
        return pool, client

    def _email(self) -> tuple[str, str]:
        configuration_set = ses.ConfigurationSet(
            self,
            "MailConfiguration",
            reputation_metrics=True,
            sending_enabled=True,
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
            tls_policy=ses.ConfigurationSetTlsPolicy.REQUIRE,
        )
        identity_name = self.stage.ses_identity
        identity = ses.Identity.email(identity_name) if "@" in identity_name else ses.Identity.domain(identity_name)
        # Messages from this identity use the configuration set by default, so the app need not name it.
        ses.EmailIdentity(self, "Sender", identity=identity, configuration_set=configuration_set)
        identity_arn = self.format_arn(service="ses", resource="identity", resource_name=identity_name)
        configuration_set_arn = self.format_arn(
            service="ses", resource="configuration-set", resource_name=configuration_set.configuration_set_name
        )
        return identity_arn, configuration_set_arn

    def _sms_settings(self, monthly_spend_limit_usd: str) -> None:
        """SNS SMS preferences are account settings with no CloudFormation resource: SetSMSAttributes it is."""
        call = cr.AwsSdkCall(
            service="SNS",
            action="SetSMSAttributes",
            parameters={
                "attributes": {
                    # Ticket notices are transactional: higher delivery priority, sent at any hour.
                    "DefaultSMSType": "Transactional",
                    "MonthlySpendLimit": monthly_spend_limit_usd,
                }
            },
            physical_resource_id=cr.PhysicalResourceId.of(f"{SERVICE_NAME}-{self.stage.name}-sms-settings"),
        )
        log_group = logs.LogGroup(
            self,
            "SmsSettingsLogs",
            retention=self.stage.log_retention,
            encryption_key=self.key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        settings = cr.AwsCustomResource(
            self,
            "SmsSettings",
            on_create=call,
            on_update=call,
            # Deleting the stack leaves the account's SMS settings as they are.
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(
                        # SetSMSAttributes acts on the account and supports no resource ARN.
                        actions=["sns:SetSMSAttributes"],
                        resources=["*"],
                    )
                ]
            ),
            install_latest_aws_sdk=False,
            log_group=log_group,
        )
        # The provider function is a CDK singleton: annotate it like the app's functions.
        provider = self.node.find_child("AWS679f53fac002430cb0da5b7982bd2287")
        skip_checks(
            provider,
            {
                **_LAMBDA_SKIPS,
                "CKV_AWS_173": "CDK's provider function has no environment variables to encrypt.",
                "CKV_AWS_116": "CloudFormation invokes this custom-resource provider synchronously and reports "
                "a failure as a failed deployment; a dead-letter queue would hold nothing useful.",
            },
        )
        settings.node.add_dependency(log_group)

    # -- the Chalice app ------------------------------------------------------------------------

    def _chalice_stage_config(self, public_base_url: str, report_recipients: str) -> dict:
        return {
            # Named after the stage, never "api": the JSON API is mounted at /api, and API Gateway puts
            # the stage in front of every path on its own domain (/prod/api/..., not /api/api/...).
            "api_gateway_stage": self.stage.name,
            # Roles are made per function below (FUNCTION_ACCESS); Chalice makes none. This ARN is only
            # a placeholder that _harden_function replaces for every function.
            "manage_iam_role": False,
            "iam_role_arn": f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/replaced-per-function",
            "autogen_policy": False,
            "xray": True,
            # Every function's; FUNCTION_SIZES sets the exceptions on the packaged functions.
            "lambda_memory_size": 512,
            "lambda_timeout": 30,
            # The same names the local stack sets (chalicelib/adapters/provision.py).
            "environment_variables": {
                **FunctionEnvironment(
                    stage=self.stage.name,
                    table=self.table.table_name,
                    bucket=self.files.bucket_name,
                    public_base_url=public_base_url,
                    sender_email=self.stage.sender_email,
                    desk_email=self.stage.desk_email,
                    desk_topic_name=self.desk_topic.topic_name,
                    desk_topic_arn=self.desk_topic.topic_arn,
                    notification_dlq_url=self.dead_letters.queue_url,
                    report_queue_url=self.report_parts.queue_url,
                    user_pool_id=self.user_pool.user_pool_id,
                    user_pool_client_id=self.user_pool_client.user_pool_client_id,
                    region=Aws.REGION,
                    home_province=self.stage.home_province,
                    timezone=self.stage.timezone,
                    report_recipients=report_recipients,
                    link_signing_secret_name=self.link_signing_secret.secret_arn,
                    email_provider=self.stage.email_provider,
                    service_name=SERVICE_NAME,
                    metrics_namespace=METRICS_NAMESPACE,
                    files_base_url=f"https://{self.files_distribution.distribution_domain_name}",
                    files_signing_key_id=self.files_public_key.public_key_id,
                    files_signing_key_secret_name=self.files_signing_key.secret_arn,
                ).variables(),
                **self._email_environment(),
                **self._sms_provider_environment(),
                # Python reads compiled modules from the bytecode layer (_bytecode_layer), not compiling
                # the package's sources again on every cold start: /var/task is read-only.
                "PYTHONPYCACHEPREFIX": bytecode.PREFIX,
            },
        }

    def _email_environment(self) -> dict[str, str]:
        """SES needs nothing more; SMTP needs its server, and a password kept in Secrets Manager."""
        if self.stage.email_provider != "smtp":
            return {}
        self.smtp_password = password = secretsmanager.Secret(
            self,
            "SmtpPassword",
            description="Password of the SMTP account the service desk sends from",
            encryption_key=self.key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        skip_checks(password, {"CKV2_AWS_57": "The mail provider owns this password; rotate it there, then here."})
        return {
            "SMTP_HOST": self.stage.smtp_host,
            "SMTP_PORT": str(self.stage.smtp_port),
            "SMTP_SECURITY": self.stage.smtp_security,
            "SMTP_USERNAME": self.stage.smtp_username,
            "SMTP_PASSWORD_SECRET_NAME": password.secret_arn,
        }

    def _sms_provider_environment(self) -> dict[str, str]:
        """SNS needs nothing more; Alibaba and Tencent Cloud SMS need the registered signature and
        templates, the key's ID, and the key itself in a secret only the functions may read."""
        stage = self.stage
        if stage.sms_provider == "sns":
            return {}
        needs = ["sms_sign_name", "sms_template_codes", "sms_key_id"]
        if stage.sms_provider == "tencent":
            needs.append("tencent_sms_app_id")
        elif stage.sms_provider != "aliyun":
            raise ValueError(f"stage {stage.name}: sms_provider must be sns, aliyun or tencent")
        missing = [name for name in needs if not getattr(stage, name)]
        if missing:
            raise ValueError(f"stage {stage.name}: SMS through {stage.sms_provider} needs {', '.join(missing)} "
                             "in infra/stages.py")
        vendor = "Alibaba Cloud AccessKey secret" if stage.sms_provider == "aliyun" else "Tencent Cloud SecretKey"
        self.sms_provider_key = key = secretsmanager.Secret(
            self,
            "SmsProviderKey",
            description=f"{vendor} the service desk sends SMS with ({stage.name})",
            encryption_key=self.key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        skip_checks(key, {"CKV2_AWS_57": "The SMS vendor issues this key; rotate it in its console, then here."})
        CfnOutput(self, "SmsProviderKeyArn", value=key.secret_arn,
                  description="Put the SMS vendor's key here (aws secretsmanager put-secret-value)")
        common = {
            "SMS_PROVIDER": stage.sms_provider,
            "SMS_SIGN_NAME": stage.sms_sign_name,
            "SMS_TEMPLATE_CODES": stage.sms_template_codes,
        }
        if stage.sms_provider == "aliyun":
            return {**common, "ALIYUN_SMS_ACCESS_KEY_ID": stage.sms_key_id,
                    "ALIYUN_SMS_ACCESS_KEY_SECRET_NAME": key.secret_arn}
        return {**common, "TENCENT_SMS_SECRET_ID": stage.sms_key_id, "TENCENT_SMS_SECRET_KEY_SECRET_NAME": key.secret_arn,
                "TENCENT_SMS_APP_ID": stage.tencent_sms_app_id, "TENCENT_SMS_REGION": stage.tencent_sms_region}

    def _harden_api(self) -> None:
        api = self.app.get_resource("RestAPI")
        api.add_property_override("TracingEnabled", True)
        # Named per stage: two stages in one account must not share the name metrics are kept under.
        api.add_property_override("Name", self.api_name)
        stage = self.stage
        # Every route, then the anonymous writes that cost money, each with its own bucket of requests.
        # Per-method metrics on those give the dashboard its intake rate.
        api.add_property_override("MethodSettings", [
            {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": stage.api_rate_limit,
             "ThrottlingBurstLimit": stage.api_burst_limit},
            *({"ResourcePath": "/" + path.replace("/", "~1"), "HttpMethod": "POST", "MetricsEnabled": True,
               "ThrottlingRateLimit": stage.public_write_rate_limit,
               "ThrottlingBurstLimit": stage.public_write_burst_limit} for path in PUBLIC_WRITE_ROUTES),
        ])
        self._web_acl()
        skip_checks(
            api,
            {
                "CKV_AWS_120": "No API caching: every response is per customer or per request (forms, tracking "
                "pages, uploads); a cache would serve stale or another customer's data.",
                "CKV_AWS_76": "Access logging needs the account-wide API Gateway CloudWatch role, which one "
                "stack cannot own for all stages; the Lambda logs record every request meanwhile. Follow-up "
                "in docs/deploy.md.",
            },
        )

    def _web_acl(self) -> None:
        """AWS WAF in front of the API stage: one source IP is blocked after too many requests, and
        AWS's managed rules drop common exploits and known bad inputs."""

        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            )

        def managed(priority: int, name: str, count_only: tuple[str, ...] = ()) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name,
                        rule_action_overrides=[
                            wafv2.CfnWebACL.RuleActionOverrideProperty(
                                name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                            )
                            for rule in count_only
                        ] or None,
                    )
                ),
                visibility_config=visibility(name),
            )

        acl = wafv2.CfnWebACL(
            self,
            "ApiFirewall",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility(f"{SERVICE_NAME}-{self.stage.name}"),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name=RATE_RULE,
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=self.stage.waf_requests_per_ip_per_5_minutes,
                            aggregate_key_type="IP",
                            evaluation_window_sec=300,
                        )
                    ),
                    visibility_config=visibility(RATE_RULE),
                ),
                # A technician's drawn signature is posted in the form body and may pass 8 KB: counted only.
                managed(1, "AWSManagedRulesCommonRuleSet", count_only=("SizeRestrictions_BODY",)),
                managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
            ],
        )
        skip_checks(acl, {
            "CKV2_AWS_31": "WAF logging needs a log group named aws-waf-logs-*, kept for the account; the rules' "
            "CloudWatch metrics and sampled requests show what was blocked meanwhile.",
        })
        association = wafv2.CfnWebACLAssociation(
            self,
            "ApiFirewallAssociation",
            web_acl_arn=acl.attr_arn,
            resource_arn=f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}::/restapis/"
            f"{self.app.get_resource('RestAPI').ref}/stages/{self.stage.name}",
        )
        # The stage SAM makes from the API (RestAPI<stage>Stage) must exist before WAF can attach to it.
        association.add_override("DependsOn", ["RestAPI", f"RestAPI{self.stage.name}Stage"])

    def _app_functions(self) -> dict[str, CfnResource]:
        functions = {
            _original_id(child): child
            for child in self.app.sam_template.node.children
            if isinstance(child, CfnResource) and child.cfn_resource_type == "AWS::Serverless::Function"
        }
        unknown = sorted(set(functions) - set(FUNCTION_ACCESS))
        if unknown:
            raise ValueError(
                f"Lambda function(s) {', '.join(unknown)} have no entry in FUNCTION_ACCESS "
                "(infra/stacks/service_desk.py): say what each may access before it can be deployed."
            )
        unsized = sorted(set(FUNCTION_SIZES) - set(functions))
        if unsized:
            raise ValueError(f"FUNCTION_SIZES names function(s) the app does not have: {', '.join(unsized)}")
        return functions

    def _connect_queues(self, functions: dict[str, CfnResource]) -> None:
        """Points each ``on_sqs_message`` function's event source at this stack's queue.

        Chalice packages ``on_sqs_message(queue=NAME)`` as an SQS event whose queue ARN it builds from
        NAME in the deploying account and region. The stack's queues have generated names (two stages
        can share an account) and KMS encryption, so the event is pointed at the queue itself."""
        import app as chalice_app  # the project's app.py, the module the construct has just packaged

        queues = {REPORT_PARTS_QUEUE: self.report_parts}
        for source in chalice_app.app.event_sources:
            if not isinstance(source, SQSEventConfig):
                continue
            queue = queues.get(source.queue or "")
            if queue is None:
                raise ValueError(
                    f"Lambda function {source.name} reads queue {source.queue or source.queue_arn!r}, which this "
                    "stack does not create (infra/stacks/service_desk.py, _connect_queues)."
                )
            function = functions[to_cfn_resource_name(source.name)]
            # The event's name in the packaged template, as Chalice's packager gives it.
            event = to_cfn_resource_name(f"{source.name}-sqs-event-source")
            function.add_property_override(f"Events.{event}.Properties.Queue", queue.queue_arn)

    def _harden_function(self, logical_id: str, function: CfnResource) -> None:
        access = FUNCTION_ACCESS[logical_id]
        log_group = logs.LogGroup(
            self,
            f"{logical_id}Logs",
            retention=self.stage.log_retention,
            encryption_key=self.key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        role = iam.Role(
            self,
            f"{logical_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Lambda function {logical_id} of the service desk ({self.stage.name})",
        )
        for statement in self._statements(access, log_group):
            role.add_to_principal_policy(statement)
        policy = role.node.find_child("DefaultPolicy")
        if access.sends_notifications:
            skip_checks(
                policy,
                {
                    "CKV_AWS_111": "sns:Publish to a phone number has no resource ARN, so IAM can only match it "
                    "against '*' (statement SmsToPhoneNumbers); everything else names its resource.",
                },
            )

        function.add_property_override("Role", role.role_arn)
        if logical_id in FUNCTION_SIZES:
            timeout, memory = FUNCTION_SIZES[logical_id]
            function.add_property_override("Timeout", timeout)
            function.add_property_override("MemorySize", memory)
        function.add_property_override("LoggingConfig", {"LogGroup": log_group.log_group_name})
        layers = [
            layer.layer_version_arn
            for wanted, layer in (
                (access.draws_pdfs, self.pdf_font_layer),
                (access.uses_rsa, self.cryptography_layer),
                (access.uses_spreadsheets, self.spreadsheet_layer),
            )
            if wanted
        ]
        # Every function: PYTHONPYCACHEPREFIX (_chalice_stage_config) points to it.
        function.add_property_override("Layers", [*layers, self.bytecode_layer.layer_version_arn])
        # The environment holds no secret (only secrets' ARNs), but names the stage's resources.
        function.add_property_override("KmsKeyArn", self.key.key_arn)
        # Lambda checks at creation that the role may write to the dead-letter queue: policy first.
        function.node.add_dependency(policy)
        skips = dict(_LAMBDA_SKIPS)
        if logical_id == SWEEP_FUNCTION and self.stage.sweep_reserved_concurrency is not None:
            function.add_property_override("ReservedConcurrentExecutions", self.stage.sweep_reserved_concurrency)
            del skips["CKV_AWS_115"]
        if access.asynchronous:
            function.add_property_override("DeadLetterQueue", {"Type": "SQS", "TargetArn": self.dead_letters.queue_arn})
        elif access.builds_report_parts:
            skips["CKV_AWS_116"] = (
                "Invoked synchronously by its SQS event source mapping: a failed part goes back to the queue "
                "and, after its maxReceiveCount, to the report-parts dead-letter queue (alarmed)."
            )
        else:
            skips["CKV_AWS_116"] = (
                "Invoked synchronously by API Gateway: the caller gets the error, a dead-letter queue "
                "applies to asynchronous invocations only."
            )
        skip_checks(function, skips)

    def _statements(self, access: FunctionAccess, log_group: logs.LogGroup) -> list[iam.PolicyStatement]:
        table_arn = self.table.table_arn
        statements = [
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="Table",
                actions=list(access.table_actions),
                resources=[table_arn],
            ),
            *(
                [iam.PolicyStatement(
                    sid="NoTableScanByPartiQL",
                    effect=iam.Effect.DENY,
                    actions=[_PARTIQL_SELECT],
                    resources=[table_arn],
                    conditions={"Bool": {"dynamodb:FullTableScan": "true"}},
                )]
                if _PARTIQL_SELECT in access.table_actions
                else []
            ),
            iam.PolicyStatement(
                sid="KeyThroughServicesOnly",
                actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                resources=[self.key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": [
                            f"{service}.{Aws.REGION}.amazonaws.com"
                            # lambda: the environment is encrypted with it; secretsmanager: the secrets.
                            for service in ("dynamodb", "s3", "sns", "sqs", "lambda", "secretsmanager")
                        ]
                    }
                },
            ),
            iam.PolicyStatement(
                sid="Tracing",
                # X-Ray has no resource-level permissions for these two actions.
                actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                resources=["*"],
            ),
        ]
        if access.indexes:
            statements.append(
                iam.PolicyStatement(
                    sid="TableIndexes",
                    actions=["dynamodb:Query"],
                    resources=[f"{table_arn}/index/{name}" for name in access.indexes],
                )
            )
        if access.files:
            statements += [
                iam.PolicyStatement(
                    sid="Files",
                    # PutObject signs the browsers' presigned POST uploads (PutObjectTagging too, as they
                    # carry a tag, and retags an upload once attached); GetObject the presigned views.
                    actions=["s3:PutObject", "s3:PutObjectTagging", "s3:GetObject", "s3:DeleteObject"],
                    resources=[self.files.arn_for_objects("*")],
                ),
                iam.PolicyStatement(
                    sid="FilesMissingIs404",
                    # Without ListBucket S3 answers 403 instead of NoSuchKey for an upload never made.
                    actions=["s3:ListBucket"],
                    resources=[self.files.bucket_arn],
                ),
            ]
        if access.lists_staff:
            statements.append(
                iam.PolicyStatement(
                    sid="StaffDirectory",
                    # The group's members for the dispatch form; a technician's phone and email for his notice.
                    actions=["cognito-idp:ListUsersInGroup", "cognito-idp:AdminGetUser"],
                    resources=[self.user_pool.user_pool_arn],
                )
            )
            statements.append(
                iam.PolicyStatement(
                    sid="IntegrationClients",
                    # The administrator's page of integrations' app clients (web/api_clients_page.py); the
                    # resource server with their scopes stays the stack's.
                    actions=[
                        "cognito-idp:ListUserPoolClients",
                        "cognito-idp:DescribeUserPoolClient",
                        "cognito-idp:CreateUserPoolClient",
                        "cognito-idp:DeleteUserPoolClient",
                    ],
                    resources=[self.user_pool.user_pool_arn],
                )
            )
        elif access.reads_staff_contacts:
            statements.append(
                iam.PolicyStatement(
                    sid="StaffContacts",
                    # A technician's phone and email, never the list of who is in a group.
                    actions=["cognito-idp:AdminGetUser"],
                    resources=[self.user_pool.user_pool_arn],
                )
            )
        if access.report_files:
            statements.append(
                iam.PolicyStatement(
                    sid="ReportFiles",
                    actions=["s3:PutObject", "s3:GetObject"],
                    resources=[self.files.arn_for_objects("reports/*")],
                )
            )
        if access.lists_report_files:
            statements.append(
                iam.PolicyStatement(
                    sid="ReportFilesMissingIs404",
                    # Lists key names only; reading objects stays limited to reports/* above.
                    actions=["s3:ListBucket"],
                    resources=[self.files.bucket_arn],
                )
            )
        if access.starts_reports:
            statements.append(
                iam.PolicyStatement(
                    sid="QueueReportParts",
                    # Also authorizes SendMessageBatch.
                    actions=["sqs:SendMessage"],
                    resources=[self.report_parts.queue_arn],
                )
            )
        if access.builds_report_parts:
            statements.append(
                iam.PolicyStatement(
                    sid="ReceiveReportParts",
                    # What Lambda's event source mapping does with the function's role.
                    actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                    resources=[self.report_parts.queue_arn],
                )
            )
        if access.sends_notifications:
            statements += [
                iam.PolicyStatement(
                    sid="Email",
                    actions=["ses:SendEmail", "ses:SendRawEmail"],
                    resources=[self.ses_identity_arn, self.ses_configuration_set_arn],
                    conditions={"StringEquals": {"ses:FromAddress": self.stage.sender_email}},
                ),
                iam.PolicyStatement(
                    sid="DeskTopic",
                    actions=["sns:Publish"],
                    resources=[self.desk_topic.topic_arn],
                ),
                iam.PolicyStatement(
                    sid="SmsToPhoneNumbers",
                    # A Publish to a PhoneNumber has no resource ARN to name: IAM matches it against "*".
                    actions=["sns:Publish"],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="NoOtherTopics",
                    # What "*" above would also allow: any other topic (or push endpoint) of the account.
                    # The pattern matches ARNs only, so SMS to phone numbers stay allowed.
                    effect=iam.Effect.DENY,
                    actions=["sns:Publish"],
                    resources=[f"arn:{Aws.PARTITION}:sns:*:*:*"],
                    conditions={"StringNotEquals": {f"aws:ResourceTag/{PUBLISH_TAG}": self.stack_name}},
                ),
            ]
        # Every function may sign or check links and send email, with secrets read at run time.
        statements.append(
            iam.PolicyStatement(
                sid="ReadSecrets",
                actions=["secretsmanager:GetSecretValue"],
                resources=[s.secret_arn for s in (self.link_signing_secret, self.files_signing_key, self.smtp_password,
                                                  self.sms_provider_key) if s is not None],
            )
        )
        # Team chats' robots and webhook receivers' signing secrets: each roster or subscription names
        # its secret, made by an operator under its prefix (docs/deploy.md); the prefix keeps a roster or
        # a subscription from pointing the functions at any other secret.
        for sid, prefix in (("ReadTeamChatRobots", CHAT_SECRET_PREFIX), ("ReadWebhookSecrets", WEBHOOK_SECRET_PREFIX)):
            statements.append(
                iam.PolicyStatement(
                    sid=sid,
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[self.format_arn(service="secretsmanager", resource="secret",
                                               resource_name=f"{prefix}*", arn_format=ArnFormat.COLON_RESOURCE_NAME)],
                )
            )
        # Every function delivers notifications, and parks the ones it gives up on in the queue
        # (scheduled functions' failed runs land there too, through their dead-letter config).
        statements.append(
            iam.PolicyStatement(sid="DeadLetters", actions=["sqs:SendMessage"], resources=[self.dead_letters.queue_arn])
        )
        return statements

    # -- monitoring -----------------------------------------------------------------------------

    def _alarms(self, functions: dict[str, CfnResource]) -> None:
        action = cloudwatch_actions.SnsAction(self.alarm_topic)
        five_minutes = Duration.minutes(5)

        def published(metric_name: str, period: Duration) -> cloudwatch.Metric:
            """The highest value the app published in ``period`` (Powertools metrics, EMF)."""
            return cloudwatch.Metric(
                namespace=METRICS_NAMESPACE, metric_name=metric_name, dimensions_map={"service": SERVICE_NAME},
                statistic="Maximum", period=period,
            )

        def alarm(
            construct_id: str,
            metric: cloudwatch.IMetric,
            threshold: float,
            description: str,
            missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
        ) -> None:
            cloudwatch.Alarm(
                self,
                construct_id,
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=missing,
                alarm_description=description,
            ).add_alarm_action(action)

        for logical_id, function in functions.items():
            for metric_name in ("Errors", "Throttles"):
                alarm(
                    f"{logical_id}{metric_name}Alarm",
                    cloudwatch.Metric(
                        namespace="AWS/Lambda",
                        metric_name=metric_name,
                        dimensions_map={"FunctionName": function.ref},
                        statistic="Sum",
                        period=five_minutes,
                    ),
                    1,
                    f"{logical_id}: {metric_name.lower()} in the last 5 minutes ({self.stage.name})",
                )
        alarm(
            "NotificationDeadLettersAlarm",
            self.dead_letters.metric_approximate_number_of_messages_visible(period=five_minutes, statistic="Maximum"),
            1,
            f"Scheduled runs failed after Lambda's retries and wait in the dead-letter queue ({self.stage.name})",
        )
        alarm(
            "ReportPartDeadLettersAlarm",
            self.report_part_dead_letters.metric_approximate_number_of_messages_visible(
                period=five_minutes, statistic="Maximum"
            ),
            1,
            f"A monthly-report part failed {REPORT_PART_MAX_RECEIVES} times and waits in the report-parts "
            f"dead-letter queue: that month's report is not assembled ({self.stage.name})",
        )
        alarm(
            "OverdueNotEscalatedAlarm",
            published(OVERDUE_METRIC, five_minutes),
            self.stage.overdue_not_escalated_alarm_seconds,
            f"A ticket past its deadline has not been escalated for {self.stage.overdue_not_escalated_alarm_seconds}"
            f" s: the SLA sweep is not escalating ({self.stage.name})",
            # No data means the sweep published nothing; its own Errors alarm covers a failing sweep.
            missing=cloudwatch.TreatMissingData.MISSING,
        )
        alarm(
            "HolidayCalendarGapAlarm",
            published(CALENDAR_GAP_METRIC, Duration.hours(1)),
            1,
            "Business-hours deadlines of this or next year rest on assumed working days: store the State "
            f"Council's holiday notice with `python -m ops.config calendars put` ({self.stage.name})",
            missing=cloudwatch.TreatMissingData.MISSING,
        )

        self._sms_alarms(alarm)

    def _sms_alarms(self, alarm: Callable[..., None]) -> None:
        """Customers' and staff's SMS each alarmed on by their own count: SNS's one spend limit is the
        account's, so only our own figures can tell which of them is spending it."""
        stage, sms = self.stage, self._sms_metric

        alarm(
            "CustomerSmsVolumeAlarm",
            sms(SMS_SENT_METRIC, SmsAudience.CUSTOMER, Duration.hours(1)),
            stage.customer_sms_per_hour_alarm,
            f"{stage.customer_sms_per_hour_alarm}+ SMS to customers in an hour: is someone pumping the report "
            f"form? Check the WAF's blocked requests and the intake limits ({stage.name})",
        )
        alarm(
            "StaffSmsVolumeAlarm",
            sms(SMS_SENT_METRIC, SmsAudience.STAFF, Duration.hours(1)),
            stage.staff_sms_per_hour_alarm,
            f"{stage.staff_sms_per_hour_alarm}+ escalation SMS to staff in an hour ({stage.name})",
        )
        alarm(
            "StaffSmsFailedAlarm",
            sms(SMS_FAILED_METRIC, SmsAudience.STAFF, Duration.minutes(5)),
            1,
            "Escalation SMS are refused (SMS spend limit reached, or throttled): escalations reach staff by "
            f"email and team chat only until SMS go again ({stage.name})",
        )
        spend = round(stage.sms_monthly_spend_limit_usd * stage.sms_spend_alarm_share, 2)
        alarm(
            "SmsSpendAlarm",
            cloudwatch.Metric(namespace="AWS/SNS", metric_name="SMSMonthToDateSpentUSD", statistic="Maximum",
                              period=Duration.hours(1)),
            spend,
            f"SMS spend this month passed USD {spend} of the account's limit: at the limit SNS stops every SMS, "
            f"escalations included ({stage.name})",
        )

    @staticmethod
    def _sms_metric(metric_name: str, audience: SmsAudience, period: Duration) -> cloudwatch.Metric:
        """Each SMS the provider took or refused, counted by whom it was for (the app's EMF lines)."""
        return cloudwatch.Metric(
            namespace=METRICS_NAMESPACE, metric_name=metric_name, statistic="Sum", period=period,
            dimensions_map={"service": SERVICE_NAME, "audience": audience.value},
        )

    def _dashboard(self, functions: dict[str, CfnResource]) -> None:
        """One page for the on-call: tickets coming in, how far the sweep lags, messages out, the report."""
        five_minutes = Duration.minutes(5)

        def app_metric(name: str, statistic: str, label: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(namespace=METRICS_NAMESPACE, metric_name=name, label=label, statistic=statistic,
                                     dimensions_map={"service": SERVICE_NAME}, period=five_minutes)

        def lambda_metric(function: str, name: str, statistic: str = "Sum") -> cloudwatch.Metric:
            return cloudwatch.Metric(namespace="AWS/Lambda", metric_name=name, label=f"{function} {name}",
                                     statistic=statistic, period=five_minutes,
                                     dimensions_map={"FunctionName": functions[function].ref})

        intake = [
            cloudwatch.Metric(
                namespace="AWS/ApiGateway", metric_name="Count", label=f"POST {path}", statistic="Sum",
                period=five_minutes,
                dimensions_map={"ApiName": self.api_name, "Stage": self.stage.name, "Method": "POST", "Resource": path},
            )
            for path in PUBLIC_WRITE_ROUTES
        ]
        cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{SERVICE_NAME}-{self.stage.name}",
            widgets=[
                [
                    cloudwatch.GraphWidget(title="Intake: reports and upload URLs (per 5 min)", left=intake, width=12),
                    cloudwatch.GraphWidget(
                        title="SLA sweep lag",
                        left=[app_metric(OVERDUE_METRIC, "Maximum", "oldest overdue, not escalated (s)")],
                        right=[app_metric("EscalationStepsTaken", "Sum", "escalation steps"),
                               lambda_metric("SlaSweep", "Duration", "Maximum")],
                        width=12,
                    ),
                ],
                [
                    cloudwatch.GraphWidget(
                        title="Messages sent and failed (delivery job)",
                        left=[app_metric(DELIVERED_METRIC, "Sum", "sent"), app_metric(FAILED_METRIC, "Sum", "failed")],
                        right=[self.dead_letters.metric_approximate_number_of_messages_visible(
                            period=five_minutes, statistic="Maximum", label="dead letters")],
                        width=12,
                    ),
                    cloudwatch.GraphWidget(
                        title="Monthly report build",
                        left=[lambda_metric("ReportPart", "Invocations"), lambda_metric("ReportPart", "Errors"),
                              app_metric("MonthlyReportEmailsQueued", "Sum", "report emails queued")],
                        right=[
                            self.report_parts.metric_approximate_number_of_messages_visible(
                                period=five_minutes, statistic="Maximum", label="parts waiting"),
                            self.report_part_dead_letters.metric_approximate_number_of_messages_visible(
                                period=five_minutes, statistic="Maximum", label="parts failed"),
                        ],
                        width=12,
                    ),
                ],
                [
                    cloudwatch.GraphWidget(
                        title="SMS by audience (per 5 min): customers' and staff's apart",
                        left=[self._sms_metric(metric, audience, five_minutes).with_(label=f"{audience} {metric}")
                              for audience in SmsAudience for metric in (SMS_SENT_METRIC, SMS_FAILED_METRIC)],
                        right=[cloudwatch.Metric(namespace="AWS/SNS", metric_name="SMSMonthToDateSpentUSD",
                                                 statistic="Maximum", period=Duration.hours(1),
                                                 label="SMS spent this month (USD, whole account)")],
                        width=24,
                    ),
                ],
            ],
        )

    def _outputs(self) -> None:
        CfnOutput(self, "TableName", value=self.table.table_name)
        CfnOutput(self, "FilesBucketName", value=self.files.bucket_name)
        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)
        CfnOutput(self, "DeskTopicArn", value=self.desk_topic.topic_arn)
        CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic_arn)
        CfnOutput(self, "NotificationDeadLetterQueueUrl", value=self.dead_letters.queue_url)
        CfnOutput(self, "ReportPartsQueueUrl", value=self.report_parts.queue_url)
        CfnOutput(self, "ReportPartDeadLetterQueueUrl", value=self.report_part_dead_letters.queue_url)


_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY}


def _origin_of(url: str) -> str:
    """``https://host/path`` -> ``https://host``, with CloudFormation functions (the URL is a parameter)."""
    parts = Fn.split("/", url)
    return Fn.join("", [Fn.select(0, parts), "//", Fn.select(2, parts)])


def _original_id(resource: CfnResource) -> str:
    """The logical id the resource has in the packaged Chalice template (kept as is by CfnInclude)."""
    return resource.node.id
