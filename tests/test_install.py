"""``pip install .`` (not editable), used outside the repository: the shipped student and its tokenizer
come with the package, and the commands that need the repository's data/ say so in one line.

The wheel is built from a copy of the package's files (no build isolation, so no download), unpacked
into a folder of its own, and run from another with that folder first on the path: what an install
into site-packages gives, without touching the environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(args, cwd, site):
    env = {k: v for k, v in os.environ.items() if k not in ("TINYKD_DATA", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_an_installed_package_encodes_and_says_what_data_is_missing(tmp_path):
    pytest.importorskip("setuptools", minversion="77")
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "tinykd", source / "tinykd", ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path / "wheel"), str(source)], capture_output=True, text=True, timeout=300)
    if built.returncode != 0:
        pytest.skip(f"pip wheel failed here: {built.stderr.strip().splitlines()[-1:]}")
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    with zipfile.ZipFile(next((tmp_path / "wheel").glob("tinykd-*.whl"))) as wheel:
        wheel.extractall(site)

    done = _run(["-c", "import tinykd; print(tinykd.__file__); print(tinykd.load().encode(['hi']).shape)"],
                elsewhere, site)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(site / "tinykd" / "__init__.py"), "(1,", "384)"]

    for command in ("tinykd.evaluate", "tinykd.train"):
        done = _run(["-m", command], elsewhere, site)
        message = done.stderr.strip()
        assert done.returncode == 2 and "Traceback" not in message, (command, message)
        assert len(message.splitlines()) == 1, (command, message)
        assert str(site / "data") in message, message                 # names where it looked
