"""Encryption of secrets at rest with MultiFernet: the first key encrypts, any key decrypts."""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise SecretUnreadable("no encryption keys are configured (AXC_ENCRYPTION_KEYS)")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def current_fernet() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


def secret_encrypt(plaintext: str) -> str:
    return current_fernet().encrypt(plaintext.encode()).decode()


def secret_decrypt(token: str) -> str:
    """Decrypt, or raise: a wrong key must never hand back ciphertext as if it were the value."""
    try:
        return current_fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("a stored secret does not decrypt with the configured keys") from exc


def secret_rotate(token: str) -> str:
    """Re-encrypt with the newest key."""
    try:
        return current_fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("a stored secret does not decrypt with the configured keys") from exc
