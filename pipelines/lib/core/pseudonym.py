"""Pseudonyms for customer ids that leave the warehouse: MLflow artifacts, Evidently reports, the review.

A pseudonym is a keyed hash (HMAC-SHA256, truncated, ``c_`` + 16 hex digits): the same customer gets the same
pseudonym in every run with the same key, so quarters can be compared customer by customer, but nobody without
the key can tell which customer it is, or confirm a guess by hashing a known id. The key comes from
``RADAR_PSEUDONYM_KEY``; without it, one random key is generated on first use and kept in the data home
(``pseudonym.key``, 0600), so pseudonyms stay stable across runs of that home. The CRM export keeps real ids.

The erasure tombstones (``radar forget``) use the same key with their own domain: a tombstone is never a
pseudonym's prefix, so neither one can be found by searching for the other.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from pipelines.lib.core import environment

KEY_ENV = environment.PSEUDONYM_KEY
KEY_FILE = "pseudonym.key"
PREFIX = "c_"
HEX_DIGITS = 16  # 64 bits: no collision to expect below billions of customers
ID_COLUMNS = ("customer_id",)


def key_for(home: Path) -> bytes:
    """The pseudonym key: ``$RADAR_PSEUDONYM_KEY`` if set, else the data home's own (created once, 0600)."""
    from_env = environment.pseudonym_key()
    if from_env:
        return from_env.encode()
    path = home / KEY_FILE
    try:
        return path.read_text().strip().encode()
    except FileNotFoundError:
        pass
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes creating it at once keep one key, the loser reads the winner's.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip().encode()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip().encode()


def key_id(key: bytes) -> str:
    """A short fingerprint of the key (not the key): tells whether tombstones were written with this key."""
    return hashlib.sha256(b"radar-key-id:" + key).hexdigest()[:12]


def pseudonym(customer_id: object, *, key: bytes) -> str:
    """``c_`` + the first 16 hex digits of HMAC-SHA256(key, id)."""
    digest = hmac.new(key, b"pseudonym:" + str(customer_id).encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_DIGITS]


def tombstone(customer_id: object, *, key: bytes) -> str:
    """The full keyed hash that stands for a forgotten customer in the tombstones and the erasure log."""
    return hmac.new(key, b"tombstone:" + str(customer_id).encode(), hashlib.sha256).hexdigest()


def pseudonymise(frame: pd.DataFrame, *, key: bytes, columns: Iterable[str] = ID_COLUMNS) -> pd.DataFrame:
    """A copy of ``frame`` whose customer id columns hold pseudonyms (nulls stay null): what may leave."""
    out = frame.copy()
    for column in columns:
        if column in out.columns:
            ids = out[column]
            out[column] = ids.where(ids.isna(), ids.map(lambda v: pseudonym(v, key=key)))
    return out
