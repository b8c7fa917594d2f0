"""`radar ui` starts a fresh ui.log per session and keeps the last three, so the log never grows without end."""

from __future__ import annotations

from pathlib import Path

from pipelines.lib.ui.serve import rotate


def test_each_session_starts_a_fresh_log_and_the_three_before_are_kept_newest_first(tmp_path: Path) -> None:
    log = tmp_path / "ui.log"
    for session in range(1, 6):
        rotate(log)
        log.write_text(f"session {session}\n")
    assert log.read_text() == "session 5\n"
    kept = {p.name: p.read_text() for p in tmp_path.glob("ui.log.*")}
    assert kept == {"ui.log.1": "session 4\n", "ui.log.2": "session 3\n", "ui.log.3": "session 2\n"}


def test_an_empty_or_missing_log_is_left_alone(tmp_path: Path) -> None:
    log = tmp_path / "ui.log"
    rotate(log)
    log.touch()
    rotate(log)
    assert [p.name for p in tmp_path.iterdir()] == ["ui.log"]
