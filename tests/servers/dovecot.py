"""A throwaway Dovecot: config in a temp folder, Maildir storage, IMAP with STARTTLS and implicit TLS.

Works as root (CI) and as an ordinary user: every service runs as whoever starts it.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import signal
import socket
import subprocess
import time
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"

_CONF = """\
# Written by tests/servers/dovecot.py for one test; thrown away afterwards.
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
shutdown_clients = yes
version_ignore = yes

ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_cache_size = 0
auth_failure_delay = 0
auth_verbose = yes

passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home
}}

mail_location = maildir:{maildir}
mail_fsync = never
maildir_very_dirty_syncs = no
mailbox_idle_check_interval = 1 secs
imap_idle_notify_interval = 1 secs

namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
}}

service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
{services}"""

# As an ordinary user every service runs as that user (Dovecot cannot switch users).
_SERVICES_AS = ('imap', 'anvil', 'auth', 'auth-worker', 'stats', 'config', 'log', 'indexer', 'indexer-worker', 'imap-hibernate', 'imap-urlauth-login', 'imap-urlauth', 'imap-urlauth-worker', 'dict', 'dict-async', 'dns-client', 'doveadm', 'aggregator', 'health-check', 'ipc', 'director', 'replicator')

_OAUTH2 = """\
introspection_mode = post
introspection_url = {url}
tokeninfo_url = {url}?access_token=
username_attribute = username
active_attribute = active
active_value = true
force_introspection = yes
"""


def installed() -> bool:
    return os.access(DOVECOT, os.X_OK)


def _wait_port(port: int, deadline: float, proc: subprocess.Popen) -> None:
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class Dovecot:
    """One Dovecot master (`dovecot -F`) owned by the test; start/stop keep the same ports."""

    def __init__(self, root: Path, maildir: Path, *, user: str, password: str, imap_port: int,
                 imaps_port: int, oauth_url: str, cert_pem: bytes, key_pem: bytes, mail_uid: int,
                 mail_gid: int) -> None:
        self.root = root
        self.proc: subprocess.Popen | None = None
        me = pwd.getpwuid(os.getuid())
        for d in ("run", "state", "home"):
            (root / d).mkdir(parents=True, exist_ok=True)
        os.chown(root / "home", mail_uid, mail_gid)
        (root / "cert.pem").write_bytes(cert_pem)
        key = root / "key.pem"
        key.write_bytes(key_pem)
        key.chmod(0o600)
        passwd = root / "passwd"
        passwd.write_text(f"{user}:{password}\n", encoding="utf-8")
        passwd.chmod(0o644)  # a throwaway password; Dovecot's auth user must read it when root
        (root / "oauth2.conf.ext").write_text(_OAUTH2.format(url=oauth_url), encoding="utf-8")
        if os.getuid() == 0:  # the package's unprivileged users; login must not run as root
            users = {"internal_user": "dovecot", "internal_group": "dovecot", "login_user": "dovenull"}
            services = ""
        else:
            group = grp.getgrgid(os.getgid()).gr_name
            users = {"internal_user": me.pw_name, "internal_group": group, "login_user": me.pw_name}
            services = "".join(f"service {name} {{\n  user = {me.pw_name}\n}}\n" for name in _SERVICES_AS)
            services += "service anvil {\n  chroot =\n}\nservice imap-urlauth-login {\n  chroot =\n}\n"
        root.chmod(0o755)  # Dovecot's own users must reach base_dir
        self.conf = root / "dovecot.conf"
        self._values = dict(root=root, maildir=maildir, uid=mail_uid, gid=mail_gid, services=services, **users)
        self.use_ports(imap_port, imaps_port)

    def use_ports(self, imap_port: int, imaps_port: int) -> None:
        """(Re)write the config for these ports; takes effect at the next start()."""
        self.imap_port, self.imaps_port = imap_port, imaps_port
        self.conf.write_text(_CONF.format(imap_port=imap_port, imaps_port=imaps_port, **self._values),
                             encoding="utf-8")

    @property
    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def start(self, timeout: float = 10.0) -> None:
        if self.proc is not None:
            return
        started_before = self.log.count("starting up")
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        try:
            # "starting up" is logged once the listeners are bound (a port taken meanwhile: it exits)
            while self.log.count("starting up") == started_before and self.proc.poll() is None:
                if time.monotonic() > deadline:
                    raise TimeoutError("no 'starting up' in the log")
                time.sleep(0.01)
            _wait_port(self.imaps_port, deadline, self.proc)
            _wait_port(self.imap_port, deadline, self.proc)
            if self.proc.poll() is not None:
                raise ConnectionError("dovecot exited")
        except OSError:
            err = self._kill()
            raise RuntimeError(f"dovecot did not start: {err}\n{self.log[-3000:]}") from None

    def stop(self) -> None:
        if self.proc is not None:
            self._kill()

    def _kill(self) -> str:
        """SIGKILL the master and every child at once (its process group): connections drop, as when a
        server dies, and nothing waits for clients to log out."""
        proc, self.proc = self.proc, None
        assert proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        return err
