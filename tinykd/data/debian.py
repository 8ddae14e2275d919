"""Debian packages as a source of translated text: fetched by name, unpacked once, resumable.

    fetch(["gimp-help-en", "gimp-help-de"], work_dir)  ->  {"gimp-help-de": Package(...), ...}

Each package is downloaded with ``apt-get download`` into ``work_dir/debs`` (skipped when a
``.deb`` of it is already there, so an interrupted build resumes) and unpacked into a folder of
its own, ``work_dir/unpacked/<package>_<version>`` (skipped when that folder is complete).
A package that cannot be fetched is reported by name and left out; the caller decides
whether the build can go on without it.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from tqdm.auto import tqdm

from . import assemble


class PackageUnavailable(RuntimeError):
    """A Debian package could not be downloaded or unpacked."""


class Package(NamedTuple):
    name: str
    version: str
    root: Path          # the unpacked file tree (usr/share/...)

    def copyright(self) -> str:
        """The package's licence text (``usr/share/doc/<name>/copyright``), or "" if it has none."""
        path = self.root / "usr" / "share" / "doc" / self.name / "copyright"
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def licence_report(package: Package, licence: str, phrase: str) -> dict:
    """What a build report says of one package: its version, the licence the source states, and
    whether ``phrase`` is in the package's copyright file (whitespace and line breaks ignored)."""
    found = " ".join(phrase.split()) in " ".join(package.copyright().split())
    return {"version": package.version, "licence": licence, "licence_in_copyright_file": found}


def _have_apt() -> bool:
    return bool(shutil.which("apt-get") and shutil.which("dpkg-deb"))


def _downloaded(debs: Path, name: str) -> Path | None:
    found = sorted(debs.glob(f"{name}_*.deb"))
    return found[-1] if found else None


def fetch_one(name: str, work_dir, log=print) -> Package:
    """Download (unless done) and unpack (unless done) one package; raises PackageUnavailable."""
    if not _have_apt():
        raise PackageUnavailable(f"{name}: apt-get and dpkg-deb are needed to fetch Debian packages")
    debs = Path(work_dir) / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    deb = _downloaded(debs, name)
    if deb is None:
        log(f"apt-get download {name}")
        done = subprocess.run(["apt-get", "download", name], cwd=debs, capture_output=True, text=True)
        deb = _downloaded(debs, name)
        if done.returncode != 0 or deb is None:
            reason = (done.stderr.strip().splitlines() or ["no .deb was written"])[-1]
            raise PackageUnavailable(f"{name}: apt-get download failed ({reason}); run apt-get update first")
    version = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    root = Path(work_dir) / "unpacked" / f"{name}_{version.replace(':', '%')}"
    done_marker = root / ".unpacked"
    if not done_marker.exists():
        shutil.rmtree(root, ignore_errors=True)          # a half-unpacked tree from an interrupted build
        root.mkdir(parents=True)
        unpacked = subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], capture_output=True, text=True)
        if unpacked.returncode != 0:
            raise PackageUnavailable(f"{name}: dpkg-deb -x failed: {unpacked.stderr.strip()[-500:]}")
        done_marker.write_text(version + "\n", encoding="utf-8")
    return Package(name, version, root)


def fetch(names, work_dir, log=print, progress: bool | None = None) -> tuple[dict[str, Package], dict[str, str]]:
    """Every package that can be had: ``({name: Package}, {name: why not})``, with a progress bar
    over the packages (by default when there are more than two)."""
    names = list(names)
    got, failed = {}, {}
    show = len(names) > 2 if progress is None else progress
    bar = tqdm(names, desc="Debian packages", unit="pkg", disable=not show)
    for name in bar:
        bar.set_postfix_str(name)
        try:
            got[name] = fetch_one(name, work_dir, lambda message: bar.write(message) if log is print else log(message))
        except PackageUnavailable as err:
            failed[name] = str(err)
            log(f"left out: {err}")
    return got, failed


def require(names, got: dict[str, Package], failed: dict[str, str], source: str, what: str) -> None:
    """Refuse to build ``source`` without the packages ``names`` (the English side, which every pair
    is aligned to; ``what`` says what they hold): a PackageUnavailable naming them and why each failed."""
    missing = [name for name in names if name not in got]
    if missing:
        raise PackageUnavailable(f"{source}: {what}, package {' '.join(missing)}, could not be fetched: "
                                 + "; ".join(failed.get(name, "unknown reason") for name in missing))


def build_source(source: str, kind: str, licence: str, out_dir, work_dir, log, *, packages: list[str],
                 required: str, what: str, read: Callable[[dict[str, Path], dict], Iterable],
                 package_licence: tuple[str, str], filters, left_out_locales: dict, **info) -> dict:
    """The build that the game sources read from gettext catalogues share (cataclysm, freeciv, tuxpaint,
    wesnoth): fetch ``packages`` (without ``required``, the build stops and names ``what``), ``read`` the
    unpacked trees (``{package: root}``; the reader fills the stats dict it is given) and assemble
    ``out_dir/corpus``. The report's info: each package's version and licence (``package_licence``: the
    licence and the phrase its copyright file should hold), the packages and locales left out, ``info``,
    the source's ``licence`` and the reader's stats. Returns the report."""
    start = time.time()
    got, failed = fetch(packages, work_dir, log)
    require([required], got, failed, source, what)
    stats: dict = {}
    raw = list(read({name: package.root for name, package in got.items()}, stats))
    log(f"{source}: read {len(raw)} pairs in {time.time() - start:.0f}s")
    info = {"packages": {name: licence_report(p, *package_licence) for name, p in got.items()},
            "left_out_packages": failed, "left_out_locales": left_out_locales, **info, "licence": licence, **stats}
    report = assemble.assemble(raw, out_dir, source, kind, info=info, filters=filters, log=log)
    log(f"{source}: built in {time.time() - start:.0f}s")
    return report
