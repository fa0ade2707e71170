"""The path policy: every refusal is a PathError naming the argument and the rule, never an
OSError with a traceback (issue 13, point 7: `File name too long` and `/proc/1/root`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolorch.core.paths import is_inside, resolve_inside
from toolorch.errors import PathError


def test_inside_a_root_resolves(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1")
    assert resolve_inside(tmp_path / "a.py", [tmp_path], want="file") == tmp_path / "a.py"
    assert resolve_inside(tmp_path, [tmp_path], want="dir") == tmp_path
    assert is_inside(tmp_path, tmp_path) and not is_inside(tmp_path.parent, tmp_path)


def test_outside_and_dotdot_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(PathError, match="outside the allowed roots .*TOOLORCH_ALLOWED_ROOTS"):
        resolve_inside(str(root / ".." / "x"), [root], must_exist=False)


def test_empty_nul_missing_and_kind(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(PathError, match="project_path is empty"):
        resolve_inside("  ", [tmp_path], what="project_path")
    with pytest.raises(PathError, match="contains a NUL byte"):
        resolve_inside(f"{tmp_path}/a\x00b", [tmp_path])
    with pytest.raises(PathError, match="does not exist"):
        resolve_inside(tmp_path / "nope", [tmp_path])
    assert resolve_inside(tmp_path / "nope", [tmp_path], must_exist=False) == tmp_path / "nope"
    with pytest.raises(PathError, match="is not a directory"):
        resolve_inside(tmp_path / "f", [tmp_path], want="dir")
    with pytest.raises(PathError, match="is not a regular file"):
        resolve_inside(tmp_path, [tmp_path], want="file")


@pytest.mark.parametrize("tail", ["a" * 5000, "a" * 300 + "/x.py"])
def test_file_name_too_long_is_a_path_error(tmp_path: Path, tail: str) -> None:
    with pytest.raises(PathError) as err:
        resolve_inside(f"{tmp_path}/{tail}", [tmp_path], what="project_path")
    text = str(err.value)
    assert text.startswith("project_path ") and "name too long" in text
    assert len(text) < 600                                   # the 5,000-character path is shortened


def test_unreadable_proc_link_is_a_path_error(tmp_path: Path) -> None:
    """/proc/1/root cannot be read without ptrace rights: a PermissionError before the fix."""
    link = Path("/proc/1/root")
    try:
        link.resolve(strict=True).exists()
    except PermissionError:
        pass
    else:
        pytest.skip("this process may read /proc/1/root; the case cannot arise here")
    with pytest.raises(PathError, match="lean4_file_path .*Permission denied"):
        resolve_inside("/proc/1/root/etc/hostname", [Path("/")], what="lean4_file_path")
