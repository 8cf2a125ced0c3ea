"""Microsoft 365 sign-in (mailbox/microsoft.py) against recorded identity-platform responses, no network.

msal runs for real; only its http_client hook is replaced by `Replay`, which answers from the JSON files
in tests/fixtures/microsoft/ by method + URL path (+ grant_type) and records every request, so a test can
check what was asked (a refresh used the refresh token) and that nothing went anywhere unexpected.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from mpoffice_tui.mailbox import MailServerError
from mpoffice_tui.mailbox.microsoft import (
    CLIENT_ID_ENV,
    IMAP_SERVER,
    SCOPES,
    SMTP_SERVER,
    DeviceCode,
    MicrosoftSignIn,
    client_id_for,
    credentials,
    server_settings,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "microsoft"
HOST = "login.microsoftonline.com"
CLIENT_ID = "5b1c6f0e-2d3a-4e8b-9c7d-1a2b3c4d5e6f"  # the audience of the recorded id_token
PERSON = "alice.caseworker@jsmithmp.example"  # preferred_username in the recorded id_token
SHARED = "casework@jsmithmp.example"
ACCOUNT = "casework"
TOKEN_PATH = "/organizations/oauth2/v2.0/token"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

OPENID = ("GET", "/organizations/v2.0/.well-known/openid-configuration", None)
DISCOVERY = ("GET", "/common/discovery/instance", None)
DEVICECODE = ("POST", "/organizations/oauth2/v2.0/devicecode", None)
POLL = ("POST", TOKEN_PATH, DEVICE_GRANT)
REFRESH = ("POST", TOKEN_PATH, "refresh_token")


def recorded(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


FIRST, SECOND = recorded("token-success")["body"], recorded("token-refreshed")["body"]
DEVICE_CODE = recorded("devicecode")["body"]["device_code"]
SECRETS = [FIRST["access_token"], FIRST["refresh_token"], SECOND["access_token"], SECOND["refresh_token"],
           DEVICE_CODE]


@dataclass
class Answer:
    """A response shaped as msal's http_client hook expects."""

    status_code: int
    text: str
    headers: dict

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(f"HTTP {self.status_code}")


@dataclass
class Asked:
    method: str
    path: str
    grant_type: str | None
    data: dict


class Replay:
    """msal's http_client: recorded answers by (method, path, grant_type); every request recorded."""

    def __init__(self) -> None:
        self.routes: dict[tuple, list[tuple[str, dict]]] = {}
        self.asked: list[Asked] = []
        self.offline = False
        self.polled = threading.Event()  # set at each device-code poll

    def answer(self, route: tuple, *names: str, **overrides) -> Replay:
        """Serve `names` in turn for `route` (the last one repeats); `overrides` change body fields."""
        self.routes[route] = [(name, overrides) for name in names]
        return self

    def signing_in(self) -> Replay:
        """The discovery answers every msal application asks for first."""
        return self.answer(OPENID, "openid-configuration").answer(DISCOVERY, "instance-discovery")

    def get(self, url, params=None, headers=None, **kwargs):
        return self._serve("GET", url, {})

    def post(self, url, params=None, data=None, headers=None, **kwargs):
        return self._serve("POST", url, dict(data or {}))

    def _serve(self, method: str, url: str, data: dict) -> Answer:
        if self.offline:
            raise requests.ConnectionError("Failed to establish a new connection: [Errno -3] no network")
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.hostname == HOST, f"unexpected request to {url}"
        grant = data.get("grant_type")
        self.asked.append(Asked(method, parts.path, grant, data))
        if grant == DEVICE_GRANT:
            self.polled.set()
        queue = self.routes.get((method, parts.path, grant))
        assert queue, f"no recorded answer for {method} {parts.path} grant_type={grant}"
        name, overrides = queue.pop(0) if len(queue) > 1 else queue[0]
        file = recorded(name)
        body = dict(file["body"], **overrides)
        return Answer(file["status"], json.dumps(body), dict(file["headers"]))

    def count(self, route: tuple) -> int:
        return sum(1 for a in self.asked if (a.method, a.path, a.grant_type) == route)


def sign_in(replay: Replay, cache: str | None = None) -> MicrosoftSignIn:
    return MicrosoftSignIn(ACCOUNT, client_id=CLIENT_ID, cache=cache, http_client=replay)


def signed_in_cache() -> str:
    """The cache after a device-code sign-in that Microsoft granted at the first poll."""
    replay = Replay().signing_in().answer(DEVICECODE, "devicecode").answer(POLL, "token-success")
    person = sign_in(replay)
    assert person.finish(person.start()) == PERSON
    cache = person.cache()
    assert cache
    return cache


def aged(cache: str, seconds: int) -> str:
    """The same cache as if it had been written `seconds` earlier (so its access token has expired)."""
    data = json.loads(cache)
    for entry in data.get("AccessToken", {}).values():
        for key in ("cached_at", "expires_on", "extended_expires_on", "refresh_on"):
            if key in entry:
                entry[key] = str(int(entry[key]) - seconds)
    return json.dumps(data)


def assert_no_secret(text: str, cache: str | None = None) -> None:
    for secret in SECRETS:
        assert secret not in text
    if cache:
        assert cache not in text


# -- the device-code flow -------------------------------------------------------------------------------

def test_device_code_sign_in_returns_the_signed_in_person():
    replay = Replay().signing_in().answer(DEVICECODE, "devicecode", interval=1)
    replay.answer(POLL, "token-pending", "token-success")
    person = sign_in(replay)

    code = person.start()
    assert (code.user_code, code.verification_uri) == ("F7XQ2KLMN", "https://microsoft.com/devicelogin")
    assert "F7XQ2KLMN" in code.message and "https://microsoft.com/devicelogin" in code.message
    assert code.expires_at > time.time() + 800
    assert DEVICE_CODE not in repr(code)

    assert person.finish(code) == PERSON
    assert replay.count(POLL) == 2  # pending, then granted
    polls = [a for a in replay.asked if a.grant_type == DEVICE_GRANT]
    assert all(a.data["device_code"] == DEVICE_CODE and a.data["client_id"] == CLIENT_ID for a in polls)
    asked_scopes = next(a for a in replay.asked if a.path.endswith("/devicecode")).data["scope"].split()
    assert set(SCOPES) <= set(asked_scopes) and "offline_access" in asked_scopes  # refresh token granted
    cache = person.cache()
    assert cache and FIRST["refresh_token"] in cache
    assert person.usernames() == [PERSON]


@pytest.mark.parametrize(("recording", "words"), [
    ("token-declined", "the sign-in was declined"),
    ("token-expired-code", "the sign-in code expired before it was used"),
])
def test_declined_or_expired_device_code_is_a_plain_auth_error(recording, words):
    replay = Replay().signing_in().answer(DEVICECODE, "devicecode").answer(POLL, recording)
    person = sign_in(replay)
    with pytest.raises(MailServerError) as caught:
        person.finish(person.start())
    assert caught.value.kind == "auth" and not caught.value.transient
    assert str(caught.value).startswith(f"mail account {ACCOUNT!r}: {words}")
    assert "AADSTS" not in str(caught.value) and "Trace ID" not in str(caught.value)
    assert_no_secret(str(caught.value))
    assert person.cache() is None  # nothing signed in, nothing to store


def test_a_code_past_its_expiry_is_not_polled():
    replay = Replay().signing_in().answer(DEVICECODE, "devicecode").answer(POLL, "token-success")
    person = sign_in(replay)
    stale = dataclasses.replace(person.start(), expires_at=time.time() - 1)
    with pytest.raises(MailServerError) as caught:
        person.finish(stale)
    assert "the sign-in code expired before it was used" in str(caught.value)
    assert replay.count(POLL) == 0


def test_stop_ends_the_wait_for_the_person_promptly():
    """Microsoft asks for a poll every 5 s; setting stop ends finish() well within that."""
    replay = Replay().signing_in().answer(DEVICECODE, "devicecode").answer(POLL, "token-pending")
    person = sign_in(replay)
    code = person.start()
    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(person.finish, code, stop)
        assert replay.polled.wait(10)
        stopped_at = time.monotonic()
        stop.set()
        with pytest.raises(MailServerError) as caught:
            waiting.result(timeout=10)
    assert time.monotonic() - stopped_at < 2
    assert caught.value.kind == "auth" and "stopped" in str(caught.value)
    assert replay.count(POLL) == 1


# -- silent tokens --------------------------------------------------------------------------------------

def test_a_valid_cached_token_is_used_with_no_request_at_all():
    cache = signed_in_cache()
    replay = Replay()  # no recorded answers: any request fails the test
    person = sign_in(replay, cache)
    assert person.access_token() == FIRST["access_token"]
    assert person.access_token(PERSON.upper()) == FIRST["access_token"]  # addresses are case-blind
    assert replay.asked == []
    assert person.cache() is None  # unchanged: nothing to store again


def test_an_expired_access_token_is_refreshed_silently_with_the_refresh_token():
    cache = aged(signed_in_cache(), 2 * 3600)
    replay = Replay().signing_in().answer(REFRESH, "token-refreshed")
    person = sign_in(replay, cache)

    assert person.access_token(PERSON) == SECOND["access_token"]
    assert replay.count(REFRESH) == 1
    refresh = next(a for a in replay.asked if a.grant_type == "refresh_token")
    assert refresh.data["refresh_token"] == FIRST["refresh_token"]
    assert {(a.method, a.path, a.grant_type) for a in replay.asked} <= {OPENID, DISCOVERY, REFRESH}

    new_cache = person.cache()
    assert new_cache and SECOND["refresh_token"] in new_cache and SECOND["access_token"] in new_cache
    assert person.access_token(PERSON) == SECOND["access_token"]  # now from the cache
    assert replay.count(REFRESH) == 1

    later = Replay()
    assert sign_in(later, new_cache).access_token() == SECOND["access_token"]
    assert later.asked == []


def test_a_revoked_sign_in_says_sign_in_again_and_shows_no_secret():
    cache = aged(signed_in_cache(), 2 * 3600)
    replay = Replay().signing_in().answer(REFRESH, "token-revoked")
    person = sign_in(replay, cache)
    with pytest.raises(MailServerError) as caught:
        person.access_token()
    error = caught.value
    assert error.kind == "auth" and not error.transient
    assert "revoked" in str(error)
    assert str(error).endswith(f"sign in again: mpoffice mail account signin {ACCOUNT}")
    assert "\n" not in str(error)
    assert_no_secret(str(error), cache)
    assert_no_secret(repr(error), cache)


def test_missing_consent_asks_for_an_administrator():
    cache = aged(signed_in_cache(), 2 * 3600)
    replay = Replay().signing_in().answer(REFRESH, "token-consent")
    with pytest.raises(MailServerError) as caught:
        sign_in(replay, cache).access_token()
    assert caught.value.kind == "auth"
    assert "an administrator must consent to the app" in str(caught.value)
    assert CLIENT_ID not in str(caught.value) or "client id" in str(caught.value)


def test_not_signed_in_or_an_unreadable_cache_says_sign_in_again():
    with pytest.raises(MailServerError) as caught:
        sign_in(Replay()).access_token()
    assert caught.value.kind == "auth" and "sign in again: mpoffice mail account signin casework" in str(
        caught.value)

    broken = signed_in_cache()[:-40]
    with pytest.raises(MailServerError) as caught:
        sign_in(Replay(), broken)
    assert "unreadable" in str(caught.value) and "sign in again" in str(caught.value)
    assert_no_secret(str(caught.value), broken)
    for junk in ("[]", "null", "not json"):
        with pytest.raises(MailServerError, match="unreadable"):
            sign_in(Replay(), junk)


# -- shared mailboxes and credentials -----------------------------------------------------------------

def test_shared_mailbox_uses_the_persons_token_with_the_mailbox_address():
    person = sign_in(Replay(), signed_in_cache())
    settings = server_settings(ACCOUNT, f" {SHARED} ")
    creds = credentials(person, PERSON)

    assert settings.user == SHARED  # the XOAUTH2 user is the shared mailbox ...
    assert creds.oauth_token == FIRST["access_token"]  # ... with the token of the person who signed in
    assert creds.password is None
    assert (settings.imap, settings.smtp, settings.account) == (IMAP_SERVER, SMTP_SERVER, ACCOUNT)
    assert FIRST["access_token"] not in repr(creds)

    with pytest.raises(MailServerError) as caught:
        credentials(person, SHARED)  # the shared mailbox never signs in itself
    assert caught.value.kind == "auth" and "sign in again" in str(caught.value)


# -- the app registration -------------------------------------------------------------------------------

def test_no_client_id_is_said_clearly(monkeypatch):
    monkeypatch.delenv(CLIENT_ID_ENV, raising=False)
    assert client_id_for(None) is None
    assert client_id_for("  ") is None
    assert client_id_for(f" {CLIENT_ID} ") == CLIENT_ID
    monkeypatch.setenv(CLIENT_ID_ENV, "11111111-2222-3333-4444-555555555555")
    assert client_id_for(CLIENT_ID) == "11111111-2222-3333-4444-555555555555"  # the environment wins

    with pytest.raises(MailServerError) as caught:
        MicrosoftSignIn(ACCOUNT, client_id=None, http_client=Replay())
    message = str(caught.value)
    assert message.startswith(f"mail account {ACCOUNT!r}: no Microsoft 365 app registration is set")
    assert "none built in" in message and CLIENT_ID_ENV in message

    with pytest.raises(MailServerError) as caught:
        MicrosoftSignIn(ACCOUNT, client_id="s3cr3t~pasted-by-mistake", http_client=Replay())
    assert "GUID" in str(caught.value) and "s3cr3t" not in str(caught.value)

    with pytest.raises(MailServerError) as caught:
        MicrosoftSignIn(ACCOUNT, client_id=CLIENT_ID, tenant="evil.example/../x", http_client=Replay())
    assert "tenant" in str(caught.value)


def test_an_app_registration_unknown_to_the_organisation_is_explained():
    replay = Replay().signing_in().answer(DEVICECODE, "devicecode-unknown-app")
    with pytest.raises(MailServerError) as caught:
        sign_in(replay).start()
    assert caught.value.kind == "auth"
    assert "the app registration (client id) was not found in this organisation" in str(caught.value)
    assert "Trace ID" not in str(caught.value)


# -- network trouble ------------------------------------------------------------------------------------

def test_no_connection_is_a_transient_network_error():
    replay = Replay()
    replay.offline = True
    with pytest.raises(MailServerError) as caught:
        sign_in(replay).start()
    assert caught.value.kind == "network" and caught.value.transient
    assert "no connection" in str(caught.value)

    cache = aged(signed_in_cache(), 2 * 3600)
    with pytest.raises(MailServerError) as caught:
        sign_in(replay, cache).access_token()
    assert caught.value.kind == "network" and caught.value.transient
    assert_no_secret(str(caught.value), cache)


def test_an_unavailable_sign_in_service_is_transient():
    cache = aged(signed_in_cache(), 2 * 3600)
    replay = Replay().signing_in().answer(REFRESH, "token-unavailable")
    with pytest.raises(MailServerError) as caught:
        sign_in(replay, cache).access_token()
    assert caught.value.kind == "network" and caught.value.transient


# -- secrets --------------------------------------------------------------------------------------------

def test_no_token_code_or_cache_in_any_repr():
    cache = signed_in_cache()
    person = sign_in(Replay(), cache)
    replay = Replay().signing_in().answer(DEVICECODE, "devicecode")
    code = sign_in(replay).start()
    for shown in (repr(person), str(person), repr(code), str(code), repr(credentials(person)),
                  repr(DeviceCode("A", "https://x", "m", 0.0, {"device_code": DEVICE_CODE}))):
        assert_no_secret(shown, cache)


# -- in the office --------------------------------------------------------------------------------------

def test_a_shared_mailbox_added_to_the_office_signs_in_from_its_sealed_cache(office):
    """`mail_accounts.add_microsoft` keeps the signed-in cache sealed in the office; the token used for the
    shared mailbox comes from it with no request (it is still valid), and nothing secret is in the op log."""
    from mpoffice_tui.services import mail_accounts

    cache = signed_in_cache()
    view = mail_accounts.add_microsoft(office, "casework", user=SHARED, cache=cache, client_id=CLIENT_ID)
    assert (view.kind, view.user, view.address, view.here, view.signed_in) == (
        "microsoft365", SHARED, SHARED, True, True)
    assert view.imap.startswith(IMAP_SERVER.host) and view.smtp.startswith(SMTP_SERVER.host)
    account = mail_accounts.account(office, "casework")
    assert mail_accounts.credentials(office, account).oauth_token == FIRST["access_token"]
    assert mail_accounts.settings_of(account).user == SHARED  # XOAUTH2 names the shared mailbox
    with office.engine.connect() as conn:
        stored = "\n".join(r[0] for r in conn.exec_driver_sql("SELECT value FROM ops").fetchall())
    assert_no_secret(stored, cache)
