"""The office data key and its key slots (DESIGN §4).

The database is keyed with a random 256-bit data key. That key is stored only wrapped, in a JSON
key-slot file beside the database: one slot per staff passphrase (Argon2id then AES-256-GCM), an
optional OS-keyring slot, and a recovery-code slot. Each slot's parameters are bound to its
ciphertext as associated data, so editing a slot's header makes it fail to open.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from mpoffice_tui.db.errors import MissingKeySlots, NotAnOffice, UnlockError, WrongPassphrase

FORMAT = "mpoffice-keyslots/1"
KEYRING_SERVICE = "mpoffice"
# Argon2id well above the OWASP minimum (m=19 MiB, t=2, p=1).
ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_TIME = 3
ARGON2_LANES = 4
RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def derive(secret: str, salt: bytes, memory_kib: int, time_cost: int, lanes: int) -> bytes:
    """Argon2id: a 32-byte key from a passphrase or recovery code."""
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(
        secret.encode("utf-8"), salt, time_cost=time_cost, memory_cost=memory_kib,
        parallelism=lanes, hash_len=32, type=Type.ID,
    )


@dataclass
class Slot:
    """One wrapped copy of the data key."""

    id: str
    kind: str  # "passphrase" | "recovery" | "keyring"
    label: str
    staff_id: str | None
    nonce: str
    ciphertext: str
    kdf: dict | None = None  # {"alg": "argon2id", "salt", "m", "t", "p"} for passphrase/recovery

    def header(self, office_id: str) -> bytes:
        """Associated data: everything about the slot except its ciphertext."""
        head = {"office": office_id, "id": self.id, "kind": self.kind, "label": self.label,
                "staff_id": self.staff_id, "kdf": self.kdf}
        return json.dumps(head, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def unwrap(self, wrapping_key: bytes, office_id: str) -> bytes:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            return AESGCM(wrapping_key).decrypt(_unb64(self.nonce), _unb64(self.ciphertext),
                                                self.header(office_id))
        except (InvalidTag, ValueError) as exc:
            raise WrongPassphrase("wrong passphrase") from exc


@dataclass
class KeySlots:
    """The key-slot file: the office id and its slots."""

    office_id: str
    slots: list[Slot] = field(default_factory=list)

    # -- file I/O ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> KeySlots:
        if not path.exists():
            raise MissingKeySlots(
                f"{path}: the key-slot file is missing. It sits beside the office database and holds "
                "the wrapped keys; restore it from your backup (mpoffice backup writes both)."
            )
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("format") != FORMAT:
                raise ValueError("unknown format")
            return cls(office_id=raw["office_id"], slots=[Slot(**s) for s in raw["slots"]])
        except (ValueError, KeyError, TypeError) as exc:
            raise NotAnOffice(f"{path}: not an mpoffice key-slot file ({exc}).") from exc

    def save(self, path: Path) -> None:
        """Write atomically: a new file then rename, so a crash never leaves half a slot file."""
        data = {"format": FORMAT, "office_id": self.office_id,
                "slots": [s.__dict__ for s in self.slots]}
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)

    # -- adding slots ------------------------------------------------------------------------
    def _wrap(self, data_key: bytes, wrapping_key: bytes, slot: Slot) -> Slot:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = secrets.token_bytes(12)
        slot.nonce = _b64(nonce)
        slot.ciphertext = _b64(AESGCM(wrapping_key).encrypt(nonce, data_key, slot.header(self.office_id)))
        self.slots.append(slot)
        return slot

    def add_secret_slot(self, data_key: bytes, secret: str, *, kind: str, label: str,
                        staff_id: str | None = None) -> Slot:
        """Add a passphrase or recovery-code slot."""
        salt = secrets.token_bytes(16)
        kdf = {"alg": "argon2id", "salt": _b64(salt), "m": ARGON2_MEMORY_KIB, "t": ARGON2_TIME,
               "p": ARGON2_LANES}
        wrapping = derive(secret, salt, ARGON2_MEMORY_KIB, ARGON2_TIME, ARGON2_LANES)
        slot = Slot(id=secrets.token_hex(8), kind=kind, label=label, staff_id=staff_id, nonce="",
                    ciphertext="", kdf=kdf)
        return self._wrap(data_key, wrapping, slot)

    def add_keyring_slot(self, data_key: bytes, label: str, staff_id: str | None) -> Slot:
        """Store a random slot key in the OS keyring and wrap the data key with it."""
        backend = usable_keyring()
        if backend is None:
            raise UnlockError(keyring_unavailable_reason())
        slot_key = secrets.token_bytes(32)
        slot = Slot(id=secrets.token_hex(8), kind="keyring", label=label, staff_id=staff_id,
                    nonce="", ciphertext="")
        backend.set_password(KEYRING_SERVICE, f"{self.office_id}:{slot.id}", _b64(slot_key))
        return self._wrap(data_key, slot_key, slot)

    def remove(self, slot_id: str) -> Slot:
        for slot in self.slots:
            if slot.id == slot_id:
                if slot.kind == "keyring":
                    backend = usable_keyring()
                    if backend is not None:
                        with contextlib.suppress(Exception):  # a missing entry is fine
                            backend.delete_password(KEYRING_SERVICE, f"{self.office_id}:{slot.id}")
                self.slots.remove(slot)
                return slot
        raise KeyError(slot_id)

    # -- opening -----------------------------------------------------------------------------
    def unlock_with_secret(self, secret: str, kinds: tuple[str, ...] = ("passphrase", "recovery")
                           ) -> tuple[bytes, Slot]:
        """Try each passphrase/recovery slot; return the data key and the slot that opened."""
        tried: dict[tuple, bytes] = {}
        candidates = [s for s in self.slots if s.kind in kinds]
        if not candidates:
            raise MissingKeySlots("the key-slot file has no passphrase slots")
        secrets_to_try = [secret]
        if "recovery" in kinds:
            secrets_to_try.append(normalise_recovery_code(secret))
        for slot in candidates:
            kdf = slot.kdf or {}
            for candidate in secrets_to_try if slot.kind == "recovery" else [secret]:
                params = (candidate, kdf["salt"], kdf["m"], kdf["t"], kdf["p"])
                if params not in tried:
                    tried[params] = derive(candidate, _unb64(kdf["salt"]), kdf["m"], kdf["t"], kdf["p"])
                try:
                    return slot.unwrap(tried[params], self.office_id), slot
                except WrongPassphrase:
                    continue
        raise WrongPassphrase("wrong passphrase: no key slot opens with it")

    def unlock_with_keyring(self) -> tuple[bytes, Slot] | None:
        """Open with a keyring slot if this computer remembers one; None otherwise."""
        backend = usable_keyring()
        if backend is None:
            return None
        for slot in self.slots:
            if slot.kind != "keyring":
                continue
            try:
                stored = backend.get_password(KEYRING_SERVICE, f"{self.office_id}:{slot.id}")
            except Exception:  # noqa: BLE001 - a broken backend means "ask for the passphrase"
                return None
            if stored:
                try:
                    return slot.unwrap(_unb64(stored), self.office_id), slot
                except (WrongPassphrase, ValueError):
                    continue
        return None

    def staff_slots(self, staff_id: str) -> list[Slot]:
        return [s for s in self.slots if s.staff_id == staff_id]


def new_data_key() -> bytes:
    return secrets.token_bytes(32)


def new_recovery_code() -> str:
    """A recovery code: 25 characters in 5 groups, about 122 bits, easy to read aloud."""
    chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(25))
    return "-".join(chars[i:i + 5] for i in range(0, 25, 5))


def normalise_recovery_code(text: str) -> str:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return "-".join(cleaned[i:i + 5] for i in range(0, len(cleaned), 5))


# -- the OS keyring -------------------------------------------------------------------------
_PROBED: list = []
_REAL_BACKENDS = {
    "keyring.backends.Windows", "keyring.backends.macOS", "keyring.backends.SecretService",
    "keyring.backends.kwallet", "keyring.backends.libsecret",
}


def usable_keyring():
    """The OS keyring backend if it is a real, known one; None otherwise (probed once)."""
    if os.environ.get("MPOFFICE_NO_KEYRING"):
        return None
    if _PROBED:
        return _PROBED[0]
    backend = None
    try:
        import keyring

        candidate = keyring.get_keyring()
        chain = getattr(candidate, "backends", None)
        options = list(chain) if chain is not None else [candidate]
        for option in options:
            module = type(option).__module__
            if any(module.startswith(real) for real in _REAL_BACKENDS) and option.priority > 0:
                backend = option
                break
    except Exception:  # noqa: BLE001 - any failure to load means "no keyring"
        backend = None
    _PROBED.append(backend)
    return backend


def keyring_unavailable_reason() -> str:
    return ("this computer has no usable OS keyring (Windows Credential Manager, macOS Keychain or "
            "Secret Service), so the office asks for a passphrase each time")


def reset_keyring_probe() -> None:
    """For tests: probe the keyring again."""
    _PROBED.clear()
