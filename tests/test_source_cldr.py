"""Tests of tinykd.data.cldr on tiny locale files laid out as the Debian package unicode-cldr-core is.

No network and no Debian package: ``usr/share/unicode/cldr/common/main/<locale>.xml`` files in
CLDR's LDML form are written here, a few names each (and many territories where a build needs them).
"""

from __future__ import annotations

import pytest

from tinykd.data import cldr, corpus, debian, split
from tinykd.data.assemble import SourcePair

QUIET = dict(log=lambda *a: None)
COPYRIGHT = """Format: http://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: cldr-common

Files:     *
Copyright: 1991-2022 Unicode, Inc.
License:   Unicode-DFS-2016
 Permission is hereby granted, free of charge, ...
"""


def ldml(language: str, display: str = "", dates: str = "", numbers: str = "") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE ldml SYSTEM "../../common/dtd/ldml.dtd">
<ldml>
	<identity><version number="$Revision$"/><language type="{language}"/></identity>
	<localeDisplayNames>
		<localeDisplayPattern><localePattern>{{0}} ({{1}})</localePattern></localeDisplayPattern>
		{display}
	</localeDisplayNames>
	<dates><calendars>{dates}</calendars></dates>
	<numbers><currencies>{numbers}</currencies></numbers>
</ldml>
"""


def months(context: str, names: list[str], calendar: str = "gregorian", width: str = "wide") -> str:
    items = "".join(f'<month type="{i}">{name}</month>' for i, name in enumerate(names, 1))
    return (f'<calendar type="{calendar}"><months><monthContext type="{context}"><monthWidth type="{width}">'
            f'{items}</monthWidth></monthContext></months></calendar>')


EN = ldml("en", """
		<languages><language type="de">German</language><language type="en">English</language>
			<language type="ckb">Central Kurdish</language><language type="ckb" alt="menu">Kurdish, Central</language>
		</languages>
		<territories><territory type="DE">Germany</territory><territory type="GB">United Kingdom</territory>
			<territory type="GB" alt="short">UK</territory><territory type="AT">Austria</territory></territories>
	""", months("format", ["January", "February"]) + months("format", ["Jan", "Feb"], width="abbreviated")
    + months("format", ["Tishri", "Heshvan"], calendar="hebrew"),
    '<currency type="USD"><displayName>US Dollar</displayName><displayName count="one">US dollar</displayName>'
    '<symbol>$</symbol></currency>')

RU = ldml("ru", """
		<languages><language type="de">немецкий</language><language type="en">английский</language>
			<language type="ckb" alt="menu">курдский (центральный)</language></languages>
		<territories><territory type="DE">Германия</territory><territory type="GB">Великобритания</territory>
			<territory type="GB" alt="short">Британия</territory>
			<territory type="AT" draft="unconfirmed">Австрия?</territory></territories>
	""", months("format", ["января", "февраля"]) + months("stand-alone", ["январь", "февраль"])
    + months("format", ["янв.", "февр."], width="abbreviated"),
    '<currency type="USD"><displayName>доллар США</displayName><displayName count="one">доллар США</displayName>'
    '</currency>')

DE = ldml("de", """
		<languages><language type="de">Deutsch</language><language type="en">Englisch</language>
			<language type="ckb" alt="variant">Sorani</language></languages>
		<territories><territory type="DE">Deutschland</territory><territory type="GB">Vereinigtes Königreich</territory>
			<territory type="AT" draft="provisional">Österreich</territory></territories>
	""", months("format", ["Januar", "Februar"]),
    '<currency type="USD"><displayName>US-Dollar</displayName></currency>')


def write_cldr(root, files: dict[str, str]) -> None:
    main = root / cldr.MAIN_DIR
    main.mkdir(parents=True)
    for locale, text in files.items():
        (main / f"{locale}.xml").write_text(text, encoding="utf-8")
    doc = root / "usr" / "share" / "doc" / cldr.PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(COPYRIGHT, encoding="utf-8")


@pytest.fixture
def tree(tmp_path):
    write_cldr(tmp_path, {"en": EN, "ru": RU, "de": DE, "de_AT": ldml("de", "<territories/>"),
                          "root": ldml("root"), "pt": DE.replace("Deutschland", "Alemanha"),
                          "zh_Hant": DE.replace("Deutschland", "德國"), "zh_Hans": ldml("zh")})
    return tmp_path


# --- one locale file --------------------------------------------------------------------------------------

def test_names_are_keyed_by_kind_item_and_alt(tree):
    names = cldr.read_names(tree / cldr.MAIN_DIR / "en.xml")
    assert names == {
        ("language", "de", ""): "German", ("language", "en", ""): "English",
        ("language", "ckb", ""): "Central Kurdish", ("language", "ckb", "menu"): "Kurdish, Central",
        ("territory", "DE", ""): "Germany", ("territory", "GB", ""): "United Kingdom",
        ("territory", "GB", "short"): "UK", ("territory", "AT", ""): "Austria",
        ("month", "1", ""): "January", ("month", "2", ""): "February",       # Gregorian and wide only
        ("currency", "USD", ""): "US Dollar",                                 # not the plural forms
    }


def test_stand_alone_months_win_and_drafts_are_skipped(tree):
    counts = {}
    names = cldr.read_names(tree / cldr.MAIN_DIR / "ru.xml", counts)
    assert names[("month", "1", "")] == "январь"                      # not the genitive "января"
    assert ("territory", "AT", "") not in names and counts == {"draft": 1}
    de_counts = {}
    assert ("territory", "AT", "") not in cldr.read_names(tree / cldr.MAIN_DIR / "de.xml", de_counts)
    assert de_counts == {"draft": 1}                                  # provisional is skipped too


def test_inheritance_markers_are_no_names(tmp_path):
    write_cldr(tmp_path, {"en": EN, "fr": ldml("fr", '<territories><territory type="DE">↑↑↑</territory>'
                                                      '<territory type="GB">∅∅∅</territory></territories>')})
    counts = {}
    assert cldr.read_names(tmp_path / cldr.MAIN_DIR / "fr.xml", counts) == {} and counts == {"no_value": 2}


# --- locales and alignment -----------------------------------------------------------------------------------

def test_base_locales_are_read_with_the_project_spelling(tree):
    assert cldr.locales(tree / cldr.MAIN_DIR) == {"de": "de", "pt-BR": "pt", "ru": "ru", "zh-TW": "zh_Hant"}
    assert cldr.locale_language("no") == "nb" and cldr.locale_language("zh") == "zh-CN"
    assert cldr.locale_language("de_AT") is None and cldr.locale_language("en") is None


def test_names_align_by_path_and_alt_and_the_item_is_the_document(tree):
    stats = {}
    pairs = list(cldr.read([tree / "elsewhere", tree], langs=["ru", "de"], min_names=1, stats=stats))
    ru = {p.english: p for p in pairs if p.lang == "ru"}
    assert ru["Germany"] == SourcePair("ru", "cldr:territory/DE", "Germany", "Германия")
    assert ru["UK"] == SourcePair("ru", "cldr:territory/GB", "UK", "Британия")         # alt="short" with alt="short"
    assert ru["Kurdish, Central"].translation == "курдский (центральный)"
    assert ru["January"] == SourcePair("ru", "cldr:month/1", "January", "январь")
    assert ru["US Dollar"].translation == "доллар США"
    assert "Austria" not in ru                                                          # unconfirmed
    de = {p.english: p.translation for p in pairs if p.lang == "de"}
    assert "Central Kurdish" not in de and "Kurdish, Central" not in de               # alt="variant": no English
    assert de == {"German": "Deutsch", "English": "Englisch", "Germany": "Deutschland",
                  "United Kingdom": "Vereinigtes Königreich", "January": "Januar", "February": "Februar",
                  "US Dollar": "US-Dollar"}
    assert stats["ru"] == {"locale": "ru", "names": 9, "draft": 1}


def test_names_identical_to_the_english_are_skipped_and_small_locales_left_out(tmp_path):
    write_cldr(tmp_path, {"en": EN, "da": ldml("da", '<territories><territory type="DE">Tyskland</territory>'
                                                      '<territory type="AT">Østrig</territory>'
                                                      '<territory type="GB">united kingdom</territory></territories>')})
    stats = {}
    assert len(list(cldr.read([tmp_path], min_names=2, stats=stats))) == 2
    assert stats["da"] == {"locale": "da", "names": 2, "identical": 1}
    stats = {}
    assert list(cldr.read([tmp_path], min_names=3, stats=stats)) == []
    assert stats["da"]["left_out"] == "only 2 aligned names (< 3)"


def test_a_tree_without_cldr_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(cldr.read([tmp_path]))


# --- the build -----------------------------------------------------------------------------------------------

def many_territories(language: str, names: dict[str, str]) -> str:
    items = "".join(f'<territory type="{code}">{name}</territory>' for code, name in names.items())
    return ldml(language, f"<territories>{items}</territories>")


def test_build_writes_a_corpus_split_by_item_with_its_licence(tmp_path, monkeypatch):
    codes = [f"Q{i:02d}" for i in range(80)]
    write_cldr(tmp_path / "pkg", {
        "en": many_territories("en", {c: f"Land number {c}" for c in codes}),
        "de": many_territories("de", {c: f"Land Nummer {c}" for c in codes}),
        "fr": many_territories("fr", {c: f"Pays numéro {c}" for c in codes}),
        "gv": many_territories("gv", {c: f"Cheer {c}" for c in codes[:5]}),        # too few names
    })

    def fake_fetch(names, work_dir, log=print):
        assert names == [cldr.PACKAGE]
        return {cldr.PACKAGE: debian.Package(cldr.PACKAGE, "41-0.1", tmp_path / "pkg")}, {}

    monkeypatch.setattr(debian, "fetch", fake_fetch)
    monkeypatch.setattr(cldr, "MIN_NAMES", 50)
    out = tmp_path / "out"
    report = cldr.build(out, tmp_path / "work", **QUIET)
    assert report["source"] == "cldr" and report["kind"] == "names" and report["languages"] == ["de", "fr"]
    assert report["info"]["packages"] == {cldr.PACKAGE: {"version": "41-0.1", "licence": "Unicode-DFS-2016"}}
    assert report["info"]["left_out_locales"] == {"gv": "only 5 aligned names (< 50)"}
    assert sum(sum(n.values()) for n in report["pairs"].values()) == 160
    for name in split.SPLITS:                                # one item's names sit in one split in every language
        for p in corpus.load_corpus(name, out):
            assert split.split_of_document(f"cldr:territory/{p.english.split()[-1]}") == name


def test_build_without_the_package_names_it(tmp_path, monkeypatch):
    monkeypatch.setattr(debian, "fetch", lambda names, work_dir, log=print: ({}, {cldr.PACKAGE: "apt-get failed"}))
    with pytest.raises(FileNotFoundError, match="unicode-cldr-core could not be fetched"):
        cldr.build(tmp_path / "out", tmp_path / "work", **QUIET)
    assert not (tmp_path / "out").exists()
