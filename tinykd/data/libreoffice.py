"""The LibreOffice help corpus: ``data/`` built from the Debian help packages, reproducibly.

    apt-get download libreoffice-help-en-us libreoffice-help-de ...   (fetch)
    dpkg-deb -x <package>.deb <source dir>                            (unpack)
    read every page, align (page, id) English <-> translation          (helpreader)
    normalise and filter, counting drops                               (clean)
    split by page, drop test/dev pairs seen on a training page          (split)
    deduplicate within each split                                       (clean.dedupe)
    write data/corpus/*.gz and data/corpus/build_info.json              (corpus)
    train data/tokenizer.json on the training split                     (tokenizer)

Downloads and unpacked HTML go to a git-ignored work folder (``build/`` by default);
only the compact corpus and the tokenizer land in ``data/``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from . import clean, corpus, helpreader, progress, split

# Every language of the help in Debian 12 (packages libreoffice-help-<code, lowercased>; the sk
# package holds no pages); the shipped corpus was built for the first twelve, corpus.LANGS.
HELP_LANGUAGES = (*corpus.LANGS, "ca", "cs", "da", "dz", "el", "et", "eu", "fi", "gl", "hi", "hu", "id", "km", "om",
                  "pt", "sl", "sv", "vi", "zh-TW")
ENGLISH_PACKAGE = "libreoffice-help-en-us"
# The version data/ was built from (Debian 12 "bookworm").  If the mirror has moved on,
# the build falls back to the current version and says so; build_info.json records it.
PINNED_VERSION = "4:7.4.7-1+deb12u14"

NO_APT_HINT = """\
`apt-get` / `dpkg-deb` is not available here.  On a Debian/Ubuntu machine run

    apt-get download {packages}
    for f in *.deb; do dpkg-deb -x "$f" unpacked/; done

(or unpack the .deb files with `ar x` + `tar xf data.tar.xz`), copy `unpacked/` here and
rerun with `--source-dir unpacked/` (the folder that contains usr/share/libreoffice/help,
or that help folder itself)."""


def package_names(langs: Sequence[str]) -> list[str]:
    unknown = [lang for lang in langs if lang not in HELP_LANGUAGES]
    if unknown:
        raise SystemExit(f"no LibreOffice help in {unknown}; the help has {' '.join(HELP_LANGUAGES)}")
    return [ENGLISH_PACKAGE] + [f"libreoffice-help-{lang.lower()}" for lang in langs]


def fetch_and_unpack(work_dir, langs: Sequence[str], log=print) -> dict[str, str]:
    """``apt-get download`` the help packages into ``work_dir/debs`` and unpack them into
    ``work_dir/src``.  Returns ``{package: version}``."""
    packages = package_names(langs)
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise SystemExit(NO_APT_HINT.format(packages=" ".join(packages)))
    debs, src = Path(work_dir) / "debs", Path(work_dir) / "src"
    debs.mkdir(parents=True, exist_ok=True)
    missing = [p for p in packages if not list(debs.glob(f"{p}_*.deb"))]
    if missing:
        pinned = [f"{p}={PINNED_VERSION}" for p in missing]
        log(f"apt-get download {' '.join(pinned)}")
        done = subprocess.run(["apt-get", "download", *pinned], cwd=debs, capture_output=True, text=True)
        if done.returncode != 0:
            log(f"WARNING: version {PINNED_VERSION} not available ({done.stderr.strip().splitlines()[-1:]}); "
                "downloading the current version instead: counts may differ from data/README.md")
            done = subprocess.run(["apt-get", "download", *missing], cwd=debs, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"apt-get download failed:\n{done.stderr}\n"
                             "Run `apt-get update` first (as root), or see --source-dir.\n\n"
                             + NO_APT_HINT.format(packages=" ".join(packages)))
    versions = {}
    src.mkdir(parents=True, exist_ok=True)
    for p in packages:
        (deb,) = sorted(debs.glob(f"{p}_*.deb"))[-1:]
        versions[p] = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True,
                                     text=True, check=True).stdout.strip()
        subprocess.run(["dpkg-deb", "-x", str(deb), str(src)], check=True)
    log("unpacked " + ", ".join(f"{p} {v}" for p, v in versions.items()))
    return versions


def build_corpus(source_dir, data_dir=None, langs: Sequence[str] = corpus.LANGS,
                 log=print) -> dict:
    """Read, clean, split, deduplicate and write the corpus.  Returns the build report."""
    if not helpreader.help_root(source_dir).is_dir():
        raise SystemExit(f"{source_dir}: no such folder (--source-dir: the unpacked packages, a folder that holds "
                         f"{helpreader.HELP_SUBDIR})")
    folders = helpreader.language_folders(source_dir)
    folder_of = {f.lower(): f for f in folders}
    missing = [lang for lang in langs if lang.lower() not in folder_of]
    if missing or helpreader.ENGLISH_FOLDER not in folders:
        raise SystemExit(f"language folders missing under {helpreader.help_root(source_dir)}: "
                         f"{missing or [helpreader.ENGLISH_FOLDER]} (found {folders})")
    t0 = time.time()
    log(f"reading the English help pages, then those of {len(langs)} languages")
    english = helpreader.read_english(source_dir)
    raw: list[helpreader.AlignedPair] = []
    bar = progress.reading(langs, "help pages: languages", "lang")
    tell = progress.say(bar, log)
    for lang in bar:
        bar.set_postfix_str(lang)
        folder = folder_of[lang.lower()]
        pairs = [p._replace(lang=lang) for p in helpreader.aligned_pairs(source_dir, folder, english)]
        tell(f"  read {lang:6s} {len(pairs):6d} aligned paragraphs")
        raw.extend(pairs)
    log(f"read {len(raw)} aligned paragraphs in {time.time() - t0:.0f}s; cleaning, splitting by page and writing "
        f"the corpus")

    # 1. normalise + filter.  2. split by page.  3. overlap rule.  4. dedupe.
    kept, drops = clean.clean_pairs(raw)
    normalised_train = [p._replace(english=clean.normalize_text(p.english),
                                   translation=clean.normalize_text(p.translation))
                        for p in raw if split.split_of_page(p.page) == "train"]
    by_split = split.split_and_hold_out(kept, lambda p: split.split_of_page(p.page),
                                        *split.training_text(normalised_train), drops)
    counts = corpus.write_corpus(by_split, data_dir)

    per_lang = {lang: {"raw": 0, **{s: 0 for s in split.SPLITS}} for lang in langs}
    for p in raw:
        per_lang[p.lang]["raw"] += 1
    for s, pairs in by_split.items():
        for p in pairs:
            per_lang[p.lang][s] += 1
    pages = Counter(split.split_of_page(pg) for pg in english)
    drop_columns = ["normalised", *clean.FILTERS, "overlap_dev", "overlap_test", "duplicate"]
    report = {
        "languages": list(langs),
        "pages": dict(sorted(pages.items())),
        "files": counts,
        "pairs": per_lang,
        "drops": {lang: {c: drops[lang].get(c, 0) for c in drop_columns} for lang in langs},
    }
    log("\nwhat each filter drops (normalised = text changed, kept):")
    log(corpus.markdown_table(report["drops"], drop_columns))
    log("\npairs per language and split after cleaning:")
    log(corpus.markdown_table(per_lang, ["raw", *split.SPLITS]))
    log(f"\npages per split: {report['pages']};  unique English sentences: {counts[corpus.ENGLISH_FILE]}")
    return report
