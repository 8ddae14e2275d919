"""Tests of tinykd.data.zeroad on a tiny public.zip with the layout of 0 A.D.'s Debian package.

No network and no Debian package: the .po catalogues and their templates are written here, into a
zip made in tmp_path (beside them a member outside l10n/ that is not a catalogue at all).
"""

from __future__ import annotations

import zipfile

import pytest
from test_source_tuxpaint import fake_fetch

from tinykd import export
from tinykd.data import assemble, corpus, games, split, zeroad
from tinykd.data.__main__ import SOURCES, main

QUIET = dict(log=lambda *a: None)

HISTORY = ('The Athenians were the most powerful of the Greek city-states.\\n'      # .po escapes: \n, \"
           '[font=\\"sans-bold-16\\"]Their navy[/font] ruled the Aegean Sea.')
QUOTE = "“She \\\\[Helen] brought to Ilium her dowry, destruction.” \\\\n— Aeschylus (“Agamemnon”, 406)"


def po(entries, header: bool = True) -> str:
    """A .po file of ``(reference, msgid, msgstr)`` or ``(reference, msgid, msgstr, extra lines)``
    entries, the strings written as they are (already escaped)."""
    lines = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', ""] if header else []
    for reference, msgid, msgstr, *extra in entries:
        lines += [f"#: {reference}", *(extra[0] if extra else []), f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    return "\n".join(lines)


TEMPLATES = {
    "public-civilizations": [("simulation/data/civs/athen.json:History", HISTORY, ""),
                             ("simulation/data/civs/athen.json:AINames[0]", "Themistocles", "")],
    "public-gui-other": [("gui/text/quotes.txt:2", QUOTE, ""),
                         ("gui/common/tooltips.js:155", "Train %(count)s units of this kind now.", "")],
    "public-maps": [("maps/scenarios/sahel.xml:Description", "The Sahel is a zone of transition in Africa.", ""),
                    # also in the units' template: a text of two components
                    ("maps/scenarios/sahel.xml:Description", "A long text found in two places here.", "")],
    "public-templates-units": [("simulation/templates/units/athen/hero.xml:42",
                                "A long text found in two places here.", "")],
}
GERMAN = {
    "public-civilizations": [
        ("simulation/data/civs/athen.jsonHistory", HISTORY, 'Die Athener waren der mächtigste der griechischen '
         'Stadtstaaten.\\n[font=\\"sans-bold-16\\"]Ihre Flotte[/font] beherrschte die Ägäis.'),
        ("simulation/data/civs/athen.jsonAINames[0]", "Themistocles", "Themistokles")],
    "public-gui-other": [
        ("gui/text/quotes.txt:2", QUOTE, "„Sie \\\\[Helena] brachte Ilion ihre Mitgift: Verderben.“ \\\\n— Aischylos "
                                         "(„Agamemnon“, 406)"),
        ("gui/common/tooltips.js:155", "Train %(count)s units of this kind now.",
         "Jetzt %(anzahl)s Einheiten dieser Art ausbilden.")],                     # a placeholder renamed
    "public-maps": [
        ("maps/scenarios/sahel.xml:Description", "The Sahel is a zone of transition in Africa.",
         "Die Sahelzone ist ein Übergangsgebiet in Afrika.", ["#, fuzzy"]),        # fuzzy: left out
        ("maps/scenarios/sahel.xml:Description", "A long text found in two places here.",
         "Ein langer Text, hier an zwei Orten.")],
    "public-templates-units": [
        ("simulation/templates/units/athen/hero.xml:42", "A long text found in two places here.",
         "Ein langer Text, zum zweiten Mal übersetzt.")],
}
BRAZILIAN = {"public-maps": [("maps/scenarios/sahel.xml:Description", "The Sahel is a zone of transition in Africa.",
                              "O Sahel é uma zona de transição na África.")]}
BRITISH = {"public-maps": [("maps/scenarios/sahel.xml:Description", "A long text found in two places here.",
                            "A long text found in two places, here.")]}


def write_zip(root, members: dict[str, str | bytes]):
    """``root``'s public.zip holding ``members`` (name -> text); returns ``{package: root}``."""
    archive = root / zeroad.ARCHIVE
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return {zeroad.PACKAGE: root}


def zeroad_tree(root, catalogues=None, templates=TEMPLATES):
    """A package tree whose public.zip holds the templates and the catalogues ``{locale: {component: entries}}``."""
    catalogues = {"de": GERMAN, "pt_BR": BRAZILIAN, "en_GB": BRITISH} if catalogues is None else catalogues
    members = {f"l10n/{component}.pot": po(entries) for component, entries in templates.items()}
    members |= {f"l10n/{locale}.{component}.po": po(entries)
                for locale, components in catalogues.items() for component, entries in components.items()}
    members["l10n/messages.json"] = "[]"
    members["art/not-a-catalogue.po"] = "this would not parse"                 # outside l10n/: never read
    return write_zip(root, members)


# --- the .po reader (tinykd.data.games.parse_po) ------------------------------------------------

def test_po_entries_with_context_plurals_flags_and_references():
    text = "\n".join([
        "# translator's comment", 'msgid ""', 'msgstr ""', '"Language: de\\n"', "",
        "#: gui/a.js:1 gui/b.js:2", "#, javascript-format, fuzzy", 'msgctxt "hotkey metadata"', 'msgid ""',
        '"Select all units "', '"on \\"screen\\".\\n"', 'msgstr "Alle Einheiten wählen."', "",
        "#: gui/c.js:3", 'msgid "%(n)s unit"', 'msgid_plural "%(n)s units"', 'msgstr[0] "%(n)s Einheit"',
        'msgstr[1] "%(n)s Einheiten"',
        "#: gui/d.js:4", 'msgid "Next"', 'msgstr "Weiter"',                     # no blank line before it
        "", '#~ msgid "Old"', '#~ msgstr "Alt"'])
    entries = games.parse_po(text, "de.po")
    assert [(e.context, e.msgid, e.plural, e.msgstrs, e.references, e.fuzzy, e.line) for e in entries] == [
        ("hotkey metadata", 'Select all units on "screen".\n', None, ("Alle Einheiten wählen.",),
         ("gui/a.js:1", "gui/b.js:2"), True, 6),
        (None, "%(n)s unit", "%(n)s units", ("%(n)s Einheit", "%(n)s Einheiten"), ("gui/c.js:3",), False, 14),
        (None, "Next", None, ("Weiter",), ("gui/d.js:4",), False, 19)]


@pytest.mark.parametrize("text, line, message", [
    ('msgid "a"\nmsgstr "b"\nnonsense here', 3, "not a line of a .po file"),
    ('"dangling"', 1, "continues no msgid"),
    ('msgstr "b"', 1, "without a msgid"),
    ('msgid "a"\nmsgstr "b\\q"', 2, "unknown escape"),
    ('msgid "a"\nmsgstr "b', 2, "not a quoted string"),
    ('\n#: x.js:1\nmsgid "a"\n\nmsgid "b"\nmsgstr "c"', 2, "has no msgstr"),
])
def test_malformed_po_is_refused_with_the_file_and_line(text, line, message):
    with pytest.raises(ValueError, match=f"^de.po:{line}: .*{message}"):
        games.parse_po(text, "de.po")


# --- the text ---------------------------------------------------------------------------------

def test_markup_is_stripped_and_line_breaks_become_spaces():
    text = '[font="sans-bold-16"]Athenians[/font]\\nThe \\[Greek] city\nof [color="red"]Athens[/color]'
    assert zeroad.plain_text(text) == "Athenians The [Greek] city of Athens"
    assert zeroad.plain_text("“Geldim.” \\ N— Sezar \\ [Darius] \\(Es") == "“Geldim.” — Sezar [Darius] (Es"
    assert zeroad.plain_text("[imgleft=\"x.png\"]  Select [on unit] all.") == "Select [on unit] all."


def test_placeholders_must_agree_and_short_texts_go():
    assert zeroad.placeholders("Train %(count)s of %(unit)s at %s") == ["%(count)s", "%(unit)s", "%s"]
    assert zeroad.why_dropped("Train %(count)s units of this kind.", "%(count)s Einheiten dieser Art.") is None
    assert zeroad.why_dropped("Train %(count)s units of this kind.", "%(anzahl)s Einheiten.") == "format codes differ"
    assert zeroad.word_count("Train %(count)s units now") == 3
    assert zeroad.why_dropped("Train %(count)s units now", "%(count)s Einheiten jetzt") == "short (< 4 words)"
    assert zeroad.why_dropped("Game Setup", "Spieleinstellungen") == "short (< 4 words)"


def test_documents_are_files_and_text_files_by_entry():
    assert zeroad.reference_file("simulation/data/civs/athen.jsonAINames[0]") == "simulation/data/civs/athen.json"
    assert zeroad.reference_file("simulation/data/civs/athen.json:AINames[0]") == "simulation/data/civs/athen.json"
    assert zeroad.document("maps/scenarios/sahel.xml:Description", "The Sahel.") == "zeroad:maps/scenarios/sahel.xml"
    assert zeroad.document("gui/common/tooltips.js:155", "Train.") == "zeroad:gui/common/tooltips.js"
    assert zeroad.document("gui/text/quotes.txt:109", "“I came.”") == "zeroad:gui/text/quotes.txt:“I came.”"
    with pytest.raises(ValueError, match="x.pot:3: reference 'binaries/README' names no"):
        zeroad.reference_file("binaries/README", "x.pot:3")


# --- reading the archive ----------------------------------------------------------------------

def test_pairs_aligned_by_msgid_deduplicated_across_components(tmp_path):
    stats: dict = {}
    pairs = list(zeroad.read(zeroad_tree(tmp_path), stats=stats, **QUIET))
    by_english = {(p.lang, p.english): p for p in pairs}
    history = by_english["de", "The Athenians were the most powerful of the Greek city-states. Their navy ruled the "
                               "Aegean Sea."]
    assert history.translation == ("Die Athener waren der mächtigste der griechischen Stadtstaaten. Ihre Flotte "
                                   "beherrschte die Ägäis.")
    assert history.doc == "zeroad:simulation/data/civs/athen.json"            # the template's reference
    quote = by_english["de", "“She [Helen] brought to Ilium her dowry, destruction.” — Aeschylus (“Agamemnon”, 406)"]
    assert quote.translation == "„Sie [Helena] brachte Ilion ihre Mitgift: Verderben.“ — Aischylos („Agamemnon“, 406)"
    assert quote.doc.startswith("zeroad:gui/text/quotes.txt:“She ")
    twice = [p for p in pairs if p.english == "A long text found in two places here."]
    assert [(p.lang, p.translation, p.doc) for p in twice] == [                # one pair: public-maps comes first
        ("de", "Ein langer Text, hier an zwei Orten.", "zeroad:maps/scenarios/sahel.xml")]
    assert by_english["pt-BR", "The Sahel is a zone of transition in Africa."].translation.startswith("O Sahel")
    assert ("de", "The Sahel is a zone of transition in Africa.") not in by_english          # fuzzy
    assert {p.lang for p in pairs} == {"de", "pt-BR"}                                         # en_GB is English
    read = stats["read"]
    assert read["dropped_by_language"] == {"de": {"format codes differ": 1, "short (< 4 words)": 1}}
    assert read["in_several_components"] == {"de": 1, "pt-BR": 0}
    assert [p.lang for p in zeroad.read(zeroad_tree(tmp_path / "again"), langs=["pt_BR"], **QUIET)] == ["pt-BR"]


def test_a_text_in_no_template_takes_its_catalogues_reference(tmp_path):
    catalogues = {"fr": {"public-maps": [("maps/random/nile.jsonsettings.Description",
                                          "The river Nile flows through the desert.",
                                          "Le Nil coule à travers le désert.")]}}
    pairs = list(zeroad.read(zeroad_tree(tmp_path, catalogues), **QUIET))
    assert [(p.lang, p.doc) for p in pairs] == [("fr", "zeroad:maps/random/nile.json")]


def test_malformed_catalogues_and_missing_archives_are_named(tmp_path):
    roots = write_zip(tmp_path / "a", {"l10n/de.public-maps.po": po([("maps/a.xml:1", "One two three four.",
                                                                      "Eins zwei drei vier.")]) + "\nmsgstr"})
    with pytest.raises(ValueError, match=r"public\.zip:l10n/de\.public-maps\.po:\d+: not a line of a \.po file"):
        list(zeroad.read(roots, **QUIET))
    roots = write_zip(tmp_path / "b", {"l10n/de.public-maps.po": po([("README", "One two three four.", "Eins.")])})
    with pytest.raises(ValueError, match=r"de\.public-maps\.po:\d+: reference 'README' names no"):
        list(zeroad.read(roots, **QUIET))
    roots = write_zip(tmp_path / "c", {"l10n/de.public-maps.po": b"\xff\xfe msgid"})
    with pytest.raises(ValueError, match=r"de\.public-maps\.po: not UTF-8"):
        list(zeroad.read(roots, **QUIET))
    with pytest.raises(FileNotFoundError, match="no usr/share/games/0ad/mods/public/public.zip"):
        list(zeroad.read({zeroad.PACKAGE: tmp_path / "empty"}, **QUIET))


# --- the split and the build ------------------------------------------------------------------

def many_quotes(n: int = 60):
    """Templates and German and French catalogues of ``n`` quotes (each its own document) and one history
    whose two paragraphs are entries of one file (one document)."""
    english = [f"“Wise words number {i} are spoken by the old sage.” — Sage {i}" for i in range(n)]
    history = ["The first paragraph of the history is long.", "The second paragraph of the history is long."]
    templates = {"public-gui-other": [(f"gui/text/quotes.txt:{i + 1}", e, "") for i, e in enumerate(english)],
                 "public-civilizations": [(f"simulation/data/civs/athen.json:History[{i}]", e, "")
                                          for i, e in enumerate(history)]}
    catalogues = {locale: {"public-gui-other": [(f"gui/text/quotes.txt:{i + 1}", e, f"{word} {i}: {e[1:20]}")
                                                for i, e in enumerate(english)],
                           "public-civilizations": [(f"simulation/data/civs/athen.json:History[{i}]", e,
                                                     f"{word} Geschichte {i}.") for i, e in enumerate(history)]}
                  for locale, word in (("de", "Weise Worte"), ("fr", "Sages paroles"))}
    return templates, catalogues


def test_split_by_document_keeps_test_and_dev_out_of_train(tmp_path, monkeypatch):
    templates, catalogues = many_quotes()
    roots = zeroad_tree(tmp_path / "tree", catalogues, templates)
    monkeypatch.setattr(zeroad.debian, "fetch", fake_fetch(roots, "0.0.26-1"))
    monkeypatch.setattr(assemble, "MIN_PAIRS", 1)
    report = zeroad.build(tmp_path / "out", tmp_path / "work", **QUIET)
    written = {s: corpus.load_corpus(s, tmp_path / "out") for s in split.SPLITS}
    assert all(written.values())                                              # 61 documents: every split has some
    docs = {p.english: p.doc for p in zeroad.read(roots, **QUIET)}
    for name, pairs in written.items():
        for p in pairs:
            assert split.split_of_document(docs[p.english]) == name          # the document decides
    train_english = {p.english for p in written["train"]}
    assert not train_english & {p.english for s in ("dev", "test") for p in written[s]}
    history = {(s, p.english) for s in split.SPLITS for p in written[s] if "paragraph of the history" in p.english}
    assert len(history) == 2 and len({s for s, _ in history}) == 1          # one file: both paragraphs in one split
    assert report["source"] == "zeroad" and report["languages"] == ["de", "fr"]
    assert sum(report["documents"].values()) == 61


def test_build_records_the_licence_and_cleans_untranslated_copies(tmp_path, monkeypatch):
    roots = zeroad_tree(tmp_path / "tree", {"de": GERMAN, "it": {"public-maps": [
        ("maps/scenarios/sahel.xml:Description", "A long text found in two places here.",
         "A long text found in two places here.")]}})                          # a copy of the English
    doc = tmp_path / "tree/usr/share/doc/0ad-data"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text("Upstream-Name: 0ad\n\nFiles: *\nCopyright: 2010 Wildfire Games\n"
                                   "License: CC-BY-SA-3.0\n")
    monkeypatch.setattr(zeroad.debian, "fetch", fake_fetch(roots, "0.0.26-1"))
    monkeypatch.setattr(assemble, "MIN_PAIRS", 1)
    report = zeroad.build(tmp_path / "out", tmp_path / "work", **QUIET)
    assert report["info"]["packages"]["0ad-data"] == {"version": "0.0.26-1", "licence": "CC-BY-SA-3.0",
                                                      "licence_in_copyright_file": True}
    assert report["left_out"] == {"it": "only 0 pairs left (< 1)"}             # its one pair: untranslated
    assert report["drops"]["it"] == {"untranslated": 1}


def test_registered_as_a_source_of_the_data_command(tmp_path, monkeypatch, capsys):
    assert SOURCES["zeroad"] is zeroad and "zeroad" in export.SOURCE_MODULES
    assert zeroad.packages() == ["0ad-data"]
    monkeypatch.setattr(zeroad.debian, "fetch", fake_fetch(zeroad_tree(tmp_path / "tree"), "0.0.26-1"))
    monkeypatch.setattr(assemble, "MIN_PAIRS", 1)
    main(["zeroad", "--out", str(tmp_path / "out"), "--work-dir", str(tmp_path / "work"), "--langs", "pt-BR"])
    assert {p.lang for s in split.SPLITS for p in corpus.load_corpus(s, tmp_path / "out")} == {"pt-BR"}
    assert "zeroad (general prose" in capsys.readouterr().out
