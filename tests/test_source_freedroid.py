"""Tests of tinykd.data.freedroid on a tiny file tree with the layout of FreedroidRPG's Debian package.

No network and no Debian package: the .mo catalogues (written by test_source_games.write_mo) and
the Lua files they come from are made in tmp_path.
"""

from __future__ import annotations

from test_source_games import write_mo
from test_source_tuxpaint import fake_fetch

from tinykd import export
from tinykd.data import assemble, corpus, freedroid, split
from tinykd.data.__main__ import SOURCES, main

QUIET = dict(log=lambda *a: None)

DIALOGUE = '''local Tux = FDrpg.get_tux()
return {
	FirstTime = function()
		Npc:says(_"Feel free to stay here. There is no danger.")
	end,
	{
		id = "node0",
		text = _"Who are you?",
		code = function()
			Npc:says(_"A [b]%s[/b] jumps out in front of you!")
			Tux:says_random(_"Hello.",
				_"Hi there.", "NO_WAIT")
		end,
	},
}
'''
ITEMS = '''item_list {
	{
		name = _"Cutlass",
		description = _[[A short, curved sword. It cuts well.]],
	},
	{
		name = _"Bottle of ice",
		description = _"This bottle is filled with ice. It keeps you cool on a warm day.",
	},
}
'''


def freedroid_tree(root):
    """The package's two folders: the game's Lua files and the locale's catalogues."""
    data = root / freedroid.DATA_DIR
    (data / "storyline/act1/dialogs").mkdir(parents=True)
    (data / "storyline/act1/dialogs/Bender.lua").write_text(DIALOGUE)
    (data / "base").mkdir(parents=True)
    (data / "base/item_specs.lua").write_text(ITEMS)
    locale = root / freedroid.LOCALE_DIR
    write_mo(locale / "de/LC_MESSAGES/freedroidrpg-dialogs.mo", {
        "Feel free to stay here. There is no danger.": "Bleiben Sie, solange Sie wollen - hier ist es sicher.",
        "Who are you?": "Wer bist du?",
        "A [b]%s[/b] jumps out in front of you!": "Ein [b]%s[/b] springt vor dir heraus!",
        "Hello.": "Hallo.",
        "Hi there.": "Hi there.",                                                   # untranslated
        "I can kill you with %s and %d.": "Ich kann dich mit %s töten.",              # a code lost
        "A sign nobody writes in Lua.": "Ein Schild, das kein Lua schreibt.",
    })
    write_mo(locale / "de/LC_MESSAGES/freedroidrpg-data.mo", {
        "Cutlass": "Entermesser",                                                   # a label
        "A short, curved sword. It cuts well.": "Ein kurzes, gebogenes Schwert. Es schneidet gut.",
        "This bottle is filled with ice. It keeps you cool on a warm day.":
            "Diese Flasche ist mit Eis gefüllt. Sie kühlt an einem warmen Tag.",
    })
    write_mo(locale / "de/LC_MESSAGES/freedroidrpg.mo", {"Load the game now.": "Spiel jetzt laden."})  # interface
    write_mo(locale / "fr/LC_MESSAGES/freedroidrpg-dialogs.mo", {"Who are you?": "Qui êtes-vous ?"})
    return {"freedroidrpg-data": root}


def test_bold_markup_is_removed_and_its_text_kept():
    assert freedroid.without_markup("A [b]%s[/b] jumps out!") == "A %s jumps out!"
    assert freedroid.without_markup("[sudo] password") == "[sudo] password"


def test_documents_are_dialogue_files_spec_entries_or_the_catalogue():
    places = {"Hello.": "storyline/act1/dialogs/Bender.lua", "A sword.": "base/item_specs.lua"}
    assert freedroid.document("freedroidrpg-dialogs", "Hello.", places) == "freedroid:storyline/act1/dialogs/Bender.lua"
    assert freedroid.document("freedroidrpg-data", "A sword.", places) == "freedroid:base/item_specs.lua:A sword."
    assert freedroid.document("freedroidrpg-data", "A sign.", places) == "freedroid:freedroidrpg-data"


def test_pairs_from_the_dialogue_and_data_catalogues(tmp_path):
    stats: dict = {}
    pairs = list(freedroid.read(freedroid_tree(tmp_path), stats=stats))
    by_english = {(p.lang, p.english): p for p in pairs}
    bender = "freedroid:storyline/act1/dialogs/Bender.lua"
    assert by_english["de", "Feel free to stay here. There is no danger."].doc == bender
    assert by_english["de", "Hello."].doc == by_english["de", "Who are you?"].doc == bender   # one conversation
    assert by_english["fr", "Who are you?"].translation == "Qui êtes-vous ?"
    assert by_english["de", "A %s jumps out in front of you!"].translation == "Ein %s springt vor dir heraus!"
    sword = by_english["de", "A short, curved sword. It cuts well."]                      # a _[[long string]]
    assert sword.doc == "freedroid:base/item_specs.lua:A short, curved sword. It cuts well."
    assert by_english["de", "A sign nobody writes in Lua."].doc == "freedroid:freedroidrpg-dialogs"
    english = {e for _, e in by_english}
    assert "Cutlass" not in english                                                       # a label
    assert not any("kill you" in e for e in english)                                      # codes differ
    assert "Load the game now." not in english                                            # the interface's
    assert stats["read"]["dropped_by_language"] == {"de": {"format codes differ": 1,
                                                           "label (< 3 words, no sentence end)": 1}}
    assert {p.lang for p in pairs} == {"de", "fr"}
    assert [p.lang for p in freedroid.read(freedroid_tree(tmp_path / "again"), langs=["fr"])] == ["fr"]


def test_build_assembles_a_corpus_with_the_licence_in_its_report(tmp_path, monkeypatch):
    roots = freedroid_tree(tmp_path / "tree")
    doc = tmp_path / "tree/usr/share/doc/freedroidrpg-data"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text("Upstream-Name: freedroidrpg\n\nFiles: *\nCopyright: 2016 freedroidRPG Team\n"
                                   "License: GPL-2+\n")
    monkeypatch.setattr(freedroid.debian, "fetch", fake_fetch(roots, "1.0-1"))
    monkeypatch.setattr(assemble, "MIN_PAIRS", 1)
    report = freedroid.build(tmp_path / "out", tmp_path / "work", **QUIET)
    assert report["source"] == "freedroid" and report["languages"] == ["de", "fr"]
    assert report["info"]["packages"][freedroid.PACKAGE]["licence_in_copyright_file"]
    written = [p for s in split.SPLITS for p in corpus.load_corpus(s, tmp_path / "out")]
    assert {p.english for p in written} >= {"Who are you?", "Hello."}
    assert "Hi there." not in {p.english for p in written}                               # untranslated: cleaned


def test_registered_as_a_source_of_the_data_command(tmp_path, monkeypatch, capsys):
    assert SOURCES["freedroid"] is freedroid and "freedroid" in export.SOURCE_MODULES
    assert freedroid.packages() == ["freedroidrpg-data"]
    monkeypatch.setattr(freedroid.debian, "fetch", fake_fetch(freedroid_tree(tmp_path / "tree"), "1.0-1"))
    monkeypatch.setattr(assemble, "MIN_PAIRS", 1)
    main(["freedroid", "--out", str(tmp_path / "out"), "--work-dir", str(tmp_path / "work"), "--langs", "fr"])
    assert {p.lang for s in split.SPLITS for p in corpus.load_corpus(s, tmp_path / "out")} == {"fr"}
    assert "freedroid (narrative (spoken dialogue))" in capsys.readouterr().out
