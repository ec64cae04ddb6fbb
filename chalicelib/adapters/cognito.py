"""Staff sign-in with Amazon Cognito, and verification of its tokens on every staff request.

The app verifies tokens itself (signature against the pool's JWKS, audience, issuer, expiry, token
use) in local mode as on AWS: API Gateway's authorizer is not in front of the Chalice dev server, and
the dev server decodes Cognito tokens without checking their signature. Locally the JWKS comes from
the stand-in (``COGNITO_JWKS_URL``) while the issuer stays the AWS one that its tokens carry.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws import client
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.services.ports import StaffContact

if TYPE_CHECKING:
    import jwt

# The resource server integrations' scopes belong to (the stack and the local stand-in make it), and the
# roles a machine may be given: a technician's view is a person's own jobs, never an integration's.
API_RESOURCE_SERVER = "service-desk"
API_SCOPE_PREFIX = f"{API_RESOURCE_SERVER}/"
MACHINE_ROLES = frozenset(r.value for r in StaffRole if r != StaffRole.TECHNICIAN)


class InvalidToken(Exception):
    """Missing, tampered, expired, or not ours."""


class BadCredentials(Exception):
    pass


@dataclass(frozen=True)
class NewPasswordRequired(Exception):
    """First sign-in with a temporary password: Cognito wants a new one (``session`` continues it)."""

    username: str
    session: str


@dataclass(frozen=True)
class MfaSetupRequired(Exception):
    """First sign-in where the pool requires MFA: an authenticator app must be enrolled first."""

    username: str
    session: str


@dataclass(frozen=True)
class MfaCodeRequired(Exception):
    """The password was right; now the current code from the enrolled authenticator app."""

    username: str
    session: str


class BadCode(Exception):
    """A wrong or expired authenticator code."""


class SessionExpired(Exception):
    """The sign-in took too long between its steps (Cognito keeps a session three minutes): start again."""


@dataclass(frozen=True)
class MfaEnrolment:
    """The secret to put in the authenticator app, and the session that continues the sign-in."""

    secret: str
    session: str


@dataclass(frozen=True)
class SignedIn:
    id_token: str
    expires_in: int
    # Given at sign-in, not on renewal (the pool does not rotate refresh tokens).
    refresh_token: str = ""


class CognitoTokens:
    def __init__(self, *, region: str, user_pool_id: str, client_id: str, jwks_url: str = ""):
        self._issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
        self._client_id = client_id
        self._jwks_url = jwks_url or f"{self._issuer}/.well-known/jwks.json"

    @cached_property
    def _keys(self) -> jwt.PyJWKClient:
        import jwt

        return jwt.PyJWKClient(self._jwks_url, cache_keys=True, lifespan=3600)

    def verify(self, token: str) -> StaffUser:
        """A person's ID token (roles: their groups), or an integration's access token from a
        client-credentials app client (roles: its ``service-desk/<role>`` scopes, name ``api:<client>``)."""
        # PyJWT loads cryptography (a Lambda layer on AWS) as it is imported: on the first token, not at
        # a cold start.
        import jwt

        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self._issuer,
                # An access token carries no audience: its client is checked below, by token use.
                options={"require": ["exp", "iss", "token_use"], "verify_aud": False},
            )
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidToken(str(error)) from error
        if claims.get("token_use") == "access":
            return self._machine(claims)
        if claims.get("token_use") != "id":
            raise InvalidToken("not an ID token")
        if claims.get("aud") != self._client_id:
            raise InvalidToken("an ID token of another client")
        roles = frozenset(StaffRole(g) for g in claims.get("cognito:groups", []) if g in StaffRole._value2member_map_)
        return StaffUser(username=str(claims.get("cognito:username") or claims["sub"]), roles=roles)

    @staticmethod
    def _machine(claims: dict[str, Any]) -> StaffUser:
        # A person's access token (it names a user) is not a credential for this app: pages and the API
        # take their ID token. Only a client's own token (client credentials) acts on its scopes.
        if claims.get("username") or not claims.get("client_id"):
            raise InvalidToken("not a client-credentials access token")
        scopes = str(claims.get("scope") or "").split()
        roles = frozenset(
            StaffRole(s.removeprefix(API_SCOPE_PREFIX)) for s in scopes
            if s.startswith(API_SCOPE_PREFIX) and s.removeprefix(API_SCOPE_PREFIX) in MACHINE_ROLES
        )
        return StaffUser(username=f"api:{claims['client_id']}", roles=roles, integration=True)


# A wrong code, or one already used.
_BAD_CODE_ERRORS = ("CodeMismatchException", "EnableSoftwareTokenMFAException", "ExpiredCodeException")


@contextmanager
def _code_checked() -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        if error.response["Error"]["Code"] in _BAD_CODE_ERRORS:
            raise BadCode() from error
        if error.response["Error"]["Code"] == "NotAuthorizedException":
            raise SessionExpired() from error
        raise


# What Cognito's API refuses before it looks (botocore checks the lengths): a code is six digits, a
# session at least 20 characters. A form posting anything else gets the answer it means for the person.
_CODE = re.compile(r"[0-9]{6}")
_MIN_SESSION = 20


def _well_formed(session: str, code: str | None = None) -> None:
    if code is not None and not _CODE.fullmatch(code):
        raise BadCode()
    if len(session) < _MIN_SESSION:
        raise SessionExpired()


class CognitoSignIn:
    def __init__(self, client_id: str):
        self._client_id = client_id

    def sign_in(self, username: str, password: str) -> SignedIn:
        try:
            response = client("cognito-idp").initiate_auth(
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NotAuthorizedException", "UserNotFoundException"):
                raise BadCredentials() from error
            raise
        return self._result(username, response)

    def renew(self, refresh_token: str) -> SignedIn:
        """A fresh ID token from the refresh token of an earlier sign-in (REFRESH_TOKEN_AUTH), so a
        session outlives the one-hour ID token. A revoked or expired refresh token is ``InvalidToken``."""
        try:
            response = client("cognito-idp").initiate_auth(
                ClientId=self._client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NotAuthorizedException", "UserNotFoundException",
                                                   "ResourceNotFoundException", "InvalidParameterException"):
                raise InvalidToken(error.response["Error"]["Code"]) from error
            raise
        result = response.get("AuthenticationResult") or {}
        if not result.get("IdToken"):
            raise InvalidToken("no ID token on renewal")
        return SignedIn(id_token=result["IdToken"], expires_in=int(result.get("ExpiresIn", 3600)))

    def set_new_password(self, username: str, session: str, new_password: str) -> SignedIn:
        _well_formed(session)
        try:
            response = client("cognito-idp").respond_to_auth_challenge(
                ClientId=self._client_id,
                ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=session,
                ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in ("InvalidPasswordException", "NotAuthorizedException"):
                raise BadCredentials() from error
            raise
        return self._result(username, response)

    def start_mfa_setup(self, session: str) -> MfaEnrolment:
        response = client("cognito-idp").associate_software_token(Session=session)
        return MfaEnrolment(secret=response["SecretCode"], session=response["Session"])

    def finish_mfa_setup(self, username: str, session: str, code: str) -> SignedIn:
        """Checks a first code from the newly enrolled app, then completes the sign-in with it."""
        _well_formed(session, code)
        with _code_checked():
            verified = client("cognito-idp").verify_software_token(
                Session=session, UserCode=code, FriendlyDeviceName="service desk"
            )
        if verified.get("Status") != "SUCCESS":
            raise BadCode()
        return self._respond(username, "MFA_SETUP", verified["Session"], {})

    def answer_mfa(self, username: str, session: str, code: str) -> SignedIn:
        _well_formed(session, code)
        return self._respond(username, "SOFTWARE_TOKEN_MFA", session, {"SOFTWARE_TOKEN_MFA_CODE": code})

    def _respond(self, username: str, challenge: str, session: str, answers: dict[str, str]) -> SignedIn:
        with _code_checked():
            response = client("cognito-idp").respond_to_auth_challenge(
                ClientId=self._client_id,
                ChallengeName=challenge,
                Session=session,
                ChallengeResponses={"USERNAME": username, **answers},
            )
        return self._result(username, response)

    @staticmethod
    def _result(username: str, response: dict[str, Any]) -> SignedIn:
        challenge = response.get("ChallengeName")
        if challenge == "NEW_PASSWORD_REQUIRED":
            raise NewPasswordRequired(username=username, session=response["Session"])
        if challenge == "MFA_SETUP":
            raise MfaSetupRequired(username=username, session=response["Session"])
        if challenge == "SOFTWARE_TOKEN_MFA":
            raise MfaCodeRequired(username=username, session=response["Session"])
        if challenge:
            # The pool allows authenticator apps only (no SMS, no custom auth): another challenge is a
            # misconfigured pool, not a person's mistake.
            raise RuntimeError(f"unsupported Cognito challenge {challenge}")
        result = response["AuthenticationResult"]
        return SignedIn(id_token=result["IdToken"], expires_in=int(result.get("ExpiresIn", 3600)),
                        refresh_token=str(result.get("RefreshToken") or ""))


class CognitoDirectory:
    """``StaffDirectory``: the members of a role's Cognito group (e.g. whom a supervisor can dispatch)."""

    # A burst of due technician steps asks for the same few people's contacts again and again; Cognito
    # allows an account about 120 user reads a second in all, so one answer serves for a minute (a
    # changed phone number reaches the next message a minute later at worst).
    CONTACT_SECONDS = 60.0

    def __init__(self, user_pool_id: str, clock: Callable[[], float] = time.monotonic):
        self._user_pool_id = user_pool_id
        self._clock = clock
        self._contacts: dict[str, tuple[float, StaffContact | None]] = {}

    def _members(self, role: StaffRole) -> Iterator[dict[str, Any]]:
        pages = client("cognito-idp").get_paginator("list_users_in_group").paginate(
            UserPoolId=self._user_pool_id, GroupName=role.value
        )
        return (user for page in pages for user in page["Users"] if user.get("Enabled", True))

    def list_staff(self, role: StaffRole) -> list[str]:
        return sorted(user["Username"] for user in self._members(role))

    def display_names(self) -> dict[str, str]:
        # Read from the groups' listings (their users carry their attributes): one call per role, and no
        # permission beyond the one the dispatch form already needs.
        names: dict[str, str] = {}
        for role in StaffRole:
            for user in self._members(role):
                name = next((a["Value"] for a in user.get("Attributes", []) if a["Name"] == "name"), "").strip()
                if name:
                    names[user["Username"]] = name
        return names

    def contact(self, username: str) -> StaffContact | None:
        now = self._clock()
        kept = self._contacts.get(username)
        if kept and now < kept[0]:
            return kept[1]
        found = self._read_contact(username)
        self._contacts[username] = (now + self.CONTACT_SECONDS, found)
        return found

    def _read_contact(self, username: str) -> StaffContact | None:
        try:
            user = client("cognito-idp").admin_get_user(UserPoolId=self._user_pool_id, Username=username)
        except ClientError as error:
            if error.response["Error"]["Code"] == "UserNotFoundException":
                return None
            raise
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        return StaffContact(phone=attributes.get("phone_number") or None, email=attributes.get("email") or None)


def user_pool_named(name: str) -> str | None:
    """The id of the account's user pool called ``name`` (the local stand-in's staff pool)."""
    pools = [p for p in client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == name]
    return str(pools[0]["Id"]) if pools else None


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int
    require_lowercase: bool
    require_uppercase: bool
    require_digits: bool
    require_symbols: bool
    temporary_password_days: int

    def as_cognito(self) -> dict[str, Any]:
        return {
            "MinimumLength": self.min_length,
            "RequireLowercase": self.require_lowercase,
            "RequireUppercase": self.require_uppercase,
            "RequireNumbers": self.require_digits,
            "RequireSymbols": self.require_symbols,
            "TemporaryPasswordValidityDays": self.temporary_password_days,
        }


@dataclass(frozen=True)
class StaffPool:
    """The staff user pool as both the stack and the local stand-in make it (``provision.py``)."""

    name: str
    groups: tuple[str, ...]
    password_policy: PasswordPolicy
    # Authenticator apps (TOTP) only, never SMS: required, or each person's choice.
    mfa_required: bool


def ensure_user_pool(pool: StaffPool) -> tuple[str, str]:
    """Local stand-in only (on AWS the CDK stack owns the pool): the pool with its password policy and
    MFA, a web client, one group per role. Returns (user pool id, client id)."""
    idp = client("cognito-idp")
    pool_id = user_pool_named(pool.name) or idp.create_user_pool(
        PoolName=pool.name,
        # Logins an admin chooses (li.gong), not case-sensitive; email is required, for recovery.
        UsernameConfiguration={"CaseSensitive": False},
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
        AutoVerifiedAttributes=["email"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
    )["UserPool"]["Id"]
    # Set on every start, so a pool made by an older version gets them too.
    idp.update_user_pool(
        UserPoolId=pool_id, Policies={"PasswordPolicy": pool.password_policy.as_cognito()},
        AutoVerifiedAttributes=["email"], AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
    )
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="ON" if pool.mfa_required else "OPTIONAL",
    )
    clients = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    web = [c for c in clients if c["ClientName"] == "web"]
    client_id = web[0]["ClientId"] if web else idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    existing = {g["GroupName"] for g in idp.list_groups(UserPoolId=pool_id)["Groups"]}
    for group in pool.groups:
        if group not in existing:
            idp.create_group(UserPoolId=pool_id, GroupName=group)
    return pool_id, client_id


def add_staff(user_pool_id: str, username: str, roles: list[StaffRole], *, password: str | None = None,
              email: str | None = None, phone: str | None = None, name: str | None = None,
              temporary_password: str | None = None) -> None:
    """Creates a staff account in the given roles; with ``password`` it is usable at once (local demo),
    with ``temporary_password`` its first sign-in replaces that one (and enrols an authenticator where
    the pool requires one), without either Cognito mails a temporary one. ``phone`` (E.164): where a
    technician is told of his jobs; ``name``: what pages call the person (王工) instead of the login."""
    idp = client("cognito-idp")
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}] if email else []
    if phone:
        attributes.append({"Name": "phone_number", "Value": phone})
    if name:
        attributes.append({"Name": "name", "Value": name})
    delivery: dict[str, Any] = {"MessageAction": "SUPPRESS"} if password or temporary_password else {
        "DesiredDeliveryMediums": ["EMAIL"]}
    if temporary_password:
        delivery["TemporaryPassword"] = temporary_password
    try:
        idp.admin_create_user(UserPoolId=user_pool_id, Username=username, UserAttributes=attributes, **delivery)
    except ClientError as error:
        if error.response["Error"]["Code"] != "UsernameExistsException":
            raise
        if attributes:  # an account made before its contact details were known gets them now
            idp.admin_update_user_attributes(UserPoolId=user_pool_id, Username=username, UserAttributes=attributes)
    if password:
        idp.admin_set_user_password(UserPoolId=user_pool_id, Username=username, Password=password, Permanent=True)
    for role in roles:
        idp.admin_add_user_to_group(UserPoolId=user_pool_id, Username=username, GroupName=role.value)


def remove_staff(user_pool_id: str, username: str) -> None:
    """Deletes a staff account (the smoke test's own); an account already gone is fine."""
    try:
        client("cognito-idp").admin_delete_user(UserPoolId=user_pool_id, Username=username)
    except ClientError as error:
        if error.response["Error"]["Code"] != "UserNotFoundException":
            raise


# -- integrations' app clients (client credentials) ---------------------------------------------------


@dataclass(frozen=True)
class ApiClient:
    client_id: str
    name: str
    roles: tuple[str, ...]
    secret: str = ""  # only when just made: Cognito shows it to whoever reads the client, so we print it once


def ensure_api_scopes(user_pool_id: str) -> None:
    """The resource server whose scopes name the roles a machine may act in (the stack makes it on AWS;
    this makes it for the local stand-in, and adds a role's scope that is missing)."""
    idp = client("cognito-idp")
    scopes = [{"ScopeName": role, "ScopeDescription": f"act as {role}"} for role in sorted(MACHINE_ROLES)]
    try:
        found = idp.describe_resource_server(UserPoolId=user_pool_id, Identifier=API_RESOURCE_SERVER)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        idp.create_resource_server(UserPoolId=user_pool_id, Identifier=API_RESOURCE_SERVER,
                                   Name="service-desk staff API", Scopes=scopes)
        return
    # Changed only when a role's scope is missing: every client made would otherwise rewrite it (and
    # the local stand-in's Cognito cannot update a resource server at all).
    if {s["ScopeName"] for s in found["ResourceServer"].get("Scopes", [])} >= MACHINE_ROLES:
        return
    idp.update_resource_server(UserPoolId=user_pool_id, Identifier=API_RESOURCE_SERVER,
                               Name="service-desk staff API", Scopes=scopes)


def add_api_client(user_pool_id: str, name: str, roles: list[str]) -> ApiClient:
    """An app client that gets access tokens by client credentials, scoped to ``roles``."""
    unknown = sorted(set(roles) - MACHINE_ROLES)
    if unknown or not roles:
        raise ValueError(f"roles must be some of {', '.join(sorted(MACHINE_ROLES))}; not {', '.join(unknown)}")
    made = client("cognito-idp").create_user_pool_client(
        UserPoolId=user_pool_id, ClientName=f"api-{name}", GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"], AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=[f"{API_SCOPE_PREFIX}{role}" for role in sorted(set(roles))],
        AccessTokenValidity=1, TokenValidityUnits={"AccessToken": "hours"},
        SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]
    return ApiClient(made["ClientId"], name, tuple(sorted(set(roles))), made.get("ClientSecret", ""))


def api_clients(user_pool_id: str) -> list[ApiClient]:
    idp = client("cognito-idp")
    found = []
    pages = idp.get_paginator("list_user_pool_clients").paginate(UserPoolId=user_pool_id, MaxResults=60)
    for summary in (c for page in pages for c in page["UserPoolClients"] if c["ClientName"].startswith("api-")):
        detail = idp.describe_user_pool_client(UserPoolId=user_pool_id, ClientId=summary["ClientId"])["UserPoolClient"]
        roles = tuple(s.removeprefix(API_SCOPE_PREFIX) for s in detail.get("AllowedOAuthScopes", [])
                      if s.startswith(API_SCOPE_PREFIX))
        found.append(ApiClient(summary["ClientId"], summary["ClientName"].removeprefix("api-"), roles))
    return sorted(found, key=lambda c: c.name)


def remove_api_client(user_pool_id: str, client_id: str) -> None:
    client("cognito-idp").delete_user_pool_client(UserPoolId=user_pool_id, ClientId=client_id)


class CognitoApiClients:
    """The integrations' app clients of one pool, for the administrator's page: listed, made and removed,
    only those made as integrations (named ``api-…``): never the staff's own sign-in client.

    ``make_scopes``: the local stand-in's pool gets its resource server here; on AWS the stack makes it,
    and the app may not change it."""

    def __init__(self, user_pool_id: str, *, make_scopes: bool):
        self._pool = user_pool_id
        self._make_scopes = make_scopes

    def clients(self) -> list[ApiClient]:
        return api_clients(self._pool)

    def add(self, name: str, roles: list[str]) -> ApiClient:
        if self._make_scopes:
            ensure_api_scopes(self._pool)
        return add_api_client(self._pool, name, roles)

    def remove(self, client_id: str) -> bool:
        """False when ``client_id`` is no integration's (gone already, or another kind of client)."""
        if client_id not in {found.client_id for found in self.clients()}:
            return False
        remove_api_client(self._pool, client_id)
        return True
