"""The projects `make check-n8n` runs: the three sample projects, and real ones downloaded at
check time (PyPI sdists with pip, an npm package with npm pack) into `.cache/n8n-real/`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from toolorch.config import PROJECT_ROOT

SAMPLES = PROJECT_ROOT / "tests" / "fixtures" / "sample_project"
REAL_CACHE = PROJECT_ROOT / ".cache" / "n8n-real"


@dataclass(frozen=True, slots=True)
class Project:
    name: str
    language: str
    path: Path


@dataclass(frozen=True, slots=True)
class RealProject:
    name: str
    language: str
    registry: str          # "pypi" or "npm"
    spec: str              # pip requirement or npm package@version
    subdir: str = ""       # the source directory inside the unpacked archive


REAL = (
    RealProject("humanize", "python", "pypi", "humanize==4.12.3"),
    RealProject("slugify", "python", "pypi", "python-slugify==9.0.0"),
    RealProject("immer", "typescript", "npm", "immer@11.2.13", "src"),
)


def samples() -> list[Project]:
    return [Project(lang, lang, SAMPLES / lang) for lang in ("python", "typescript", "rust")]


def _safe_extract(archive: Path, target: Path) -> None:
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")


def fetch(real: RealProject, cache: Path = REAL_CACHE, npm: str = "npm") -> Project:
    """Download and unpack once; a second run reuses the unpacked tree."""
    root = cache / real.name
    done = root / ".unpacked"
    if not done.is_file():
        shutil.rmtree(root, ignore_errors=True)
        download = root / "download"
        download.mkdir(parents=True)
        if real.registry == "pypi":
            cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                   "--disable-pip-version-check", "-d", str(download), real.spec]
        else:
            cmd = [npm, "pack", "--silent", "--pack-destination", str(download), real.spec]
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600)
        archive = next(p for p in download.iterdir() if p.name.endswith((".tar.gz", ".tgz")))
        _safe_extract(archive, root / "src")
        done.write_text(real.spec + "\n")
    top = next(p for p in sorted((root / "src").iterdir()) if p.is_dir())
    return Project(real.name, real.language, top / real.subdir if real.subdir else top)
