"""Mail accounts: adding one (IMAP + SMTP with a password, or Microsoft 365), its sealed secret, and
which of the office's machines is its *mail machine* (the only one that fetches and sends for it).

Secrets (passwords, Microsoft token caches) are sealed with AES-GCM under a key derived from the office
key before they are written, so they never appear in the op log, a bundle, a conflict list or an error;
they travel to the office's other machines only inside encrypted bundles, so that moving the mail
machine is one command. No function here returns a secret to the UI.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import MailAccount, MailSecret
from mpoffice_tui.mailbox.types import IMAP_PORTS, SECURITIES, SMTP_PORTS, Credentials, Server, ServerSettings

_SEAL_INFO = b"mpoffice mail secrets v1"
KINDS = ("imap", "microsoft365")


class MailAccountError(OfficeError):
    """A mail account could not be used; the message names the account and the cause."""


@dataclass(frozen=True)
class AccountView:
    id: str
    name: str
    kind: str
    address: str
    display_name: str
    user: str
    imap: str  # "host:port (ssl)"
    smtp: str
    folders: tuple[str, ...]
    sent_folder: str | None
    mail_site: str | None
    mail_machine: str  # "this machine", "machine B", or "none"
    here: bool  # this machine fetches and sends for it
    trusted_fingerprint: str | None
    signed_in: bool  # a password or a Microsoft sign-in is stored


# -- secrets ---------------------------------------------------------------------------------------
def _seal(office: Office, account_id: str, secret: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    box = AESGCM(office.derive_key(_SEAL_INFO)).encrypt(nonce, secret.encode(), account_id.encode())
    return base64.b64encode(nonce + box).decode()


def _unseal(office: Office, account_id: str, sealed: str) -> str:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        blob = base64.b64decode(sealed)
        return AESGCM(office.derive_key(_SEAL_INFO)).decrypt(blob[:12], blob[12:], account_id.encode()).decode()
    except (InvalidTag, ValueError) as exc:
        raise OfficeError("the stored mail secret could not be read") from exc


def _store_secret(office: Office, w, account_id: str, secret: str) -> None:
    row = w.session.connection().exec_driver_sql(
        "SELECT id FROM mail_secrets WHERE account_id = ? AND deleted = 0 ORDER BY created_at LIMIT 1",
        (account_id,)).fetchone()
    sealed = _seal(office, account_id, secret)
    if row:
        w.update(w.get(MailSecret, row[0]), sealed=sealed)
    else:
        w.insert(MailSecret, account_id=account_id, sealed=sealed)


def _secret(office: Office, account_id: str) -> str | None:
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT sealed FROM mail_secrets WHERE account_id = ? AND deleted = 0 ORDER BY created_at LIMIT 1",
            (account_id,)).fetchone()
    return _unseal(office, account_id, row[0]) if row else None


def save_secret(office: Office, account_id: str, secret: str) -> None:
    """Store a changed secret (a refreshed Microsoft token cache, a new password): one transaction."""
    with office.writing() as w:
        _store_secret(office, w, account_id, secret)


# -- reading -------------------------------------------------------------------------------------
def _machine(office: Office, site: str | None) -> str:
    if not site:
        return "none"
    if site == office.site_id:
        return "this machine"
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT code, label FROM peer WHERE site = ?", (site,)).fetchone()
    if row and (row[1] or row[0]):
        return f"machine {row[0]}" + (f" ({row[1]})" if row[1] else "")
    return f"machine {site[-6:]}"


def _view(office: Office, a: MailAccount, signed_in: bool) -> AccountView:
    return AccountView(a.id, a.name, a.kind, a.address, a.display_name, a.user,
                       f"{a.imap_host}:{a.imap_port} ({a.imap_security})",
                       f"{a.smtp_host}:{a.smtp_port} ({a.smtp_security})",
                       tuple(f for f in a.folders.split(",") if f), a.sent_folder, a.mail_site,
                       _machine(office, a.mail_site), a.mail_site == office.site_id, a.trust_fingerprint,
                       signed_in)


def _accounts(office: Office) -> list[MailAccount]:
    from sqlmodel import select

    with office.read() as s:
        return list(s.exec(select(MailAccount).where(MailAccount.deleted == False)  # noqa: E712
                           .order_by(MailAccount.created_at, MailAccount.id)).all())


def list_accounts(office: Office) -> list[AccountView]:
    """Every live account, oldest first (the first is the office's sending account)."""
    with office.engine.connect() as conn:
        secret_ids = {r[0] for r in conn.exec_driver_sql(
            "SELECT account_id FROM mail_secrets WHERE deleted = 0").fetchall()}
    return [_view(office, a, a.id in secret_ids) for a in _accounts(office)]


def account(office: Office, name: str | None = None) -> MailAccount:
    """The account called `name` (any case), or the office's sending account when no name is given."""
    accounts = _accounts(office)
    if not accounts:
        raise OfficeError("no mail account: add one with `mpoffice mail account add`")
    if name is None:
        return accounts[0]
    for a in accounts:
        if a.name.lower() == name.strip().lower() or a.id == name:
            return a
    raise OfficeError(f"no mail account {name!r} (accounts: {', '.join(a.name for a in accounts)})")


def accounts_here(office: Office, name: str | None = None) -> list[MailAccount]:
    """The accounts this machine fetches and sends for (one, when `name` is given and it is one)."""
    if name is not None:
        a = account(office, name)
        if a.mail_site != office.site_id:
            raise MailAccountError(f"mail account {a.name!r}: this machine is not its mail machine "
                                   f"({_machine(office, a.mail_site)} is); move the role with "
                                   f"`mpoffice mail account move {a.name} --to here`")
        return [a]
    return [a for a in _accounts(office) if a.mail_site == office.site_id]


def settings_of(a: MailAccount) -> ServerSettings:
    return ServerSettings(a.name, Server(a.imap_host, a.imap_port, a.imap_security),
                          Server(a.smtp_host, a.smtp_port, a.smtp_security), a.user, a.trust_fingerprint)


def credentials(office: Office, a: MailAccount) -> Credentials:
    """How to sign in to the account now: its password, or a Microsoft access token (refreshed silently;
    a refreshed token cache is stored again)."""
    secret = _secret(office, a.id)
    if secret is None:
        raise MailAccountError(f"mail account {a.name!r}: no password or sign-in is stored; "
                               f"{'sign in with `mpoffice mail account signin ' + a.name + '`' if a.kind == 'microsoft365' else 'add the account again with --password-file'}")
    if a.kind != "microsoft365":
        return Credentials(password=secret)
    from mpoffice_tui.mailbox import microsoft

    sign_in = microsoft.MicrosoftSignIn(a.name, client_id=a.client_id or "", tenant=a.tenant or "organizations",
                                        cache=secret)
    token = sign_in.access_token()
    changed = sign_in.cache()
    if changed:
        save_secret(office, a.id, changed)
    return Credentials(oauth_token=token)


def check_servers(settings: ServerSettings, creds: Credentials) -> str | None:
    """Sign in to both servers (a wrong password, an unknown host or an untrusted certificate is a
    MailServerError naming the account); returns the server's Sent folder, if it has one."""
    from mpoffice_tui.mailbox import smtp
    from mpoffice_tui.mailbox.imap import ImapSession

    with ImapSession(settings, creds) as session:
        sent = session.sent_folder()
    smtp.check(settings, creds)
    return sent


# -- adding, moving, removing ----------------------------------------------------------------------
def _check_new(office: Office, name: str, address: str) -> str:
    name = name.strip()
    if not name or any(c.isspace() or not c.isprintable() for c in name) or len(name) > 40:
        raise OfficeError(f"an account name is one word of at most 40 printable characters, not {name!r}")
    if any(a.name.lower() == name.lower() for a in _accounts(office)):
        raise OfficeError(f"there is already a mail account called {name!r}")
    from mpoffice_tui.services.office_settings import looks_like_email

    if not looks_like_email(address):
        raise OfficeError(f"mail account {name!r}: {address!r} is not an email address")
    return name


def _folders(folders: list[str] | None) -> str:
    names = [f.strip() for f in (folders or ["INBOX"]) if f.strip()]
    if "INBOX" not in (n.upper() for n in names):
        names.insert(0, "INBOX")
    if any("," in n for n in names):
        raise OfficeError("a folder name with a comma in it cannot be fetched")
    return ",".join(names)


def add_imap(office: Office, name: str, *, user: str, password: str, imap_host: str, smtp_host: str,
             imap_port: int | None = None, smtp_port: int | None = None, security: str = "ssl",
             smtp_security: str | None = None, address: str | None = None, display_name: str = "",
             trust_fingerprint: str | None = None, folders: list[str] | None = None,
             check: Callable[[ServerSettings, Credentials], str | None] | None = None) -> AccountView:
    """Add an IMAP + SMTP account; this machine becomes its mail machine. `check` (the caller's
    connection test, run before anything is written) returns the server's Sent folder or None."""
    address = (address or user).strip()
    name = _check_new(office, name, address)
    smtp_security = smtp_security or security
    for sec in (security, smtp_security):
        if sec not in SECURITIES:
            raise OfficeError(f"mail account {name!r}: security must be one of {', '.join(SECURITIES)}, not {sec!r}")
    if not password:
        raise OfficeError(f"mail account {name!r}: the password is empty")
    fp = _fingerprint(trust_fingerprint) if trust_fingerprint else None
    row = {"name": name, "kind": "imap", "address": address, "display_name": display_name.strip(),
           "user": user.strip(), "imap_host": imap_host.strip(), "imap_port": imap_port or IMAP_PORTS[security],
           "imap_security": security, "smtp_host": smtp_host.strip(),
           "smtp_port": smtp_port or SMTP_PORTS[smtp_security], "smtp_security": smtp_security,
           "trust_fingerprint": fp, "folders": _folders(folders), "mail_site": office.site_id}
    if check is not None:
        probe = MailAccount(id="-", created_at="", updated_at="", **row)
        row["sent_folder"] = check(settings_of(probe), Credentials(password=password))
    with office.writing() as w:
        a = w.insert(MailAccount, **row)
        _store_secret(office, w, a.id, password)
        w.audit("mail.account.add", target=f"mail_account:{a.id}", detail=f"{name} ({address}) added")
    return list_view(office, name)


def add_microsoft(office: Office, name: str, *, user: str, cache: str, client_id: str, tenant: str = "organizations",
                  address: str | None = None, display_name: str = "", folders: list[str] | None = None,
                  sent_folder: str | None = "Sent Items") -> AccountView:
    """Add a Microsoft 365 mailbox (a shared one too) after its device-code sign-in; `cache` is the
    signed-in token cache (sealed before it is stored)."""
    from mpoffice_tui.mailbox import microsoft

    address = (address or user).strip()
    name = _check_new(office, name, address)
    row = {"name": name, "kind": "microsoft365", "address": address, "display_name": display_name.strip(),
           "user": user.strip(), "imap_host": microsoft.IMAP_SERVER.host, "imap_port": microsoft.IMAP_SERVER.port,
           "imap_security": microsoft.IMAP_SERVER.security, "smtp_host": microsoft.SMTP_SERVER.host,
           "smtp_port": microsoft.SMTP_SERVER.port, "smtp_security": microsoft.SMTP_SERVER.security,
           "folders": _folders(folders), "sent_folder": sent_folder, "server_saves_sent": True,
           "mail_site": office.site_id, "client_id": client_id, "tenant": tenant}
    with office.writing() as w:
        a = w.insert(MailAccount, **row)
        _store_secret(office, w, a.id, cache)
        w.audit("mail.account.add", target=f"mail_account:{a.id}", detail=f"{name} ({address}, Microsoft 365) added")
    return list_view(office, name)


def list_view(office: Office, name: str) -> AccountView:
    a = account(office, name)
    return next(v for v in list_accounts(office) if v.id == a.id)


def _fingerprint(text: str) -> str:
    hexits = "".join(c for c in text.upper() if c in "0123456789ABCDEF")
    if len(hexits) != 64 or len(hexits) != len(text.replace(":", "").replace(" ", "")):
        raise OfficeError(f"{text!r} is not a SHA-256 fingerprint (64 hex digits, colons allowed)")
    return ":".join(hexits[i:i + 2] for i in range(0, 64, 2))


def move(office: Office, name: str, to: str, *, force: bool = False) -> AccountView:
    """Make another machine (a site code, or "here") the account's mail machine: one transaction.

    Given away from the current mail machine, the role moves safely: this machine stops at once and the
    other starts when the change reaches it, so the two never both send. Taken from another machine
    ("here" on a machine that is not the mail machine) only with `force` (the old one is lost or dead):
    mail the old machine was sending is first looked up in the Sent folder before it is sent again."""
    a = account(office, name)
    target = office.site_id if to.strip().lower() == "here" else _site_of(office, to)
    if target == a.mail_site:
        return list_view(office, a.name)
    if a.mail_site and a.mail_site != office.site_id and not force:
        raise MailAccountError(
            f"mail account {a.name!r}: {_machine(office, a.mail_site)} is its mail machine; give the role "
            f"away from there (`mpoffice mail account move {a.name} --to {office.site_code}`), or add --force "
            "if that machine is lost (what it was sending is checked against the Sent folder first)")
    with office.writing() as w:
        row = w.get(MailAccount, a.id)
        w.update(row, mail_site=target)
        w.audit("mail.account.move", target=f"mail_account:{a.id}",
                detail=f"{a.name}: mail machine now {_machine(office, target)}{' (taken by force)' if force else ''}")
    return list_view(office, a.name)


def _site_of(office: Office, code: str) -> str:
    c = code.strip()
    if c.upper() == office.site_code.upper():
        return office.site_id
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT site FROM peer WHERE upper(code) = ? OR site = ?",
                                   (c.upper(), c)).fetchone()
    if row is None:
        raise OfficeError(f"no machine {code!r} in this office (see `mpoffice sync status`)")
    return row[0]


def remove(office: Office, name: str) -> AccountView:
    """Remove an account (its secret too); mail already fetched stays. One transaction."""
    a = account(office, name)
    view = list_view(office, a.name)
    with office.writing() as w:
        w.delete(w.get(MailAccount, a.id))
        for (sid,) in w.session.connection().exec_driver_sql(
                "SELECT id FROM mail_secrets WHERE account_id = ? AND deleted = 0", (a.id,)).fetchall():
            w.delete(w.get(MailSecret, sid))
        w.audit("mail.account.remove", target=f"mail_account:{a.id}", detail=f"{a.name} removed")
    return view


def set_sent_folder(office: Office, account_id: str, folder: str) -> None:
    """Remember where the server keeps sent mail (found on the first connection)."""
    with office.writing() as w:
        w.update(w.get(MailAccount, account_id), sent_folder=folder)
