"""Authenticated encryption of personal data at rest (AES-256-GCM).

A sealed value is: 1 byte format version, 1 byte key index, 12 bytes nonce, ciphertext+tag.
The associated data binds it to its table, column and row, so a value copied to another
row or column fails to open instead of silently showing someone else's answers. A wrong key
raises `SealError`; nothing ever returns ciphertext as if it were plaintext.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = 1


class SealError(Exception):
    """A sealed value could not be opened (wrong key, wrong row, or tampered)."""


def _key(material: str) -> bytes:
    """A 32-byte key from a configured string (base64 of 32 bytes, or any passphrase)."""
    try:
        raw = base64.urlsafe_b64decode(material + "=" * (-len(material) % 4))
        if len(raw) == 32:
            return raw
    except ValueError:
        pass
    return hashlib.sha256(material.encode()).digest()


def seal(plaintext: bytes, context: str, keys: Sequence[str]) -> bytes:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(keys[0])).encrypt(nonce, plaintext, context.encode())
    return bytes([FORMAT, 0]) + nonce + sealed


def open_sealed(blob: bytes | memoryview, context: str, keys: Sequence[str]) -> bytes:
    """Open with the key that sealed it (by index), or any configured key after a rotation."""
    blob = bytes(blob)
    if len(blob) < 14 or blob[0] != FORMAT:
        raise SealError("not a sealed value")
    nonce, body = blob[2:14], blob[14:]
    for material in keys:
        try:
            return AESGCM(_key(material)).decrypt(nonce, body, context.encode())
        except InvalidTag:
            continue
    raise SealError("no configured key opens this value")
