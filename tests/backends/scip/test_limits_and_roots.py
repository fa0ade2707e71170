"""Issue 13 in scip_index_code: size caps on files read whole, symlinks out of the roots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.backends.scip.conftest import make_ctx, write
from toolorch.backends.scip.project import python_manifest
from toolorch.backends.scip.tool import index_code
from toolorch.backends.scip.tree import walk_tree
from toolorch.errors import BackendError, PathError, ValidationError
from toolorch.scip.reader import read_index
from toolorch.scip.stream import count_documents
from toolorch.stores.facts import facts_of

pytestmark = pytest.mark.anyio
RUST = {"Cargo.toml": '[package]\nname = "leaky"\nversion = "0.1.0"\n',
        "src/lib.rs": "mod inner;\n/// Inside.\npub fn inside() -> u8 { inner::deep() }\n",
        "src/inner.rs": "pub fn deep() -> u8 { 2 }\n"}


def test_defaults_of_the_caps_and_the_indexer_budget() -> None:
    from toolorch.config import Settings

    settings = Settings()
    assert settings.max_index_bytes == 1 << 30 and settings.max_manifest_bytes == 1 << 20
    assert settings.indexer_timeout_s == 840.0


def test_index_cap_names_the_setting(tmp_path: Path) -> None:
    big = tmp_path / "big.scip"
    big.write_bytes(b"\x0a\x00" * 1024)
    with pytest.raises(ValidationError, match=r"over the cap of 2,047 bytes "
                                              r"\(TOOLORCH_MAX_INDEX_BYTES\)") as err:
        read_index(big, max_bytes=2047)
    assert err.value.field == "TOOLORCH_MAX_INDEX_BYTES"
    assert count_documents(big, max_bytes=2048) == 0     # exactly the cap is allowed


def test_not_scip_is_refused_at_the_first_byte(tmp_path: Path) -> None:
    junk = tmp_path / "junk.scip"
    with junk.open("wb") as f:                 # 64 MB of text: refused without reading it all
        f.write(b"hello" + b"x" * (64 << 20))
    with pytest.raises(BackendError, match="does not start like a SCIP protobuf Index"):
        read_index(junk)
    with pytest.raises(PathError, match="does not exist"):
        read_index(tmp_path / "missing.scip")
    empty = tmp_path / "empty.scip"
    empty.write_bytes(b"")
    with pytest.raises(BackendError, match="is empty"):
        read_index(empty)


def test_one_huge_record_is_not_read(tmp_path: Path) -> None:
    from toolorch.scip.stream import MAX_RECORD_BYTES

    huge = tmp_path / "huge.scip"
    length = MAX_RECORD_BYTES + 1
    header = bytes([0x12]) + bytes(((length >> (7 * i)) & 0x7F) | (0x80 if i < 3 else 0)
                                   for i in range(4))
    with huge.open("wb") as f:
        f.write(header)
        f.truncate(len(header) + length)        # sparse: no disk, and never read
    with pytest.raises(BackendError, match=f"of {length:,} bytes, over the"):
        read_index(huge)


def test_manifest_cap(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n' + "#" * 5000)
    with pytest.raises(ValidationError, match="TOOLORCH_MAX_MANIFEST_BYTES"):
        python_manifest(tmp_path, cap=4096)
    assert python_manifest(tmp_path, cap=8192) == ("x", "")


async def test_symlinks_out_of_the_roots_are_not_indexed(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {
        "secret.rs": "/// Secret docs.\npub fn secret_fn() -> u8 { 1 }\n",
        "dir/mod.rs": "pub fn secret_dir_fn() -> u8 { 1 }\n"})
    root = tmp_path / "root"
    project = write(root / "leaky", RUST)
    os.symlink(outside / "secret.rs", project / "src" / "leak.rs")
    os.symlink(outside / "dir", project / "src" / "leakdir")
    os.symlink(project / "src" / "inner.rs", project / "src" / "alias.rs")   # inside: kept
    tree = walk_tree(project, "rust", [root])
    assert sorted(tree.escaping) == ["src/leak.rs", "src/leakdir"]
    ctx = make_ctx(tmp_path / "home", root)
    result = await index_code({"project_path": str(project), "language": "rust"}, ctx)
    skipped = {s["path"]: s["reason"] for s in result["skipped_files"]}
    assert sorted(skipped) == ["src/leak.rs", "src/leakdir"]
    assert "outside the allowed roots" in skipped["src/leak.rs"]
    names = {r["name"] for r in facts_of(ctx).symbols(result["project_name"])}
    assert "inside" in names and "secret_fn" not in names and "secret_dir_fn" not in names
    docs = {d.relative_path for d in read_index(result["scip_index_path"]).documents}
    assert "src/alias.rs" in docs and not any("leak" in d for d in docs)
    ctx.services.close()


@pytest.mark.slow
async def test_python_symlink_out_of_the_roots_is_not_indexed(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"secret_mod.py": 'def secret():\n    """Hidden."""\n'})
    root = tmp_path / "root"
    project = write(root / "proj", {
        "pyproject.toml": '[project]\nname = "proj"\nversion = "1.0"\n',
        "pkg/__init__.py": "", "pkg/ok.py": "def ok() -> int:\n    return 1\n"})
    os.symlink(outside / "secret_mod.py", project / "pkg" / "leak.py")
    ctx = make_ctx(tmp_path / "home", root)
    result = await index_code({"project_path": str(project), "language": "python"}, ctx)
    assert [s["path"] for s in result["skipped_files"]] == ["pkg/leak.py"]
    rows = facts_of(ctx).symbols("proj")
    assert any(r["name"] == "ok" for r in rows)
    assert not any("secret" in (r["symbol"] or "") or "Hidden" in (r["documentation"] or "")
                   for r in rows)
    index = read_index(result["scip_index_path"])
    assert index.project_root == project.as_uri()          # not the staging directory
    assert {d.relative_path for d in index.documents} == {"pkg/__init__.py", "pkg/ok.py"}
    ctx.services.close()
