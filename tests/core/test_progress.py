"""Progress bars show on a terminal and stay out of logs and redirected output."""

from __future__ import annotations

import io
import sys

from synergy_kedro.core.progress import progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_is_drawn_on_a_terminal(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert list(progress(range(5), desc="read Caravan", unit="basin")) == list(range(5))
    assert "read Caravan" in terminal.getvalue()


def test_no_bar_when_output_is_not_a_terminal(monkeypatch):
    redirected = io.StringIO()
    monkeypatch.setattr(sys, "stderr", redirected)
    assert list(progress(iter("abc"), desc="read SMAP L3", unit="granule", total=3)) == ["a", "b", "c"]
    assert redirected.getvalue() == ""
