"""Several processes opening a brand-new SQLite store at the same moment all get in (the WAL
switch is retried instead of failing with "database is locked")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

OPENER = """
import sys, time
from toolorch.stores.sqlite_experiences import SqliteExperienceStore
from toolorch.lineage.store import LineageStore
from toolorch.stores.facts import FactStore
from pathlib import Path
d = Path(sys.argv[1])
start = float(sys.argv[2])
while time.time() < start:
    pass
SqliteExperienceStore(d / "experiences.sqlite").close()
LineageStore(d / "lineage.sqlite").close()
FactStore(d / "facts.sqlite").close()
print("ok")
"""


def test_many_processes_open_new_stores_at_once(tmp_path: Path) -> None:
    import time

    for round_ in range(3):  # the race is narrow (≈ 1 in 50 opens failed before the fix)
        home = tmp_path / str(round_)
        home.mkdir()
        start = str(time.time() + 1.5)  # every process starts opening at the same instant
        procs = [subprocess.Popen([sys.executable, "-c", OPENER, str(home), start],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(6)]
        outs = [p.communicate(timeout=120) for p in procs]
        assert [o for o, _ in outs] == ["ok\n"] * 6, [e for _, e in outs if e]
