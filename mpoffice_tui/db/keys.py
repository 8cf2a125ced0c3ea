"""The office data key and its key slots (DESIGN §4).

The database is keyed with a random 256-bit data key. That key is stored only wrapped, in a JSON
key-slot file beside the database: one slot per staff passphrase (Argon2id then AES-256-GCM), an
optional OS-keyring slot, and a recovery-code slot. Each slot's parameters are bound to its
ciphertext as associated data, so editing a slot's header makes it fail to open.

A key-slot file is checked before any work: a corrupt, truncated or foreign file, or a slot with
missing fields or Argon2 parameters outside ARGON2_BOUNDS (a time cost of 10^7 would hang the
unlock), is `KeySlotsDamaged` (exit 3) with a message naming the file and the fault. A damaged slot
beside good ones is skipped (and kept in the file as it was). Wrong passphrases are counted on this
computer (`FailedUnlocks`): from the third in a row each try first waits a growing delay.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mpoffice_tui import paths
from mpoffice_tui.db.errors import KeySlotsDamaged, MissingKeySlots, UnlockError, WrongPassphrase
from mpoffice_tui.files import FileRefused, private_dir, read_regular, write_private

FORMAT = "mpoffice-keyslots/1"
KEYRING_SERVICE = "mpoffice"
# Argon2id well above the OWASP minimum (m=19 MiB, t=2, p=1).
ARGON2_MEMORY_KIB = 64 * 1024
ARGON2_TIME = 3
ARGON2_LANES = 4
# What a slot (or an enrolment file) may ask for; anything outside is refused before any work.
ARGON2_BOUNDS = {"m": (8 * 1024, 1024 * 1024), "t": (1, 10), "p": (1, 16)}
MAX_FILE_BYTES = 1 << 20  # a key-slot file of a thousand slots is under 500 KB
SLOT_KINDS = ("passphrase", "recovery", "keyring")
RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def check_kdf(kdf: Any) -> tuple[bytes, int, int, int]:
    """(salt, m, t, p) of Argon2id parameters within ARGON2_BOUNDS; ValueError says what is wrong."""
    if not isinstance(kdf, dict):
        raise ValueError("no key-derivation parameters")
    if kdf.get("alg") != "argon2id":
        raise ValueError(f"unknown key derivation {str(kdf.get('alg'))[:20]!r}")
    try:
        salt = _unb64(kdf["salt"])
    except KeyError:
        raise ValueError("no salt") from None
    except (ValueError, TypeError, AttributeError, binascii.Error):
        raise ValueError("a salt that is not base64") from None
    if not 8 <= len(salt) <= 64:
        raise ValueError("a salt of the wrong length")
    values = []
    for name, (lo, hi) in ARGON2_BOUNDS.items():
        v = kdf.get(name)
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"Argon2 parameter {name!r} missing or not a whole number")
        if not lo <= v <= hi:
            raise ValueError(f"Argon2 parameter {name}={v} outside the safe range {lo}-{hi}")
        values.append(v)
    m, t, p = values
    return salt, m, t, p


def derive(secret: str, salt: bytes, memory_kib: int, time_cost: int, lanes: int) -> bytes:
    """Argon2id: a 32-byte key from a passphrase or recovery code (parameters within ARGON2_BOUNDS)."""
    from argon2.low_level import Type, hash_secret_raw

    check_kdf({"alg": "argon2id", "salt": _b64(salt), "m": memory_kib, "t": time_cost, "p": lanes})

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

    @classmethod
    def from_dict(cls, raw: Any) -> Slot:
        """A slot from its JSON form, checked; ValueError says what is wrong with it."""
        if not isinstance(raw, dict):
            raise ValueError("not a slot")
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown field {sorted(unknown)[0][:30]!r}")
        for name in ("id", "kind", "label", "nonce", "ciphertext"):
            if not isinstance(raw.get(name), str):
                raise ValueError(f"field {name!r} missing or not text")
        if raw.get("staff_id") is not None and not isinstance(raw["staff_id"], str):
            raise ValueError("field 'staff_id' is not text")
        if raw["kind"] not in SLOT_KINDS:
            raise ValueError(f"unknown kind {raw['kind'][:20]!r}")
        try:
            nonce, sealed = _unb64(raw["nonce"]), _unb64(raw["ciphertext"])
        except (ValueError, binascii.Error):
            raise ValueError("nonce or ciphertext is not base64") from None
        if len(nonce) != 12 or len(sealed) != 48:
            raise ValueError("nonce or ciphertext of the wrong length")
        if raw["kind"] == "keyring":
            if raw.get("kdf") is not None:
                raise ValueError("a keyring slot with key-derivation parameters")
        else:
            check_kdf(raw.get("kdf"))
        return cls(**{k: raw.get(k) for k in cls.__dataclass_fields__})

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
    damaged: list[tuple[Any, str]] = field(default_factory=list)  # (slot as found, what is wrong): kept

    # -- file I/O ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path) -> KeySlots:
        """Read and check a key-slot file (KeySlotsDamaged, exit 3, for anything wrong with it)."""
        if not path.exists() and not path.is_symlink():
            raise MissingKeySlots(
                f"{path}: the key-slot file is missing. It sits beside the office database and holds "
                "the wrapped keys; restore it from your backup (mpoffice backup writes both)."
            )
        try:
            text = read_regular(path, MAX_FILE_BYTES, "key-slot file").decode("utf-8")
        except FileRefused as exc:
            raise KeySlotsDamaged(f"{exc}. Restore the key-slot file from your backup.") from None
        except UnicodeDecodeError:
            raise KeySlotsDamaged(f"{path}: the key-slot file is damaged (it is not text). Restore it from "
                                  "your backup.") from None
        return cls.parse(text, path)

    @classmethod
    def parse(cls, text: str, path: Path | str) -> KeySlots:
        """A key-slot file's text, checked (see load)."""
        try:
            raw = json.loads(text)
        except ValueError:
            raise KeySlotsDamaged(f"{path}: the key-slot file is damaged or truncated (not valid JSON). "
                                  "Restore it from your backup.") from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise KeySlotsDamaged(f"{path}: not an mpoffice key-slot file (another program's file, or "
                                  "from a newer mpoffice).")
        if not isinstance(raw.get("office_id"), str) or not isinstance(raw.get("slots"), list):
            raise KeySlotsDamaged(f"{path}: the key-slot file is damaged (no office id or no slot list). "
                                  "Restore it from your backup.")
        out = cls(office_id=raw["office_id"])
        for i, entry in enumerate(raw["slots"], 1):
            try:
                out.slots.append(Slot.from_dict(entry))
            except ValueError as exc:
                out.damaged.append((entry, f"slot {i}: {exc}"))
        if not out.slots:
            why = "; ".join(reason for _, reason in out.damaged[:3]) or "it holds no slots"
            raise KeySlotsDamaged(f"{path}: no usable key slot ({why}). Restore the key-slot file from "
                                  "your backup.")
        return out

    def save(self, path: Path) -> None:
        """Write atomically and owner-only: a new file then rename, so a crash never leaves half a slot
        file. Damaged slots are written back as they were found."""
        data = {"format": FORMAT, "office_id": self.office_id,
                "slots": [s.__dict__ for s in self.slots] + [raw for raw, _ in self.damaged]}
        write_private(path, json.dumps(data, indent=1).encode("utf-8"))

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
        skipped = f" ({len(self.damaged)} damaged slot(s) skipped: {self.damaged[0][1]})" if self.damaged else ""
        if not candidates:
            raise MissingKeySlots(f"the key-slot file has no passphrase slots{skipped}")
        secrets_to_try = [secret]
        if "recovery" in kinds:
            secrets_to_try.append(normalise_recovery_code(secret))
        for slot in candidates:
            try:  # checked on load; a slot added since (by sync) is checked here
                salt, m, t, p = check_kdf(slot.kdf)
            except ValueError:
                continue
            for candidate in secrets_to_try if slot.kind == "recovery" else [secret]:
                params = (candidate, salt, m, t, p)
                if params not in tried:
                    tried[params] = derive(candidate, salt, m, t, p)
                try:
                    return slot.unwrap(tried[params], self.office_id), slot
                except WrongPassphrase:
                    continue
        raise WrongPassphrase(f"wrong passphrase: no key slot opens with it{skipped}")

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


# -- wrong passphrases ----------------------------------------------------------------------
class FailedUnlocks:
    """Wrong passphrases in a row for one office on this computer (a small file in the config folder).

    From the third in a row, each try first waits `delay(n)` seconds since the last failure (1, 2, 4 …
    up to 30): a guesser is slowed, a person who mistyped twice is not.
    """

    FREE = 2
    CAP = 30.0

    def __init__(self, db_path: Path):
        self.key = hashlib.sha256(str(db_path).encode("utf-8")).hexdigest()[:32]
        self.file = paths.config_dir() / "unlock-delay.json"

    @classmethod
    def delay(cls, failures: int) -> float:
        return 0.0 if failures <= cls.FREE else min(cls.CAP, 2.0 ** (failures - cls.FREE - 1))

    def _all(self) -> dict:
        try:
            data = json.loads(read_regular(self.file, MAX_FILE_BYTES, "settings file"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _mine(self) -> tuple[int, float]:
        entry = self._all().get(self.key)
        try:
            return int(entry[0]), float(entry[1])
        except (TypeError, ValueError, IndexError, KeyError):
            return 0, 0.0

    def _save(self, count: int) -> None:
        data = self._all()
        if count:
            data[self.key] = [count, time.time()]
        else:
            data.pop(self.key, None)
        with contextlib.suppress(OSError):  # a read-only config folder: no delay rather than no unlock
            private_dir(self.file.parent)
            write_private(self.file, json.dumps(data).encode("utf-8"))

    def wait(self) -> float:
        """Sleep what is left of the delay owed since the last failure; returns the seconds slept."""
        count, last = self._mine()
        owed = min(self.delay(count) - (time.time() - last), self.CAP)
        if owed > 0:
            time.sleep(owed)
            return owed
        return 0.0

    def failed(self) -> str:
        """Count one more failure; returns what to add to the message (empty while still free)."""
        count = self._mine()[0] + 1
        self._save(count)
        nxt = self.delay(count)
        return (f" ({count} wrong in a row: the next try waits {nxt:.0f} s, to slow down guessing)"
                if nxt else "")

    def clear(self) -> None:
        if self._mine()[0]:
            self._save(0)
