"""`radar generate --transactions-only`: the flag reaches the retail simulator and refuses what does not apply."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pipelines.cli import main


def test_transactions_only_writes_accounts_and_orders_in_the_chosen_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "generate",
            "--out",
            str(tmp_path),
            "--transactions-only",
            "--customers",
            "50",
            "--months",
            "3",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "accounts 50, orders" in result.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["accounts.csv", "orders.csv"]


def test_transactions_only_with_defects_or_drift_is_a_usage_error(tmp_path: Path) -> None:
    for extra in (["--defects", "0.01"], ["--drift", "2"]):
        result = CliRunner().invoke(main, ["generate", "--out", str(tmp_path), "--transactions-only", *extra])
        assert result.exit_code == 2
        assert "cannot be combined" in result.output
    assert not list(tmp_path.iterdir())
