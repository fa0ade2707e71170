"""The follow log of the policy's suggestions: in memory on the answer path, written by flush."""

from __future__ import annotations

from pathlib import Path

from toolorch.stores.suggestions import SuggestionLog


def test_record_flush_and_summary(tmp_path: Path) -> None:
    log = SuggestionLog(tmp_path / "s.sqlite")
    assert log.summary() == {"calls_after_a_suggestion": 0, "followed": 0, "follow_rate": None}
    assert log.record("s1", ["a", "b", "c"], "b") is True
    assert log.record("s1", ["a"], "z") is False
    assert log.record("s2", ["a", "b"], "a") is True
    assert not (tmp_path / "s.sqlite").exists()          # nothing written on the answer path
    assert log.flush() == 3 and log.flush() == 0
    assert log.summary() == {"calls_after_a_suggestion": 3, "followed": 2, "followed_first": 1,
                             "follow_rate": 0.667}
    log.record("s3", ["q"], "q")
    log.close()                                          # close writes what is pending
    again = SuggestionLog(tmp_path / "s.sqlite")
    assert again.summary()["calls_after_a_suggestion"] == 4
    again.close()
