"""Pseudonyms: keyed, stable for one key, different under another, and the key kept once per data home."""

from __future__ import annotations

import stat
from pathlib import Path

import pandas as pd
import pytest

from pipelines.lib.core.pseudonym import KEY_ENV, KEY_FILE, key_for, pseudonym, pseudonymise, tombstone


def test_a_pseudonym_is_stable_for_one_key_and_differs_under_another() -> None:
    first = pseudonym("C000001", key=b"k1")
    assert first == pseudonym("C000001", key=b"k1")
    assert first != pseudonym("C000001", key=b"k2")
    assert first != pseudonym("C000002", key=b"k1")
    assert first.startswith("c_") and len(first) == 18


def test_a_tombstone_is_no_pseudonym_and_does_not_contain_one() -> None:
    assert pseudonym("C000001", key=b"k")[2:] not in tombstone("C000001", key=b"k")


def test_without_the_environment_a_key_is_made_once_and_kept_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    first = key_for(tmp_path)
    assert key_for(tmp_path) == first and len(first) == 64
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    monkeypatch.setenv(KEY_ENV, "from-the-environment")
    assert key_for(tmp_path) == b"from-the-environment"


def test_pseudonymise_replaces_the_ids_and_leaves_nulls_and_other_columns() -> None:
    frame = pd.DataFrame({"customer_id": ["C1", None], "label": [1, 0]})
    out = pseudonymise(frame, key=b"k")
    assert out["customer_id"].tolist() == [pseudonym("C1", key=b"k"), None]
    assert out["label"].tolist() == [1, 0] and frame["customer_id"].tolist() == ["C1", None]
