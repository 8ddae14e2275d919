"""Tests of tinykd.data.tuxpaint on a tiny file tree with the layout of Tux Paint's stamps package.

No network and no Debian packages: the caption files (``stamp.txt``: the English, then
``<locale>.utf8=<translation>`` lines) are made in tmp_path.
"""

from __future__ import annotations

from tinykd import export
from tinykd.data import assemble, corpus, debian, split, tuxpaint
from tinykd.data.__main__ import SOURCES, main

QUIET = dict(log=lambda *a: None)

FROG = """A frog.
ach.utf8=Ogwalogwal
ca.utf8=Una granota.
ca@valencia.utf8=Una granoteta.
de.utf8=Ein Frosch.
en_AU.utf8=A frog.
en_GB.utf8=A frog, mate.
hi.utf8=एक मेंढक|
pt.utf8=Um sapo.
pt_BR.utf8=Um sapinho.
sr.utf8=Жаба.
sr@latin.utf8=Žaba.
ta.utf8=´Õ ¾Å¨Ç.
zh_CN.utf8=青蛙。
zh_TW.utf8=青蛙
"""
QUARTER = ("A United States quarter (25 cents).  \n\n"                       # trailing spaces, a blank line
           "de.utf8=Eine 25-Cent-Münze (0,25 $) der USA. Sie wird dort »Quarter« genannt.  \n"
           "he.utf8=\\tרבע דולר אמריקאי.\n"                                   # a .po escape left in
           "km.utf8=A United States quarter (25 cents).\n"                     # untranslated copy
           "fr.utf8=\n"                                                         # empty
           "ja.utf8=アメリカの25セント硬貨。\n")
MALFORMED = (b"A violin.\n"
             b"this line is no translation\n"
             b"de=Eine Geige.\n"                                                 # no .utf8: encoding unknown
             b"de.utf8=Eine Geige.\n"
             b"de.utf8=Noch eine Geige.\n"                                       # a second line for de
             b"fr.utf8=Un violon.\n"
             b"it.utf8=Un violino \xe8 qui.\n")                                 # Latin-1, not UTF-8
UNTRANSLATED = "A hammer.\nen_GB.utf8=A hammer.\n"
EMPTY = "\n\n"


def stamps_tree(root):
    """An unpacked tuxpaint-stamps-default: four captions, one with only English, one empty."""
    stamps = root / tuxpaint.STAMPS_DIR
    files = {"animals/amphibians/frog.txt": FROG, "animals/amphibians/frog-1.txt": FROG,
             "symbols/money/us/quarter.txt": QUARTER, "household/tools/hammer.txt": UNTRANSLATED,
             "household/tools/empty.txt": EMPTY, "hobbies/music/violin.txt": MALFORMED}
    for rel, text in files.items():
        (stamps / rel).parent.mkdir(parents=True, exist_ok=True)
        (stamps / rel).write_bytes(text if isinstance(text, bytes) else text.encode())
    (stamps / "animals/amphibians/frog.png").write_bytes(b"\x89PNG")           # stamps' images are not read
    return {tuxpaint.PACKAGE: root}


def test_english_and_translations_aligned_per_file_with_locales_mapped(tmp_path):
    pairs = list(tuxpaint.read(stamps_tree(tmp_path), **QUIET))
    frog = {p.lang: p for p in pairs if p.doc == "tuxpaint:animals/amphibians/frog.txt"}
    assert {p.english for p in frog.values()} == {"A frog."}
    assert {lang: p.translation for lang, p in frog.items()} == {
        "ach": "Ogwalogwal", "ca": "Una granota.", "de": "Ein Frosch.", "hi": "एक मेंढक।", "pt": "Um sapo.",
        "pt-BR": "Um sapinho.", "sr": "Жаба.", "zh-CN": "青蛙。", "zh-TW": "青蛙"}
    # English variants and the variants beside a language that is read are left out
    assert not {"en-AU", "en-GB", "ca-valencia", "sr-latin"} & {p.lang for p in pairs}
    assert tuxpaint.language_of("ca@valencia") is None and tuxpaint.language_of("en_AU") is None
    assert "ta" not in {p.lang for p in pairs}                    # Tamil's lines are TSCII read as Latin-1
    quarter = {p.lang: p for p in pairs if p.doc == "tuxpaint:symbols/money/us/quarter.txt"}
    assert quarter["de"].english == "A United States quarter (25 cents)."       # the blank line skipped
    assert quarter["de"].translation.endswith("»Quarter« genannt.")                # trailing spaces cut
    assert quarter["he"].translation == "\tרבע דולר אמריקאי."                    # the escape made a tab


def test_languages_can_be_chosen_in_any_spelling(tmp_path):
    pairs = list(tuxpaint.read(stamps_tree(tmp_path), ["pt_BR", "de"], **QUIET))
    assert {p.lang for p in pairs} == {"pt-BR", "de"}


def test_malformed_lines_are_skipped_and_counted_by_file_and_line(tmp_path):
    stats: dict = {}
    pairs = list(tuxpaint.read(stamps_tree(tmp_path), stats=stats, **QUIET))
    violin = [(p.lang, p.translation) for p in pairs if p.doc == "tuxpaint:hobbies/music/violin.txt"]
    assert violin == [("de", "Eine Geige."), ("fr", "Un violon.")]
    read = stats["read"]
    assert read["files"] == 6
    assert read["lines skipped: not a translation line (locale.utf8=text)"] == 1
    assert read["lines skipped: no .utf8 marking (encoding unknown)"] == 1
    assert read["lines skipped: a second line for this locale"] == 1
    assert read["lines not UTF-8"] == 1
    assert read["files without a translation"] == 1 and read["files without an English caption"] == 1
    assert "tuxpaint:hobbies/music/violin.txt:2: not a translation line (locale.utf8=text)" in stats["skipped_lines"]
    assert "tuxpaint:hobbies/music/violin.txt:7: not UTF-8" in stats["skipped_lines"]
    assert read["pairs"]["de"] == 4


def fake_fetch(roots, version="2022.06.04-1"):
    """debian.fetch over unpacked trees ``{package: root}`` made in tmp_path (also the cataclysm tests')."""
    def fetch(names, work_dir, log=print):
        return {n: debian.Package(n, version, roots[n]) for n in names if n in roots}, {}
    return fetch


def copyright_file(root):
    doc = root / "usr/share/doc" / tuxpaint.PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text("Files: *\nCopyright: 2002-2022 by Bill Kendrick\nLicense: GPL-2\n\nLicense: GPL-2\n"
                                   " the Free Software Foundation; either version 2 of the License, or\n"
                                   " (at your option) any later version.\n")


def test_build_splits_by_file_and_drops_untranslated_and_empty(tmp_path, monkeypatch):
    roots = stamps_tree(tmp_path / "tree")
    copyright_file(tmp_path / "tree")
    monkeypatch.setattr(tuxpaint.debian, "fetch", fake_fetch(roots))
    monkeypatch.setattr(assemble, "MIN_PAIRS", 1)
    monkeypatch.setattr(assemble, "MAX_UNTRANSLATED", 1.0)
    report = tuxpaint.build(tmp_path / "out", tmp_path / "work", **QUIET)
    assert report["source"] == "tuxpaint" and report["kind"] == tuxpaint.KIND
    assert report["info"]["packages"][tuxpaint.PACKAGE]["licence_in_copyright_file"]
    assert report["drops"]["km"]["untranslated"] == 1 and report["drops"]["fr"]["empty"] == 1
    written = {s: corpus.load_corpus(s, tmp_path / "out") for s in split.SPLITS}
    every = [p for s in split.SPLITS for p in written[s]]
    assert ("he", "A United States quarter (25 cents).", "רבע דולר אמריקאי.") in {
        (p.lang, p.english, p.translation) for p in every}
    assert not any(p.lang in ("km", "fr") and "quarter" in p.english for p in every)
    # a file's languages are all in its document's split
    for doc, english in [("tuxpaint:symbols/money/us/quarter.txt", "A United States quarter (25 cents)."),
                         ("tuxpaint:hobbies/music/violin.txt", "A violin.")]:
        where = split.split_of_document(doc)
        assert {s for s in split.SPLITS for p in written[s] if p.english == english} == {where}


def test_a_caption_of_several_files_is_held_out_only_where_no_training_file_has_it(tmp_path, monkeypatch):
    """frog.txt and frog-1.txt share their caption: whatever their splits, no dev or test pair is trained on."""
    roots = stamps_tree(tmp_path / "tree")
    monkeypatch.setattr(tuxpaint.debian, "fetch", fake_fetch(roots))
    monkeypatch.setattr(assemble, "MIN_PAIRS", 1)
    monkeypatch.setattr(assemble, "MAX_UNTRANSLATED", 1.0)
    splits = {"tuxpaint:animals/amphibians/frog.txt": "test", "tuxpaint:animals/amphibians/frog-1.txt": "train"}
    monkeypatch.setattr(assemble.split, "split_of_document", lambda doc: splits.get(doc, "train"))
    report = tuxpaint.build(tmp_path / "out", tmp_path / "work", **QUIET)
    assert not [p for p in corpus.load_corpus("test", tmp_path / "out") if p.english == "A frog."]
    assert report["drops"]["de"]["overlap_test"] == 1
    assert sum(p.english == "A frog." and p.lang == "de" for p in corpus.load_corpus("train", tmp_path / "out")) == 1


def test_registered_as_a_source_of_the_data_command(tmp_path, monkeypatch, capsys):
    assert SOURCES["tuxpaint"] is tuxpaint and "tuxpaint" in export.SOURCE_MODULES
    assert tuxpaint.packages() == ["tuxpaint-stamps-default"]
    roots = stamps_tree(tmp_path / "tree")
    monkeypatch.setattr(tuxpaint.debian, "fetch", fake_fetch(roots))
    monkeypatch.setattr(assemble, "MIN_PAIRS", 1)
    main(["tuxpaint", "--out", str(tmp_path / "out"), "--work-dir", str(tmp_path / "work"), "--langs", "de", "ja"])
    assert {p.lang for s in split.SPLITS for p in corpus.load_corpus(s, tmp_path / "out")} == {"de", "ja"}
    assert "tuxpaint (descriptions (picture captions))" in capsys.readouterr().out
