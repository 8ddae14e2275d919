"""Tests of tinykd.data.games on tiny file trees with the layout of the three games' Debian packages.

No network and no Debian packages: FreeOrion's string tables, Widelands' and Warzone 2100's .mo
catalogues (written here by ``write_mo``), their Lua/map files and base.wz are made in tmp_path.
"""

from __future__ import annotations

import json
import struct
import zipfile

import pytest

from tinykd.data import corpus, debian, games
from tinykd.data.assemble import SourcePair

QUIET = dict(log=lambda *a: None)


def write_mo(path, entries: dict[str, str], order: str = "<") -> None:
    """A GNU .mo file of ``{msgid: msgstr}`` (``"ctx\\x04id"`` for a context, ``"id\\x00plural"`` and
    ``"form0\\x00form1"`` for a plural), with a UTF-8 header, in byte order ``order``."""
    items = sorted({"": "Content-Type: text/plain; charset=UTF-8\n", **entries}.items())
    n, ids_at = len(items), 28
    strs_at = ids_at + 8 * n
    blob, tables = b"", {0: [], 1: []}
    for column in (0, 1):
        for item in items:
            text = item[column].encode("utf-8")
            tables[column].append((len(text), strs_at + 8 * n + len(blob)))
            blob += text + b"\0"
    data = struct.pack(order + "7I", 0x950412DE, 0, n, ids_at, strs_at, 0, 0)
    data += b"".join(struct.pack(order + "2I", *entry) for column in (0, 1) for entry in tables[column])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data + blob)


# --- a FreeOrion tree ---------------------------------------------------------------------------

EN_TXT = """\ufeffEnglish

# This is the English String Table file for FreeOrion

##
## Game options
##

OPTIONS_TITLE
Options

##
## Buildings
##

BLD_SHIPYARD_BASE
Shipyard

BLD_SHIPYARD_BASE_DESC
'''Orbital production facility for the assembly of <i>interstellar</i> spacecraft.
It can be upgraded by producing additional buildings in the same system.'''

BLD_DRYDOCK  # translated
Orbital Drydock

BLD_DRYDOCK_DESC
This is an upgrade for the [[buildingtype BLD_SHIPYARD_BASE]]. [[BLD_REPAIR_NOTE]]

BLD_REPAIR_NOTE
Ships are repaired here every turn.

SP_HUMAN_DESC
'''Description:
Humans are bipedal, clannish and omnivorous, with incredible endurance capabilities.

Society:
Modern humans have formed geographic nation states with a strong basis in historic tribes.
<img src="species/human.png"></img>'''
"""

FR_TXT = """Français

OPTIONS_TITLE
Options du jeu

BLD_SHIPYARD_BASE
Chantier Spatial

BLD_SHIPYARD_BASE_DESC
'''Structure orbitale dédiée à l'assemblage d'engins spatiaux <i>interstellaires</i>.
Elle peut être améliorée par des structures additionnelles dans le même système.'''

BLD_DRYDOCK
Cale Sèche Orbitale

BLD_DRYDOCK_DESC
Amélioration du [[buildingtype BLD_SHIPYARD_BASE]]. [[BLD_REPAIR_NOTE]]

#*BLD_REPAIR_NOTE
#* <not translated 1970-01-01 01:00:00>

SP_HUMAN_DESC
'''Description :
Les humains sont bipèdes et omnivores, et dotés de capacités d'endurance incroyables.

Société :
Les humains modernes forment des États-nations géographiques fondés sur des tribus historiques.
<img src="species/human.png"></img>'''
"""

CZ_TXT = """Czech

BLD_SHIPYARD_BASE
Loděnice
"""


def freeorion_tree(root, extra_entries: int = 0):
    folder = root / games.FREEORION_DIR
    folder.mkdir(parents=True)
    more_en = "".join(f"\nBLD_EXTRA_{i}\nThe extra building number {i} stands here.\n" for i in range(extra_entries))
    more_fr = "".join(f"\nBLD_EXTRA_{i}\nLe bâtiment supplémentaire numéro {i} est ici.\n"
                      for i in range(extra_entries))
    (folder / "en.txt").write_text(EN_TXT + more_en, encoding="utf-8")
    (folder / "fr.txt").write_text(FR_TXT + more_fr, encoding="utf-8")
    (folder / "cz.txt").write_text(CZ_TXT, encoding="utf-8")
    return root


def test_a_string_table_is_parsed_with_its_sections_quotes_and_comments():
    entries = {e.key: e for e in games.parse_stringtable(EN_TXT)}
    assert entries["OPTIONS_TITLE"].section == "Game options" and entries["BLD_DRYDOCK"].section == "Buildings"
    assert entries["BLD_DRYDOCK"].text == "Orbital Drydock"                       # "# translated" after the key
    assert entries["BLD_SHIPYARD_BASE_DESC"].text.endswith("in the same system.")     # quotes gone
    assert entries["SP_HUMAN_DESC"].text.count("\n") == 5
    french = {e.key for e in games.parse_stringtable(FR_TXT)}
    assert "BLD_REPAIR_NOTE" not in french                                            # commented out: untranslated


def test_references_are_expanded_from_the_same_table_and_a_missing_one_stays():
    table = {"A": "the [[buildingtype B]] and [[C]]", "B": "Shipyard", "C": "a [[B]] note"}
    assert games.expand_references(table["A"], table) == "the Shipyard and a Shipyard note"
    assert games.expand_references("see [[D]]", table) == "see [[D]]"
    assert games.expand_references("[[A]]", {"A": "[[A]]"}) == "[[A]]"                # a loop ends


def test_freeorion_pairs_by_key_with_articles_as_documents(tmp_path):
    pairs = list(games.read_freeorion(freeorion_tree(tmp_path)))
    by_english = {p.english: p for p in pairs}
    assert "Options" not in by_english                                    # an interface section
    assert by_english["Shipyard"] == SourcePair("fr", "games:freeorion:BLD_SHIPYARD_BASE", "Shipyard",
                                                "Chantier Spatial")
    first = by_english["Orbital production facility for the assembly of interstellar spacecraft."]
    assert first.translation == "Structure orbitale dédiée à l'assemblage d'engins spatiaux interstellaires."
    assert first.doc == "games:freeorion:BLD_SHIPYARD_BASE"               # name and description together
    assert by_english["Description:"].translation == "Description :"     # cut into lines, image dropped
    assert by_english["Society:"].doc == "games:freeorion:SP_HUMAN"
    # the drydock's text refers to a note French lacks (the game would show English): left out
    assert not any(p.english.startswith("This is an upgrade") for p in pairs)
    assert {p.lang for p in pairs} == {"fr", "cs"}                        # cz.txt is Czech
    assert [p.translation for p in pairs if p.lang == "cs"] == ["Loděnice"]
    assert list(games.read_freeorion(tmp_path, langs=["cs"])) == [p for p in pairs if p.lang == "cs"]


# --- text shared by the games ---------------------------------------------------------------------

def test_markup_is_stripped_and_character_references_decoded():
    assert games.strip_markup("A <i>bold</i> <rgba 255 0 0 255>red</rgba> text<img src=\"x.png\"></img>") == \
        "A bold red text"
    assert games.strip_markup("first line,<br> second line&nbsp;»") == "first line, second line\u00a0»"
    assert games.strip_markup("<p>one</p><p>two</p>").split() == ["one", "two"]
    assert games.strip_markup("R&D < 5 and %1$s") == "R&D < 5 and %1$s"


def test_a_text_is_cut_where_its_parts_align_and_kept_whole_where_they_do_not():
    english = "Description:\nHumans walk upright.\n\nSociety:\nHumans form nations."
    german = "Beschreibung:\nMenschen gehen aufrecht.\n\nGesellschaft:\nMenschen bilden Nationen."
    assert games.aligned_parts(english, german)[1] == ("Humans walk upright.", "Menschen gehen aufrecht.")
    # the translator moved the heading: as many lines, but they do not match
    moved = "Humans are prey animals that always watched their backs in the grasslands.\nDescription:\n" \
            "They have legs.\nSociety:"
    moved_translation = "Beschreibung:\nMenschen sind Beutetiere, die in der Steppe immer auf der Hut waren.\n" \
                        "Sie haben Beine.\nGesellschaft:"
    assert games.aligned_parts(moved, moved_translation) == [(moved, moved_translation)]
    # as many paragraphs, but not lines: cut into paragraphs
    parts = games.aligned_parts("One line here.\nTwo lines here.\n\nThird.", "Eine Zeile hier. Zwei hier.\n\nDritte.")
    assert parts == [("One line here.\nTwo lines here.", "Eine Zeile hier. Zwei hier."), ("Third.", "Dritte.")]
    # numbers differ between the parts: not cut
    assert len(games.aligned_parts("Speed +20.\nOnly one engine.", "Nur ein Antrieb.\nGeschwindigkeit +20.")) == 1


def test_a_translation_that_is_mostly_the_english_counts_as_untranslated():
    english = "It is often exceedingly difficult and dangerous to decipher the clues left behind."
    assert games.mostly_english(english, english.replace("often", "oft"))
    assert not games.mostly_english(english, "Es ist oft äußerst schwierig und gefährlich, die Spuren zu deuten.")
    assert not games.mostly_english("Ki Spice", "Ki-Spice")                     # too short to judge
    pair = next(games._pairs("de", "d", english, english.replace("often", "oft")))
    assert pair.translation == pair.english


def test_locale_names_get_the_corpus_spelling():
    assert [games.language_of(n) for n in ("pt_BR", "cz", "ar_SA", "id_ID", "ja_JP", "zh_TW", "sr_RS", "de")] == \
        ["pt-BR", "cs", "ar", "id", "ja", "zh-TW", "sr-RS", "de"]
    assert games.language_of("en_GB") is None and games.language_of("en_US") is None


# --- .mo catalogues ------------------------------------------------------------------------------

@pytest.mark.parametrize("order", ["<", ">"])
def test_a_mo_file_is_read_with_contexts_and_plurals(tmp_path, order):
    write_mo(tmp_path / "x.mo", {"Farm": "Bauernhof", "building\x04Mill": "Mühle",
                                 "%i point\x00%i points": "%i Punkt\x00%i Punkte", "Empty": ""}, order)
    entries = {e.msgid: e for e in games.read_mo(tmp_path / "x.mo")}
    assert "" not in entries                                                    # the header
    assert entries["Mill"] == games.MoEntry("building", "Mill", None, ("Mühle",))
    assert entries["%i point"].plural == "%i points" and entries["%i point"].msgstrs == ("%i Punkt", "%i Punkte")
    assert games.singular_catalogue(tmp_path / "x.mo") == {(None, "Farm"): "Bauernhof",
                                                           ("building", "Mill"): "Mühle"}
    (tmp_path / "bad.mo").write_bytes(b"not a catalogue at all")
    with pytest.raises(ValueError, match="not a .mo file"):
        games.read_mo(tmp_path / "bad.mo")


def test_two_folders_of_one_language_are_merged_the_larger_first(tmp_path):
    write_mo(tmp_path / "id_ID.mo", {"One": "Satu", "Two": "Dua", "Four": "Empat"})
    write_mo(tmp_path / "id.mo", {"One": "Esa", "Three": "Tiga"})
    write_mo(tmp_path / "en_GB.mo", {"One": "One"})
    merged = games.merged_catalogues({"id": tmp_path / "id.mo", "id_ID": tmp_path / "id_ID.mo",
                                      "en_GB": tmp_path / "en_GB.mo"})
    assert merged == {"id": {(None, "One"): "Satu", (None, "Two"): "Dua", (None, "Four"): "Empat",
                             (None, "Three"): "Tiga"}}


# --- a Widelands tree ----------------------------------------------------------------------------

TEXTS_LUA = '''-- Texts for the Atlantean mission
function jundlina(title, text)
   return speech("map:princess.png", "2F9131", title, text)
end

obj_expand = {
   name = "obj_expand",
   title = _("Expand your territory"),
   body = objective_text(_("Expand and Explore"),
      p(_([[The island is huge. Explore and conquer it.]]))
   ),
}

initial_messages = {
   {
      title = _("Uproar and Confusion"),
      body = jundlina(_("Jundlina"), _("We have left the dying Atlantis behind us."))
   },
}
'''
UNITS_LUA = '''push_textdomain("tribes_encyclopedia")
descriptions:new_tribe {
   name = "empire",
   buildings = {
      {
         name = "empire_bakery",
         helptexts = {
            -- TRANSLATORS: Purpose helptext for an empire production site: Bakery
            purpose = pgettext("empire_building", "Bakes bread for soldiers and miners alike."),
            lore = pgettext("empire_building", "‘Bread is life,<br> and life is bread.’"),
         }
      },
   },
}
pop_textdomain()
'''
CONTROLS_LUA = 'push_textdomain("tribes_encyclopedia")\nlocal r = {\n   _("Close window"),\n}\n'
ELEMENTAL = '[global]\nname=_"Crater"\nauthor="Tarrei"\ndescr=_"Life blossoms in the crater of a meteor."\n'


def widelands_tree(root):
    data = root / games.WIDELANDS_DIR
    for rel, text in {"campaigns/atl01.wmf/scripting/texts.lua": TEXTS_LUA,
                      "campaigns/atl01.wmf/scripting/init.lua": 'set_textdomain("scenario_atl01.wmf")\n',
                      "tribes/initialization/empire/units.lua": UNITS_LUA,
                      "tribes/scripting/help/controls.lua": CONTROLS_LUA,
                      "maps/Crater.wmf/elemental": ELEMENTAL}.items():
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).write_text(text, encoding="utf-8")
    messages = data / "locale" / "de" / "LC_MESSAGES"
    write_mo(messages / "scenario_atl01.wmf.mo", {
        "Expand your territory": "Erweitere dein Gebiet",
        "The island is huge. Explore and conquer it.": "Die Insel ist riesig. Erkunde und erobere sie.",
        "We have left the dying Atlantis behind us.": "Wir haben das sterbende Atlantis hinter uns gelassen.",
        "Uproar and Confusion": "Aufruhr und Verwirrung",
        "%1$s won\x00%1$s won %2$i times": "%1$s gewann\x00%1$s gewann %2$i Mal",
        "A text glued from " + "two pieces": "Ein Text aus zwei Stücken",
    })
    write_mo(messages / "tribes_encyclopedia.mo", {
        "empire_building\x04Bakes bread for soldiers and miners alike.": "Backt Brot für Soldaten und Bergleute.",
        "empire_building\x04‘Bread is life,<br> and life is bread.’": "„Brot ist Leben,<br> und Leben ist Brot.“",
        "Close window": "Fenster schließen",
    })
    write_mo(messages / "maps.mo", {"Crater": "Krater", "Life blossoms in the crater of a meteor.":
                                    "Im Krater eines Meteors blüht das Leben."})
    write_mo(messages / "widelands.mo", {"Quit": "Beenden"})                  # the interface: not read
    write_mo(data / "locale" / "en_US" / "LC_MESSAGES" / "maps.mo", {"Crater": "Crater"})
    return root


def test_lua_string_literals_come_with_their_definition_and_text_domain():
    found = list(games.string_literals(UNITS_LUA))
    assert ("Bakes bread for soldiers and miners alike.", "empire_bakery", "tribes_encyclopedia") in found
    assert ("empire_building", "empire_bakery", "tribes_encyclopedia") in found
    texts = {literal: group for literal, group, _ in games.string_literals(TEXTS_LUA)}
    assert texts["The island is huge. Explore and conquer it."] == "obj_expand"     # a [[long string]]
    assert texts["Uproar and Confusion"] == "initial_messages"
    assert texts["2F9131"] == "jundlina"
    assert not any("Texts for the" in literal for literal in texts)                 # a comment


def test_widelands_pairs_from_narrative_catalogues_with_places_as_documents(tmp_path):
    pairs = list(games.read_widelands(widelands_tree(tmp_path)))
    doc = {p.english: p.doc for p in pairs}
    translation = {p.english: p.translation for p in pairs}
    assert doc["The island is huge. Explore and conquer it."] == \
        "games:widelands:campaigns/atl01.wmf/scripting/texts.lua#obj_expand"
    assert doc["Expand your territory"] == doc["The island is huge. Explore and conquer it."]
    assert doc["Uproar and Confusion"].endswith("texts.lua#initial_messages")
    assert doc["Bakes bread for soldiers and miners alike."] == \
        "games:widelands:tribes/initialization/empire/units.lua#empire_bakery"      # context dropped
    assert doc["Crater"] == doc["Life blossoms in the crater of a meteor."] == \
        "games:widelands:maps/Crater.wmf/elemental"
    assert doc["A text glued from two pieces"] == "games:widelands:scenario_atl01.wmf"   # found nowhere
    assert translation["‘Bread is life, and life is bread.’"] == "„Brot ist Leben, und Leben ist Brot.“"
    assert "Close window" not in doc and "Quit" not in doc                      # key bindings, interface
    assert not any(p.english.startswith("%1$s won") for p in pairs)              # a plural
    assert {p.lang for p in pairs} == {"de"}                                     # en_US is English


# --- a Warzone 2100 tree -------------------------------------------------------------------------

def warzone_tree(root):
    archive = root / games.WARZONE_ARCHIVE
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as wz:
        wz.writestr("messages/strings/cam1strings.txt",
                    '/* Campaign 1 Mission Briefing text */\n\n'
                    'CAM1A_MSG1\t\t\t_("ALPHA BASE MISSION: Scavenger Raiders")\n'
                    'CAM1A_MSG2\t\t\t_("Scavenger raiders are approaching our base.")\n'
                    '//CAM1A_MSG3\t\t\t_("A line left out.")\n')
        wz.writestr("messages/strings/names.txt", 'ZNULLDESIGN\t\t\t_("New Design")\n')
        wz.writestr("messages/resmessages1.json", json.dumps({"RES_CN1MK1": {
            "id": "RES_CN1MK1", "text": ["New Weapon Turret Available", "Light Cannon firing 40mm rounds"]}}))
        wz.writestr("sequenceaudio/cam1/c001.txa",
                    '20\t20\t4.04\t15.96\t_("Dawn, July 4th, 2100")\n'
                    '0\t0\t4.04\t15.96\t_("Scavenger raiders are approaching our base.")\n')
        wz.writestr("script/campaign/cam1-1.js", 'hackAddMessage(_("Destroy the \\"Scavenger\\" camps"));\n')
        wz.writestr("script/rules.js", 'setLabel(_("Build (F3)"));\n')
    locale = root / games.WARZONE_LOCALE_DIR
    german = {"ALPHA BASE MISSION: Scavenger Raiders": "ALPHABASISMISSION: Plünderer",
              "Scavenger raiders are approaching our base.": "Plünderer nähern sich unserer Basis.",
              "New Weapon Turret Available": "Neuer Waffenturm verfügbar",
              "Light Cannon firing 40mm rounds": "Leichte Kanone mit 40-mm-Geschossen",
              "Dawn, July 4th, 2100": "Morgendämmerung, 4. Juli 2100",
              'Destroy the "Scavenger" camps': "Zerstöre die Lager der „Plünderer“",
              "Build (F3)": "Konstruktion (F3)", "New Design": "Neuer Entwurf", "Options": "Optionen"}
    write_mo(locale / "de" / "LC_MESSAGES" / "warzone2100.mo", german)
    write_mo(locale / "id_ID" / "LC_MESSAGES" / "warzone2100.mo", {"Dawn, July 4th, 2100": "Fajar, 4 Juli 2100",
                                                                    "Options": "Pilihan"})
    write_mo(locale / "id" / "LC_MESSAGES" / "warzone2100.mo", {"New Weapon Turret Available": "Senjata baru"})
    return root


def test_warzone_reads_only_story_and_research_texts_grouped_by_mission(tmp_path):
    texts = games.warzone_texts(warzone_tree(tmp_path) / games.WARZONE_ARCHIVE)
    assert texts == {"ALPHA BASE MISSION: Scavenger Raiders": "CAM1A",
                     "Scavenger raiders are approaching our base.": "CAM1A",      # first place: the briefing
                     "New Weapon Turret Available": "RES_CN1MK1", "Light Cannon firing 40mm rounds": "RES_CN1MK1",
                     "Dawn, July 4th, 2100": "sequenceaudio/cam1/c001.txa",
                     'Destroy the "Scavenger" camps': "script/campaign/cam1-1.js"}
    pairs = list(games.read_warzone(tmp_path))
    german = {p.english: p for p in pairs if p.lang == "de"}
    assert len(german) == 6 and "Options" not in german and "Build (F3)" not in german
    assert german["Light Cannon firing 40mm rounds"].doc == "games:warzone2100:RES_CN1MK1"
    assert sorted((p.english, p.translation) for p in pairs if p.lang == "id") == \
        [("Dawn, July 4th, 2100", "Fajar, 4 Juli 2100"), ("New Weapon Turret Available", "Senjata baru")]


# --- the build ---------------------------------------------------------------------------------

def test_build_fetches_reads_and_assembles_with_a_report_per_game(tmp_path, monkeypatch):
    trees = {"freeorion-data": freeorion_tree(tmp_path / "fo", extra_entries=40),
             "widelands-data": widelands_tree(tmp_path / "wl")}
    for name, root in trees.items():
        (root / "usr" / "share" / "doc" / name).mkdir(parents=True)
        (root / "usr" / "share" / "doc" / name / "copyright").write_text(
            f"Files: *\nLicense: {games.LICENCES[name]}\n", encoding="utf-8")

    def fake_fetch(names, work_dir, log=print):
        assert names == games.packages()
        return ({n: debian.Package(n, "1.0-1", trees[n]) for n in names if n in trees},
                {"warzone2100-data": "warzone2100-data: apt-get download failed"})

    monkeypatch.setattr(games.debian, "fetch", fake_fetch)
    report = games.build(tmp_path / "out", tmp_path / "work", **QUIET)
    assert report["source"] == "games" and report["kind"] == "narrative"
    assert report["languages"] == ["fr"] and "de" in report["left_out"] and "cs" in report["left_out"]
    assert report["info"]["left_out_packages"] == {"warzone2100-data": "warzone2100-data: apt-get download failed"}
    assert report["info"]["packages"]["freeorion-data"] == {"version": "1.0-1", "licence": "CC-BY-SA-3.0",
                                                            "licence_in_copyright_file": True}
    per_game = report["info"]["per_game"]
    assert set(per_game) == {"freeorion", "widelands"} and per_game["freeorion"]["fr"]["kept"] >= 40
    assert 0.5 < per_game["freeorion"]["fr"]["five_words_share"] < 1
    assert "| fr |" in games.format_per_game(report)
    written = sum(len(corpus.load_corpus(s, tmp_path / "out")) for s in ("train", "dev", "test"))
    assert written == sum(report["pairs"]["fr"].values()) > 40
