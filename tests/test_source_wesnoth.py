"""Tests of tinykd.data.wesnoth on a tiny file tree with the layout of Battle for Wesnoth's Debian packages.

No network and no Debian packages: the .mo catalogues (written by test_source_games.write_mo) and
the WML/Lua files they come from are made in tmp_path.
"""

from __future__ import annotations

from test_source_games import write_mo

from tinykd.data import assemble, corpus, split, wesnoth

QUIET = dict(log=lambda *a: None)

SCENARIO = '''#textdomain wesnoth-httt
[scenario]
    id=02_Blackwater_Port
    name= _ "scenario name^Blackwater Port"
    # a comment with _ "no text" in it
    map_file=02_Blackwater_Port.map
    [message]
        speaker=Delfador
        message= _ "Konrad, this is Kaylan, one of the mightiest of the horse lords.
He says ""hold the port"" and means it."
    [/message]
    [message]
        speaker=Konrad
        message= _ "Delfador, some orcs are following us! We must make haste!"
    [/message]
[/scenario]
'''
UNIT = '''#textdomain wesnoth-units
[unit_type]
    name= _ "Elvish Fighter"
    description= _ <<Elves are "fighters" of the woods.>>
[/unit_type]
'''
HELP = '''#textdomain wesnoth-help
[topic]
    text= _ "Campaigns are started from the <italic>text='Campaigns'</italic> menu.<img>src='x.png' align=here</img>"
[/topic]
'''
LUA = '''local _ = wesnoth.textdomain "wesnoth-tutorial"
wesnoth.message(_ "Move your leader to the keep.")
'''
GUI = '''#textdomain wesnoth
[button]
    label= _ "Quit Game"
[/button]
'''


def wesnoth_tree(root):
    """Two packages, as Debian ships them: the data package and one campaign's."""
    game = root / "data" / wesnoth.GAME_DIR
    campaign = root / "httt" / wesnoth.GAME_DIR
    (campaign / "data/campaigns/Heir_To_The_Throne/scenarios").mkdir(parents=True)
    (campaign / "data/campaigns/Heir_To_The_Throne/scenarios/02_Blackwater_Port.cfg").write_text(SCENARIO)
    (game / "data/core/units/elves").mkdir(parents=True)
    (game / "data/core/units/elves/Fighter.cfg").write_text(UNIT)
    (game / "data/core/help.cfg").write_text(HELP)
    (game / "data/campaigns/tutorial/lua").mkdir(parents=True)
    (game / "data/campaigns/tutorial/lua/hints.lua").write_text(LUA)
    (game / "data/gui").mkdir(parents=True)
    (game / "data/gui/buttons.cfg").write_text(GUI)
    de = {
        "wesnoth-httt": {
            "scenario name^Blackwater Port": "scenario name^Schwarzwasserhafen",      # context left in place
            "Konrad, this is Kaylan, one of the mightiest of the horse lords.\nHe says \"hold the port\" and means it.":
                "Konrad, das ist Kaylan, einer der mächtigsten Pferdefürsten.\n"
                "Er sagt „haltet den Hafen“ und meint es.",
            "Delfador, some orcs are following us! We must make haste!":
                "Delfador, einige Orks folgen uns! Wir müssen uns beeilen!",
            "A line glued from macros": "Eine aus Makros geklebte Zeile",
            "%d orc\x00%d orcs": "%d Ork\x00%d Orks",                                # a plural
        },
        "wesnoth-units": {"Elvish Fighter": "Elfischer Kämpfer",
                          'Elves are "fighters" of the woods.': "Elfen sind „Kämpfer“ der Wälder."},
        "wesnoth-help": {"Campaigns are started from the <italic>text='Campaigns'</italic> menu.<img>src='x.png' "
                         "align=here</img>": "Kampagnen beginnen im Menü <italic>text='Kampagnen'</italic>."},
        "wesnoth-tutorial": {"Move your leader to the keep.": "Bewegt Euren Anführer in die Burg."},
        "wesnoth": {"Quit Game": "Spiel beenden", "Loading…": "Lade …"},                 # GUI, C++ code
        "wesnoth-lib": {"The game is over.": "Das Spiel ist vorbei."},                     # interface catalogue
    }
    for domain, entries in de.items():
        package = "httt" if domain == "wesnoth-httt" else "data"
        write_mo(root / package / wesnoth.GAME_DIR / f"locale/de/LC_MESSAGES/{domain}.mo", entries)
    write_mo(root / "data" / wesnoth.GAME_DIR / "locale/la/LC_MESSAGES/wesnoth-units.mo",
             {"Elvish Fighter": "Pugnator Elficus"})                                      # a left-out locale
    return {"wesnoth-1.16-data": root / "data", "wesnoth-1.16-httt": root / "httt"}


def test_wml_strings_with_quotes_raw_strings_and_text_domains():
    found = list(wesnoth.wml_strings(SCENARIO + UNIT))
    assert found[0] == ("scenario name^Blackwater Port", "wesnoth-httt")
    assert found[1][0].endswith('He says "hold the port" and means it.')                # "" is a quote
    assert ("no text", "wesnoth-httt") not in found                                     # in a comment
    assert found[-1] == ('Elves are "fighters" of the woods.', "wesnoth-units")         # _ <<raw>>
    assert ("Move your leader to the keep.", "wesnoth-tutorial") in list(wesnoth.lua_strings(LUA))


def test_context_and_help_markup_are_cut_from_both_sides():
    assert wesnoth.without_context("female^Sergeant") == "Sergeant"
    assert wesnoth.plain_text("the <italic>text='Campaigns'</italic> menu<img>src='a.png'</img>, <b>now</b>") == \
        "the Campaigns menu, now"
    [pair] = wesnoth.entry_pairs("de", "d", "scenario name^Blackwater Port", "scenario name^Schwarzwasserhafen")
    assert (pair.english, pair.translation) == ("Blackwater Port", "Schwarzwasserhafen")


def test_pairs_from_narrative_catalogues_with_their_files_as_documents(tmp_path):
    pairs = list(wesnoth.read(wesnoth_tree(tmp_path)))
    doc = {p.english: p.doc for p in pairs}
    translation = {p.english: p.translation for p in pairs}
    scenario = "wesnoth:campaigns/Heir_To_The_Throne/scenarios/02_Blackwater_Port.cfg"
    assert doc["Blackwater Port"] == doc["Delfador, some orcs are following us! We must make haste!"] == scenario
    assert doc['He says "hold the port" and means it.'] == scenario                     # cut into lines
    assert translation['He says "hold the port" and means it.'] == "Er sagt „haltet den Hafen“ und meint es."
    assert doc["Elvish Fighter"] == "wesnoth:core/units/elves/Fighter.cfg"
    assert doc["Move your leader to the keep."] == "wesnoth:campaigns/tutorial/lua/hints.lua"
    assert translation["Campaigns are started from the Campaigns menu."] == "Kampagnen beginnen im Menü Kampagnen."
    assert doc["A line glued from macros"] == "wesnoth:wesnoth-httt"                     # written in no file
    assert not {"Quit Game", "Loading…", "The game is over."} & set(doc)                 # interface text
    assert not any("orc" in e for e in doc if e.startswith("%d"))                         # a plural
    assert {p.lang for p in pairs} == {"de"}                                              # la left out


def test_build_assembles_a_corpus_with_the_licence_in_its_report(tmp_path, monkeypatch):
    roots = wesnoth_tree(tmp_path / "trees")
    copyright_text = ("It was downloaded from http://www.wesnoth.org/\nLicense:\n under the terms of the GNU General "
                      "Public License version 2\n or at your option any later version.")
    for name, root in roots.items():
        (root / "usr/share/doc" / name).mkdir(parents=True)
        (root / "usr/share/doc" / name / "copyright").write_text(copyright_text)

    def fake_fetch(names, work_dir, log=print):
        from tinykd.data.debian import Package
        return {n: Package(n, "1:1.16.9-1", roots[n]) for n in names if n in roots}, {}

    monkeypatch.setattr(wesnoth.debian, "fetch", fake_fetch)
    monkeypatch.setattr(assemble, "MIN_PAIRS", 1)
    report = wesnoth.build(tmp_path / "out", tmp_path / "work", **QUIET)
    assert report["source"] == "wesnoth" and report["languages"] == ["de"]
    assert all(p["licence_in_copyright_file"] for p in report["info"]["packages"].values())
    written = [p for s in split.SPLITS for p in corpus.load_corpus(s, tmp_path / "out")]
    assert {p.english for p in written} >= {"Blackwater Port", "Elvish Fighter"}
