"""Microsoft 365 sign-in for IMAP/SMTP with XOAUTH2: device-code flow, silent refresh, shared mailboxes.

`MicrosoftSignIn` wraps msal's PublicClientApplication and a SerializableTokenCache. The serialized
cache holds the refresh token: it is a secret, kept by the caller inside the encrypted office and handed
back here; `cache()` says when it changed and must be stored again. Nothing here touches the database.

A shared mailbox needs no sign-in of its own: the person who signs in has access to it, and the XOAUTH2
user is the mailbox address (`server_settings(account, mailbox)`) while the token is the person's
(`credentials(sign_in, person)`).

Every failure is a `MailServerError` naming the account, with Microsoft's AADSTS codes in plain words and
never a token, device code or the cache in its text.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import msal
import requests
from msal.exceptions import MsalServiceError

from mpoffice_tui.mailbox.types import Credentials, MailServerError, Server, ServerSettings
from mpoffice_tui.text import one_line

IMAP_SERVER = Server("outlook.office365.com", 993, "ssl")
SMTP_SERVER = Server("smtp.office365.com", 587, "starttls")
SCOPES = ["https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send"]

AUTHORITY_HOST = "login.microsoftonline.com"
CLIENT_ID_ENV = "MPOFFICE_MS_CLIENT_ID"
HTTP_TIMEOUT = 30  # seconds for each request to the sign-in service (msal's own default is none)
EARLY_REFRESH = 5 * 60  # an access token this close to expiry is refreshed first, as msal does

NO_CLIENT_ID = (
    "no Microsoft 365 app registration is set, and mpoffice has none built in: register an app in "
    "Microsoft Entra (a public client with 'Allow public client flows', delegated permissions "
    "IMAP.AccessAsUser.All and SMTP.Send), then set its Application (client) ID in "
    f"{CLIENT_ID_ENV} or in the office's Microsoft 365 settings"
)

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$")  # a name, a domain or a GUID; never a path
_AADSTS = re.compile(r"AADSTS(\d+)")

# AADSTS codes in plain words: (what happened, whether signing in again is the cure)
_CODES: dict[int, tuple[str, bool]] = {
    50126: ("the sign-in has expired or was revoked (the password may have changed)", True),
    50173: ("the sign-in was revoked (the password was changed or reset)", True),
    70008: ("the sign-in has expired after a long time unused", True),
    700082: ("the sign-in has expired after a long time unused", True),
    50055: ("the password has expired: change it, then sign in again", True),
    50053: ("the Microsoft account is locked", False),
    50057: ("the Microsoft account is disabled", False),
    50034: ("the Microsoft account does not exist in this organisation", False),
    50020: ("the Microsoft account is not a member of this organisation", False),
    50076: ("multi-factor authentication is now required", True),
    50079: ("multi-factor authentication must be set up for this account", True),
    53003: ("the organisation's Conditional Access policy blocked the sign-in", False),
    65001: ("an administrator must consent to the app in Microsoft Entra", False),
    65004: ("consent to the app was declined", True),
    700016: ("the app registration (client id) was not found in this organisation: check the client id "
             "and tenant", False),
    7000218: ("the app registration does not allow public client flows: turn on 'Allow public client "
              "flows' in Microsoft Entra", False),
    90002: ("the Microsoft 365 organisation (tenant) was not found", False),
    70020: ("the sign-in code expired before it was used: start the sign-in again", False),
    70019: ("the sign-in code expired before it was used: start the sign-in again", False),
}
# OAuth2 error names in plain words, when no AADSTS code says more
_ERRORS: dict[str, tuple[str, bool]] = {
    "invalid_grant": ("the sign-in has expired or was revoked", True),
    "interaction_required": ("Microsoft needs the person to sign in again", True),
    "consent_required": ("an administrator must consent to the app in Microsoft Entra", False),
    "authorization_declined": ("the sign-in was declined", False),
    "access_denied": ("the sign-in was declined", False),
    "expired_token": ("the sign-in code expired before it was used: start the sign-in again", False),
    "bad_verification_code": ("Microsoft did not recognise the sign-in code: start the sign-in again", False),
    "invalid_client": ("the app registration (client id) was refused: check the client id", False),
    "unauthorized_client": ("the app registration may not sign in this way: check it allows public "
                            "client flows", False),
    "invalid_scope": ("the app registration lacks the IMAP.AccessAsUser.All or SMTP.Send permission", False),
}
_DEVICE_FLOW_ERRORS = {"authorization_declined", "access_denied", "expired_token", "bad_verification_code"}
_TRANSIENT_ERRORS = {"temporarily_unavailable", "server_error", "slow_down"}


@dataclass(frozen=True)
class DeviceCode:
    """What the user is shown: "go to URL and enter CODE". `flow` is msal's, with the device code."""

    user_code: str
    verification_uri: str
    message: str
    expires_at: float
    flow: dict = field(repr=False, compare=False)


def client_id_for(office_setting: str | None) -> str | None:
    """The Azure app registration to use: `MPOFFICE_MS_CLIENT_ID`, else the office's setting, else None."""
    for value in (os.environ.get(CLIENT_ID_ENV), office_setting):
        if value and value.strip():
            return value.strip()
    return None


def server_settings(account: str, mailbox: str) -> ServerSettings:
    """Exchange Online's servers for `mailbox` (the person's own address, or a shared mailbox's)."""
    return ServerSettings(account=account, imap=IMAP_SERVER, smtp=SMTP_SERVER, user=mailbox.strip())


def credentials(sign_in: MicrosoftSignIn, username: str | None = None) -> Credentials:
    """XOAUTH2 credentials from `username`'s sign-in (the person, also for a shared mailbox)."""
    return Credentials(oauth_token=sign_in.access_token(username))


class MicrosoftSignIn:
    """One office account's Microsoft 365 sign-in: start/finish the device flow, then silent tokens."""

    def __init__(self, account: str, *, client_id: str | None, tenant: str = "organizations",
                 cache: str | None = None, http_client: Any = None) -> None:
        self.account = account
        if not client_id or not client_id.strip():
            raise MailServerError(account, NO_CLIENT_ID, kind="auth")
        client_id = client_id.strip()
        if not _GUID.match(client_id):
            raise MailServerError(account, "the Microsoft 365 client id is not an Application (client) ID: "
                                  "expected a GUID such as "
                                  "00000000-0000-0000-0000-000000000000", kind="auth")
        tenant = (tenant or "organizations").strip()
        if not _TENANT.match(tenant):
            raise MailServerError(account, "the Microsoft 365 tenant must be 'organizations', a domain or "
                                  "a tenant id", kind="auth")
        self.client_id = client_id
        self.tenant = tenant
        self._http_client = http_client
        self._tokens = msal.SerializableTokenCache()
        if cache:
            try:
                if not isinstance(json.loads(cache), dict):
                    raise ValueError("not a token cache")
                self._tokens.deserialize(cache)
            except (ValueError, TypeError):
                raise MailServerError(account, "the stored Microsoft 365 sign-in is unreadable; "
                                      f"{self._again()}", kind="auth") from None
        self._changed = False
        self._msal: msal.PublicClientApplication | None = None

    def __repr__(self) -> str:
        return f"MicrosoftSignIn(account={self.account!r}, tenant={self.tenant!r})"

    # -- the device-code flow --------------------------------------------------------------------------

    def start(self) -> DeviceCode:
        """Ask Microsoft for a sign-in code for the person to enter at the verification page."""
        with self._calling():
            flow = self._app().initiate_device_flow(scopes=SCOPES)
        if "user_code" not in flow:
            raise self._refused(flow, advice=False)
        uri = one_line(flow.get("verification_uri") or flow.get("verification_url") or "")
        code = one_line(flow["user_code"])
        message = one_line(flow.get("message")) or f"To sign in, open {uri} and enter the code {code}."
        return DeviceCode(user_code=code, verification_uri=uri, message=message,
                          expires_at=float(flow["expires_at"]), flow=flow)

    def finish(self, code: DeviceCode, stop: threading.Event | None = None) -> str:
        """Wait for the person to sign in with `code`; return the signed-in username.

        Polls at Microsoft's interval; `stop` ends the wait at once (MailServerError kind "auth").
        """
        flow = code.flow
        interval = max(1, int(flow.get("interval", 5)))
        while True:
            if stop is not None and stop.is_set():
                raise MailServerError(self.account, "the Microsoft 365 sign-in was stopped", kind="auth")
            if time.time() >= code.expires_at:
                raise MailServerError(self.account, _ERRORS["expired_token"][0], kind="auth")
            with self._calling():
                result = self._app().acquire_token_by_device_flow(flow, exit_condition=lambda _flow: True)
            if "access_token" in result:
                self._note_change()
                username = (result.get("id_token_claims") or {}).get("preferred_username")
                return username or self._only_username()
            error = result.get("error")
            if error == "slow_down":
                interval += 5  # RFC 8628 §3.5
            elif error != "authorization_pending":
                raise self._refused(result, advice=False)
            wait = min(interval, max(0.0, code.expires_at - time.time()))
            if stop is not None:
                stop.wait(wait)
            else:
                time.sleep(wait)

    # -- tokens ----------------------------------------------------------------------------------------

    def usernames(self) -> list[str]:
        """The people signed in through this cache (usually one)."""
        return sorted({a.get("username", "") for a in self._accounts() if a.get("username")})

    def access_token(self, username: str | None = None) -> str:
        """An access token for `username` (or the only person signed in), refreshed silently if needed."""
        account = self._account(username)
        token = self._cached_token(account)
        if token is not None:
            return token
        with self._calling():
            app = self._app()
            accounts = app.get_accounts(username=account["username"])
            if not accounts:
                raise MailServerError(self.account, f"not signed in to Microsoft 365; {self._again()}",
                                      kind="auth")
            result = app.acquire_token_silent_with_error(SCOPES, accounts[0])
        self._note_change()
        if result and "access_token" in result:
            return result["access_token"]
        if not result:
            raise MailServerError(self.account, f"the Microsoft 365 sign-in has expired; {self._again()}",
                                  kind="auth")
        raise self._refused(result, advice=True)

    def cache(self) -> str | None:
        """The serialized token cache when it changed since construction (store it again), else None."""
        self._note_change()
        return self._tokens.serialize() if self._changed else None

    # -- inside ----------------------------------------------------------------------------------------

    def _again(self) -> str:
        return f"sign in again: mpoffice mail account signin {self.account}"

    def _note_change(self) -> None:
        if self._tokens.has_state_changed:
            self._changed = True

    def _app(self) -> msal.PublicClientApplication:
        """msal's application, built on first need (building it asks Microsoft for the tenant's endpoints)."""
        if self._msal is None:
            self._msal = msal.PublicClientApplication(
                self.client_id, authority=f"https://{AUTHORITY_HOST}/{self.tenant}",
                token_cache=self._tokens, http_client=self._http_client, timeout=HTTP_TIMEOUT)
        return self._msal

    def _entries(self, kind: str, query: dict, target: list[str] | None = None) -> list[dict]:
        """Cache entries of `kind` matching `query` (msal before 1.29 has `find`, later `search`)."""
        look = getattr(self._tokens, "search", None) or self._tokens.find
        return list(look(kind, target=target, query=query))

    def _accounts(self) -> list[dict]:
        return self._entries(msal.TokenCache.CredentialType.ACCOUNT, {"environment": AUTHORITY_HOST})

    def _only_username(self) -> str:
        names = self.usernames()
        return names[0] if names else ""

    def _account(self, username: str | None) -> dict:
        """The cached account for `username`, or the only one; an auth error when there is none."""
        accounts = self._accounts()
        if username:
            accounts = [a for a in accounts if a.get("username", "").lower() == username.strip().lower()]
        if not accounts:
            who = f" as {one_line(username)}" if username else ""
            raise MailServerError(self.account, f"not signed in to Microsoft 365{who}; {self._again()}",
                                  kind="auth")
        if len(accounts) > 1:
            raise MailServerError(self.account, "more than one person is signed in to Microsoft 365 here: "
                                  "say which (the account's user)", kind="auth")
        return accounts[0]

    def _cached_token(self, account: dict) -> str | None:
        """A cached access token still good for a while: no request to Microsoft at all."""
        now = time.time()
        query = {"client_id": self.client_id, "environment": AUTHORITY_HOST,
                 "home_account_id": account.get("home_account_id")}
        for entry in self._entries(msal.TokenCache.CredentialType.ACCESS_TOKEN, query, SCOPES):
            if int(entry.get("expires_on", 0)) - now < EARLY_REFRESH:
                continue
            if "refresh_on" in entry and int(entry["refresh_on"]) < now:
                continue
            return entry["secret"]
        return None

    @contextmanager
    def _calling(self) -> Iterator[None]:
        """Turn msal's and the network's exceptions into one-line MailServerErrors (no secret in them)."""
        try:
            yield
        except MailServerError:
            raise
        except (requests.RequestException, OSError):
            raise MailServerError(self.account, f"cannot reach Microsoft's sign-in service ({AUTHORITY_HOST}): "
                                  "no connection", kind="network", transient=True) from None
        except MsalServiceError:
            raise MailServerError(self.account, "Microsoft's sign-in service is unavailable; try again later",
                                  kind="network", transient=True) from None
        except ValueError as error:
            if "OIDC Discovery" in str(error) or "authority" in str(error):
                cause = f"the Microsoft 365 organisation (tenant) {self.tenant!r} was not found"
                raise MailServerError(self.account, cause, kind="auth") from None
            raise MailServerError(self.account, "Microsoft's sign-in service gave an answer mpoffice could "
                                  "not read", kind="protocol") from None

    def _refused(self, result: dict, *, advice: bool) -> MailServerError:
        """The error for Microsoft's error response, in plain words (no tokens, codes or descriptions)."""
        error = str(result.get("error") or "")
        codes = [int(c) for c in result.get("error_codes") or [] if str(c).isdigit()]
        codes += [int(c) for c in _AADSTS.findall(str(result.get("error_description") or ""))]
        known = _ERRORS[error] if error in _DEVICE_FLOW_ERRORS else None  # what the person did says most
        known = known or next((_CODES[c] for c in codes if c in _CODES), None) or _ERRORS.get(error)
        if error in _TRANSIENT_ERRORS and known is None:
            return MailServerError(self.account, "Microsoft's sign-in service is busy; try again later",
                                   kind="network", transient=True)
        if known is None:
            tag = ", ".join(t for t in [re.sub(r"[^a-z_]", "", error)[:40], *(f"AADSTS{c}" for c in codes[:1])]
                            if t)
            known = (f"Microsoft refused the sign-in ({tag or 'no reason given'})", True)
        cause, again = known
        if advice and again:
            cause = f"{cause}; {self._again()}"
        return MailServerError(self.account, cause, kind="auth")
