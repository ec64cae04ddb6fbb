"""One moto per test process: the desk's resources are made once, and what a test stored is cleared after it.

Making the table, bucket, queues, topic, sending identity, secret and staff pool takes some forty calls to
moto; doing it for every test was most of the integration tests' time. ``MotoWorld`` makes them on the
first test that asks and keeps moto's data between tests. While a test runs it notes each call moto
answers (service and operation); afterwards:

* the data (items, objects, messages, sent emails and texts, staff accounts and sign-ins) is emptied in
  place, in every service: the resources stay as they were made;
* a service that answered any other call (a queue created, an index dropped, the pool's MFA changed) is
  reset in moto, and the next test makes its resources again; a call to a service the desk does not
  provision resets them all.

So a test never sees another's data, and one that changes a resource leaves the next a fresh one. A test
that starts its own ``mock_aws()`` resets every service when it starts and ends: the next test that uses
the world finds its resources gone and makes them again.

While a test is in the world, moto's DynamoDB runs with the local stand-in's speed-ups
(``local/moto_speedups.py``: the same answers, byte for byte, without copying the whole table for every
transaction), as long as they were written for the installed moto.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any
from unittest.mock import patch

from moto import mock_aws
from moto.backends import get_backend
from moto.core import models as moto_models
from moto.core.base_backend import BackendDict
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.custom_responses_mock import reset_responses_mock
from moto.core.model_instances import reset_model_data
from moto.core.models import MockAWS, responses_mock

from chalicelib.adapters.provision import ensure_resources
from chalicelib.settings import Settings
from local.moto_speedups import faster_moto, moto_mismatches

# Plain moto where the speed-ups do not match it (tests/local/test_moto_speedups.py then says what differs).
_speedups = nullcontext if moto_mismatches() else faster_moto

# The services the desk provisions, as botocore names them in its events, and as moto names its backends.
BACKENDS = {
    "dynamodb": "dynamodb",
    "s3": "s3",
    "sqs": "sqs",
    "ses": "ses",
    "sesv2": "sesv2",
    "sns": "sns",
    "cognito-identity-provider": "cognito-idp",
    "secrets-manager": "secretsmanager",
}


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Calls that only read or write data, per service; ``_CLEAR`` empties what they can leave behind.
DATA_CALLS: dict[str, frozenset[str]] = {
    "dynamodb": _names(
        """
        BatchExecuteStatement BatchGetItem BatchWriteItem DeleteItem DescribeContinuousBackups DescribeTable
        DescribeTimeToLive ExecuteStatement ExecuteTransaction GetItem ListTables PutItem Query Scan
        TransactGetItems TransactWriteItems UpdateItem
        """
    ),
    "s3": _names(
        """
        CopyObject DeleteObject DeleteObjectTagging DeleteObjects GetBucketCors GetBucketEncryption
        GetBucketLifecycleConfiguration GetObject GetObjectTagging GetPublicAccessBlock HeadBucket HeadObject
        ListBuckets ListObjects ListObjectsV2 PutObject PutObjectTagging
        """
    ),
    "sqs": _names(
        """
        ChangeMessageVisibility ChangeMessageVisibilityBatch DeleteMessage DeleteMessageBatch GetQueueAttributes
        GetQueueUrl ListQueues PurgeQueue ReceiveMessage SendMessage SendMessageBatch
        """
    ),
    "ses": _names(
        """
        GetIdentityVerificationAttributes GetSendQuota GetSendStatistics ListIdentities SendEmail SendRawEmail
        SendTemplatedEmail
        """
    ),
    "sesv2": _names("GetAccount GetEmailIdentity ListEmailIdentities SendEmail"),
    # CreateTopic answers the ARN of a topic that exists (how the app finds the desk topic).
    "sns": _names("CheckIfPhoneNumberIsOptedOut CreateTopic GetTopicAttributes ListTopics Publish PublishBatch"),
    "cognito-identity-provider": _names(
        """
        AdminAddUserToGroup AdminCreateUser AdminDeleteUser AdminDeleteUserAttributes AdminDisableUser
        AdminEnableUser AdminGetUser AdminInitiateAuth AdminListGroupsForUser AdminRemoveUserFromGroup
        AdminResetUserPassword AdminRespondToAuthChallenge AdminSetUserMFAPreference AdminSetUserPassword
        AdminUpdateUserAttributes AdminUserGlobalSignOut AssociateSoftwareToken ChangePassword
        ConfirmForgotPassword DescribeUserPool DescribeUserPoolClient ForgotPassword GetGroup GetUser
        GlobalSignOut InitiateAuth ListGroups ListUserPoolClients ListUserPools ListUsers ListUsersInGroup
        RespondToAuthChallenge RevokeToken SetUserMFAPreference VerifySoftwareToken
        """
    ),
    "secrets-manager": _names("DescribeSecret GetSecretValue ListSecrets"),
}

# The calls moto answered since ``_calls`` was last emptied: (service, operation).
_calls: set[tuple[str, str]] = set()
_answer = BotocoreStubber.__call__


# moto answers a conditional write by reading the item and then writing it, with nothing in between to
# stop another thread doing the same: two threads can both pass the condition. DynamoDB decides each
# request atomically, and so does moto here when it answers one DynamoDB request at a time.
_one_table_request_at_a_time = threading.RLock()


def _noting(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
    if self.enabled:  # "before-send.<service>.<Operation>"
        _, service, operation = event_name.split(".", 2)
        _calls.add((service, operation))
        if service == "dynamodb":
            with _one_table_request_at_a_time:
                return _answer(self, event_name, request, **kwargs)
    return _answer(self, event_name, request, **kwargs)


def _noting_http(self: BotocoreStubber, request: Any) -> Any:
    # A plain HTTP request to an AWS address (a presigned upload sent with ``requests``): no operation to
    # judge it by, so its service is made afresh.
    _calls.add(("http", "request"))
    return _answer_http(self, request)


_answer_http = BotocoreStubber.process_prepared_request
BotocoreStubber.__call__ = _noting  # type: ignore[method-assign]
BotocoreStubber.process_prepared_request = _noting_http  # type: ignore[method-assign]

# What makes the resources differ: another table or bucket name, origin (the bucket's CORS), sender or topic.
_RESOURCE_SETTINGS = ("table_name", "bucket_name", "public_base_url", "sender_email", "desk_topic_name")


def _backends(name: str) -> Iterator[Any]:
    for _, _, backend in get_backend(name).iter_backends():  # type: ignore[call-overload]
        yield backend


# moto's URL patterns for plain HTTP requests (``requests``), as its first start in this process made them.
_patterns: list[Any] = []


def _started() -> MockAWS:
    """moto started. On every start it makes and adds its ~1,300 URL patterns for plain HTTP anew (~6 ms, a
    few seconds over the integration tests): the ones its first start made are kept instead, unless
    something (a test's own ``mock_aws()``) changed them since."""
    mock = mock_aws()
    if _patterns and responses_mock.registered() == _patterns:
        with (
            patch.object(moto_models, "CallbackResponse", lambda **_: None),
            patch.object(responses_mock, "add", lambda *_, **__: None),
        ):
            mock.start(reset=False)
    else:
        reset_responses_mock(responses_mock)  # or moto adds its URL patterns once more
        mock.start(reset=False)
        _patterns[:] = responses_mock.registered()
    return mock


class MotoWorld:
    """The desk's resources on moto, made once and emptied after each test (see the module's doc)."""

    def __init__(self) -> None:
        self.resources: dict[str, str] | None = None
        self._made_for: tuple[str, ...] | None = None
        # (pool id, login, roles) -> (the account as moto keeps it, its ID token, when it was issued)
        self._accounts: dict[tuple[str, str, tuple[str, ...]], tuple[Any, str, float]] = {}

    @contextmanager
    def entered(self, settings: Settings) -> Iterator[dict[str, str]]:
        """moto on, the resources there (made if missing), emptied of this test's data on the way out."""
        mock = _started()
        try:
            with _speedups():
                resources = self._ensure(settings)
                _calls.clear()
                yield resources
        finally:
            self._tidy()
            mock.stop(remove_data=False)
            reset_model_data()

    def _ensure(self, settings: Settings) -> dict[str, str]:
        made_for = tuple(str(getattr(settings, name)) for name in _RESOURCE_SETTINGS)
        if self.resources is not None and made_for != self._made_for:
            BackendDict.reset()
            self.resources = None
        if self.resources is None or not self._intact():
            self.resources = ensure_resources(settings)
            self._made_for = made_for
        return self.resources

    def _intact(self) -> bool:
        """False when something reset moto since the resources were made (a test's own ``mock_aws()``, or
        a service reset after a test changed it)."""
        assert self.resources is not None
        table, bucket, pool = self.resources["table"], self.resources["bucket"], self.resources["user_pool_id"]
        queues = (self.resources["report_queue_url"], self.resources["notification_dlq_url"])
        return (
            any(table in b.tables for b in _backends("dynamodb"))
            and any(bucket in b.buckets for b in _backends("s3"))
            and any(pool in b.user_pools for b in _backends("cognito-idp"))
            and all(any(url.rsplit("/", 1)[-1] in b.queues for b in _backends("sqs")) for url in queues)
            and any(self.resources["desk_topic"] in b.topics for b in _backends("sns"))
            and any(self.resources["sender"] in b.email_identities for b in _backends("ses"))
            and any(self.resources["link_signing_secret"] in b.secrets for b in _backends("secretsmanager"))
        )

    def _tidy(self) -> None:
        used: dict[str, set[str]] = defaultdict(set)
        for service, operation in _calls:
            used[service].add(operation)
        _calls.clear()
        for service, operations in used.items():
            if service not in BACKENDS:
                BackendDict.reset()  # a service the desk does not provision: start everything afresh
                self.resources = None
                return
            if not operations <= DATA_CALLS[service]:  # the next test finds a resource missing and makes them again
                for backend in _backends(BACKENDS[service]):
                    backend.reset()
        # Every service's data is emptied, noted or not: a call the notes missed (a nested entry of the
        # world, a thread) must not leak into the next test, and emptying an empty store costs nothing.
        for clear in _CLEAR.values():
            clear(self.resources or {})

    # -- staff accounts and their tokens -----------------------------------------------------------------

    def staff_account(self, pool_id: str, username: str, roles: tuple[str, ...], make: Callable[[], str]) -> str:
        """An ID token for ``username`` in ``roles``: the account is made by ``make`` the first time in this
        process, then put back as it was made (moto's copy) with the token it got then, for half an hour
        (tokens last an hour). An account the test already has is never replaced."""
        pool = self._pool(pool_id)
        key = (pool_id, username, roles)
        kept = self._accounts.get(key)
        if pool is None or username in pool.users:  # an account this test made or changed: not kept
            return make()
        if kept is None or time.time() - kept[2] > TOKEN_KEPT_SECONDS:
            token = make()
            if (user := pool.users.get(username)) is not None:
                self._accounts[key] = (_detached(user), token, time.time())
            return token
        account, token, _ = kept
        _calls.add(("cognito-identity-provider", "AdminCreateUser"))  # so the account is cleared after the test
        user = copy.deepcopy(account)
        pool.users[username] = user
        for role in roles:
            group = pool.groups[role]
            group.users.add(user)
            user.groups.add(group)
        return token

    @staticmethod
    def _pool(pool_id: str) -> Any:
        for backend in _backends("cognito-idp"):
            if pool_id in backend.user_pools:
                return backend.user_pools[pool_id]
        return None


# A cached token is given out while it has at least half an hour to live.
TOKEN_KEPT_SECONDS = 30 * 60


def _detached(user: Any) -> Any:
    """A copy of moto's account without its groups (they hold every member; ``staff_account`` relinks)."""
    groups, user.groups = user.groups, set()
    try:
        return copy.deepcopy(user)
    finally:
        user.groups = groups


def _clear_items(resources: dict[str, str]) -> None:
    for backend in _backends("dynamodb"):
        for table in backend.tables.values():
            table.items = defaultdict(dict)


def _clear_objects(resources: dict[str, str]) -> None:
    for backend in _backends("s3"):
        for bucket in backend.buckets.values():
            for _, versions in bucket.keys.iterlists():
                for key in versions:
                    backend.tagger.delete_all_tags_for_resource(key.arn)
                    key.dispose()
            bucket.keys.clear()
            bucket.multiparts.clear()


def _clear_messages(resources: dict[str, str]) -> None:
    for backend in _backends("sqs"):
        for queue in backend.queues.values():
            queue._messages = []
            queue._pending_messages = set()
            queue.deleted_messages = set()
            queue.last_purged_at = None


def _clear_sent_emails(resources: dict[str, str]) -> None:
    for backend in _backends("ses"):
        backend.sent_messages = []
        backend.sent_message_count = 0
        backend.rejected_messages_count = 0


def _clear_sent_texts(resources: dict[str, str]) -> None:
    for backend in _backends("sns"):
        for arn in [arn for arn in backend.topics if arn != resources.get("desk_topic")]:
            del backend.topics[arn]  # one a test made by asking for its ARN
        backend.sms_messages.clear()
        backend.sms_message_objects.clear()
        for topic in backend.topics.values():
            topic.sent_notifications = []


def _clear_staff(resources: dict[str, str]) -> None:
    for backend in _backends("cognito-idp"):
        for pool in backend.user_pools.values():
            pool.users.clear()
            for group in pool.groups.values():
                group.users = set()
            pool.refresh_tokens.clear()
            pool.access_tokens.clear()
            pool.id_tokens.clear()


# What each service's data calls can leave behind, emptied (given the world's resources).
_CLEAR: dict[str, Callable[[dict[str, str]], None]] = {
    "dynamodb": _clear_items,
    "s3": _clear_objects,
    "sqs": _clear_messages,
    "ses": _clear_sent_emails,
    "sesv2": _clear_sent_emails,
    "sns": _clear_sent_texts,
    "cognito-identity-provider": _clear_staff,
    "secrets-manager": lambda resources: None,
}
