"""Tests of tinykd.data.manpages on tiny roff trees laid out like the Debian packages.

No network and no Debian package: each test writes ``usr/share/man/man1/<page>.gz`` (English, as a
program's package has it) and ``usr/share/man/<lang>/man1/<page>.gz`` (as manpages-<lang> has it),
the translation written the way po4a writes it (font requests made inline, ``.TP `` with a trailing
space, the translators' section appended).
"""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from tinykd.data import corpus, debian, manpages
from tinykd.data.assemble import SourcePair
from tinykd.data.manpages import Unit

QUIET = dict(log=lambda *a: None)

ENGLISH_LS = r""".\" Copyright and licence of the page
.TH LS "1" "September 2022" "GNU coreutils 9.1" "User Commands"
.SH NAME
ls \- list directory contents
.SH SYNOPSIS
.B ls
[\fI\,OPTION\/\fR]... [\fI\,FILE\/\fR]...
.SH DESCRIPTION
.\" Add any additional description here
.PP
List information about the FILEs (the current directory by default).
Sort entries alphabetically if none of \fB\-cftuvSUX\fR nor \fB\-\-sort\fR is specified.
.TP
\fB\-a\fR, \fB\-\-all\fR
do not ignore entries starting with .
.TP
.B \-\-author
with \fB\-l\fR, print the author of each file
.SS "Exit status:"
The exit status is 0 if OK, see
.BR stat (2).
.PP
.nf
$ ls \-l /tmp
total 0
.fi
.TS
tab(:);
l l.
a:b
.TE
.PP
.SH "SEE ALSO"
Full documentation
.UR https://www.gnu.org/software/coreutils/ls
.UE
"""

GERMAN_LS = r""".\" -*- coding: UTF-8 -*-
.\"*******************************************************************
.\" This file was generated with po4a. Translate the source file.
.\"*******************************************************************
.TH LS 1 "September 2022" "GNU coreutils 9.1" "Dienstprogramme für Benutzer"
.SH BEZEICHNUNG
ls \- Verzeichnisinhalte auflisten
.SH ÜBERSICHT
\fBls\fP [\fI\,OPTION\/\fP]… [\fI\,DATEI\/\fP]…
.SH BESCHREIBUNG
.\" Add any additional description here
.PP
Auflistung von Informationen über die DATEIen (Standardvorgabe ist das
aktuelle Verzeichnis). Die Einträge werden alphabetisch sortiert, falls
weder \fB\-cftuvSUX\fP noch \fB\-\-sort\fP angegeben wurden.
.TP
\fB\-a\fP, \fB\-\-all\fP
Einträge nicht ignorieren, die mit ».« beginnen
.TP
\fB\-\-author\fP
Mit \fB\-l\fP den Autor jeder Datei ausgeben
.SS Exit\-Status:
Der Exit\-Status ist 0, wenn alles in Ordnung ist, siehe \fBstat\fP(2).
.PP
.nf
$ ls \-l /tmp
insgesamt 0
.fi
.TS
tab(:);
l l.
a:b
.TE
.SH "SIEHE AUCH"
Vollständige Dokumentation
.UR https://www.gnu.org/software/coreutils/ls
.UE
.PP
.SH ÜBERSETZUNG
Die deutsche Übersetzung dieser Handbuchseite wurde von Mario Blättermann erstellt.
.PP
Diese Übersetzung ist Freie Dokumentation; lesen Sie die
.UR https://www.gnu.org/licenses/gpl-3.0.html
GNU General Public License Version 3
.UE
oder neuer bezüglich der Copyright-Bedingungen.
""".replace(".TP\n", ".TP \n")      # po4a writes ".TP " with a trailing space

EXPECTED_GERMAN = [
    ("NAME", "BEZEICHNUNG"),
    ("ls - list directory contents", "ls - Verzeichnisinhalte auflisten"),
    ("SYNOPSIS", "ÜBERSICHT"),
    ("DESCRIPTION", "BESCHREIBUNG"),
    ("List information about the FILEs (the current directory by default). Sort entries alphabetically if none of "
     "-cftuvSUX nor --sort is specified.",
     "Auflistung von Informationen über die DATEIen (Standardvorgabe ist das aktuelle Verzeichnis). Die Einträge "
     "werden alphabetisch sortiert, falls weder -cftuvSUX noch --sort angegeben wurden."),
    ("do not ignore entries starting with .", "Einträge nicht ignorieren, die mit ».« beginnen"),
    ("with -l, print the author of each file", "Mit -l den Autor jeder Datei ausgeben"),
    ("Exit status:", "Exit-Status:"),
    ("The exit status is 0 if OK, see stat(2).",
     "Der Exit-Status ist 0, wenn alles in Ordnung ist, siehe stat(2)."),
    ("SEE ALSO", "SIEHE AUCH"),
    ("Full documentation <https://www.gnu.org/software/coreutils/ls>",
     "Vollständige Dokumentation <https://www.gnu.org/software/coreutils/ls>"),
]


def write_page(root: Path, package: str, lang: str | None, page: str, text: str) -> Path:
    folder = root / package / "usr" / "share" / "man" / (f"{lang}/" if lang else "") / page.split("/")[0]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (page.split("/")[1] + ".gz")
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    return path


def test_roff_is_parsed_into_structure_and_text():
    units = manpages.parse_roff(ENGLISH_LS)
    kinds = [u.kind for u in units]
    assert kinds[:8] == ["SH", "title", "text", "SH", "title", "text", "SH", "title"]
    assert Unit("tag", r"\fB\-a\fR, \fB\-\-all\fR") in units
    assert Unit("tag", r"\fB\-\-author\fR") in units                  # .B on the line after .TP
    assert Unit("text", "The exit status is 0 if OK, see\n\\fBstat\\fR(2).\\fR") in units     # .BR: inline
    assert Unit("code", "$ ls \\-l /tmp\ntotal 0") in units                 # .nf ... .fi
    assert "TS" in kinds and not any("a:b" in u.text for u in units)       # a table is skipped whole
    assert not any("Add any additional" in u.text or "Copyright" in u.text for u in units)   # comments


def test_a_blank_line_br_or_sp_ends_a_paragraph_but_is_not_structure():
    units = manpages.parse_roff(".PP\nFirst line\n.br\nsecond line\n\nthird line\n.sp\nfourth\n.nf\nx\n\ny\n.fi\n")
    assert units == [Unit("PP"), Unit("text", "First line"), Unit("text", "second line"), Unit("text", "third line"),
                     Unit("text", "fourth"), Unit("nf"), Unit("code", "x\n\ny"), Unit("fi")]


def test_roff_escapes_become_text():
    assert manpages.roff_text(r"with \fB\-l\fR, print the \(lqauthor\(rq \[em] \e \*(lqx\*(rq \[u00E9]") == \
        "with -l, print the “author” — \\ “x” é"
    assert manpages.roff_text("two\n  lines") == "two lines"
    assert manpages.roff_text(r"with \fB\-l\fR, the \fIauthor\fP of each file", roman_only=True) == \
        "with , the of each file"
    assert not manpages.is_prose(r"\fB\-a\fR, \fB\-\-all\fR")
    assert not manpages.is_prose(r"\fB\-\-block\-size\fR=\fI\,SIZE\/\fR")
    assert manpages.is_prose(r"with \fB\-l\fR, print the author")


def test_a_po4a_translation_aligns_unit_by_unit():
    counts = Counter()
    pairs = list(manpages.align_page(manpages.parse_roff(ENGLISH_LS), manpages.parse_roff(GERMAN_LS), counts))
    assert pairs == EXPECTED_GERMAN                          # no option list, no code, no translators' section
    assert counts == Counter(aligned=1)


def test_a_page_whose_english_has_moved_on_is_skipped():
    newer = ENGLISH_LS.replace(".SS", ".PP\nA paragraph added in a later version.\n.SS")
    counts = Counter()
    assert list(manpages.align_page(manpages.parse_roff(newer), manpages.parse_roff(GERMAN_LS), counts)) == []
    assert counts == Counter(skipped_structure=1)


@pytest.fixture
def tree(tmp_path):
    write_page(tmp_path, "coreutils", None, "man1/ls.1", ENGLISH_LS)
    write_page(tmp_path, "coreutils", None, "man1/dir.1", ".so man1/ls.1\n")
    write_page(tmp_path, "manpages-de", "de", "man1/ls.1", GERMAN_LS)
    write_page(tmp_path, "manpages-de", "de", "man1/dir.1", GERMAN_LS)              # English is a redirection
    write_page(tmp_path, "manpages-de", "de", "man1/grub-mount.1", GERMAN_LS)       # no English page
    (tmp_path / "manpages-de/usr/share/man/de/man1/vdir.1.gz").symlink_to("ls.1.gz")
    brazilian = GERMAN_LS.replace("Verzeichnisinhalte auflisten", "lista o conteúdo do diretório")
    write_page(tmp_path, "manpages-pt-br", "pt_BR", "man1/ls.1", brazilian)
    return tmp_path


def test_read_pairs_every_translated_page_with_its_english_page(tree):
    counts: dict[str, Counter] = {}
    pairs = list(manpages.read(sorted(tree.iterdir()), counts, **QUIET))
    assert {p.lang for p in pairs} == {"de", "pt-BR"}
    assert [(p.english, p.translation) for p in pairs if p.lang == "de"] == EXPECTED_GERMAN
    assert SourcePair("pt-BR", "manpages:man1/ls.1", "ls - list directory contents",
                      "ls - lista o conteúdo do diretório") in pairs
    assert counts["de"] == Counter(aligned=1, pairs=len(EXPECTED_GERMAN), no_english=1, not_read=1)


def test_no_english_pages_is_a_clear_error(tmp_path):
    write_page(tmp_path, "manpages-de", "de", "man1/ls.1", GERMAN_LS)
    with pytest.raises(FileNotFoundError, match="English"):
        list(manpages.read([tmp_path / "manpages-de"], **QUIET))


def test_packages_are_the_english_ones_and_each_translation_with_its_dev_package():
    names = manpages.packages(["de", "pt-BR", "vi"])
    assert names[:len(manpages.ENGLISH_PACKAGES)] == list(manpages.ENGLISH_PACKAGES)
    assert names[len(manpages.ENGLISH_PACKAGES):] == ["manpages-de", "manpages-de-dev", "manpages-pt-br",
                                                      "manpages-pt-br-dev", "manpages-vi"]
    assert len(manpages.packages()) == len(manpages.ENGLISH_PACKAGES) + 21 + 11
    with pytest.raises(ValueError, match="no manpages-l10n translation"):
        manpages.packages(["ja"])


# --- build: debian.fetch replaced by the trees written here ---------------------------------------

def fake_fetch(root: Path):
    def fetch(names, work_dir, log=print):
        got = {name: debian.Package(name, "1.0", root / name) for name in names if (root / name).is_dir()}
        return got, {name: f"{name}: apt-get download failed" for name in names if name not in got}
    return fetch


def test_build_assembles_a_corpus_from_many_pages(tmp_path, monkeypatch):
    for name in manpages.ENGLISH_PACKAGES:
        (tmp_path / name).mkdir()
    for i in range(40):
        write_page(tmp_path, "coreutils", None, f"man1/tool{i}.1", ENGLISH_LS.replace("ls", f"tool{i}"))
        write_page(tmp_path, "manpages-de", "de", f"man1/tool{i}.1", GERMAN_LS.replace("ls", f"tool{i}"))
    monkeypatch.setattr(debian, "fetch", fake_fetch(tmp_path))
    report = manpages.build(tmp_path / "out", tmp_path / "work", langs=["de", "fr"], **QUIET)
    assert report["source"] == "manpages" and report["kind"] == "documentation" and report["languages"] == ["de"]
    assert set(report["info"]["not_fetched"]) == {"manpages-de-dev", "manpages-fr", "manpages-fr-dev"}
    assert report["info"]["pages"]["de"]["aligned"] == 40 and "GPL-3+" in report["info"]["licence"]
    assert len(corpus.load_corpus("train", tmp_path / "out")) == report["pairs"]["de"]["train"] > 0


def test_build_without_an_english_package_names_it(tmp_path, monkeypatch):
    write_page(tmp_path, "manpages-de", "de", "man1/ls.1", GERMAN_LS)
    monkeypatch.setattr(debian, "fetch", fake_fetch(tmp_path))
    with pytest.raises(RuntimeError, match="coreutils"):
        manpages.build(tmp_path / "out", tmp_path / "work", langs=["de"], **QUIET)
