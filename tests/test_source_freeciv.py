"""Tests of tinykd.data.freeciv on a tiny file tree with the layout of freeciv-data.

No network and no Debian packages: the catalogues (``freeciv-nations.mo`` and ``freeciv-core.mo`` per
locale) are written in tmp_path by the games tests' ``write_mo``.
"""

from __future__ import annotations

from test_source_games import write_mo
from test_source_tuxpaint import fake_fetch

from tinykd import export
from tinykd.data import assemble, corpus, freeciv, split
from tinykd.data.__main__ import SOURCES, main

QUIET = dict(log=lambda *a: None)

SAMI = "The Sami are a people of northern Scandinavia. They have herded reindeer for centuries."
ARMENIA = "According to legend, the Armenian people are the descendants of Haik, the great-great-grandson of Noah."
ANARCHY = "Anarchy offers slightly less corruption than Despotism, but slightly more unhappiness."
NOTHING = "?gui_type:Build nothing in this city."
TIP = "TIP 2:  Upgrade Settlers to Engineers when possible."
PEACE = "*%s (AI)* Yes, peace in our time!"
WELCOME = "Welcome to Freeciv.  You lead a civilization.  Your\ntask is to conquer the world!"
SPACEBALL = ("Spaceball is a sport of massive teams.\n\n* Builds elite units in cities with a Training Facility.\n"
             "* Each city receives free unit upkeep.")
CHAT = "Example: '[b]bold[/b]' will display the word in bold."
LOAD = "Load a game from <file-name>."
CAPTURED = "Your %s captured the %s %s."
WALLS = "City Walls add a +100% bonus to the defense of units in the city."
TRADE = "Removing city %1 from trade planning."
SCIENCE = "Boosts science production in each city by 50%."
CONNECT = "C_onnect to Network Game"
PLR_SET = "Can only set player color if 'plrcolormode' is PLR_SET."

NATIONS = {
    "de": {SAMI: "Die Samen sind ein Volk im Norden Skandinaviens. Sie hüten seit Jahrhunderten Rentiere.",
           "?plural:Assyrians": "Assyrer",                                       # a label: dropped
           "?female:Lama %s": "%s-Lama",                                         # a label, codes not counted
           "Grand Master %s": "Großmeister %s"},                                 # two words and a code: a label
    "ja": {SAMI: "サーミ人はスカンジナビア北部の民族です。何世紀にもわたりトナカイを飼ってきました。",
           ARMENIA: "伝説によれば，アルメニア人はハイク――ノアの玄孫[訳註:孫の孫]――の末裔なのだそうです。"},
    "pt": {SAMI: "Os Sami são um povo do norte da Escandinávia. Criam renas há séculos."},
    "pt_BR": {SAMI: "Os Sami são um povo do norte da Escandinávia. Eles criam renas há séculos."},
    "en_GB": {SAMI: "The Sami are a people of northern Scandinavia. They have herded reindeer for centuries."},
}
CORE = {
    "de": {ANARCHY: "Anarchie bietet etwas weniger Korruption als Despotismus, aber etwas mehr Unzufriedenheit.",
           NOTHING: "?gui_type:In dieser Stadt nichts bauen.",                  # a qualifier left in
           TIP: "TIPP 2: Siedler sollten so bald wie möglich zu Ingenieuren werden.",
           PEACE: "*%s (KI)* Ja, Frieden in unserer Zeit!",
           WELCOME: "Willkommen bei Freeciv. Sie führen eine Zivilisation.\nIhre Aufgabe ist es, die Welt zu erobern!",
           SPACEBALL: ("Spaceball ist ein Sport riesiger Mannschaften.\n\n• Baut Eliteeinheiten in Städten mit "
                       "Trainingsanlage.\n• Jede Stadt erhält freien Unterhalt für Einheiten."),
           CHAT: "Beispiel: „[b]fett[/b]“ zeigt das Wort fett an.",              # chat markup: dropped
           LOAD: "Lädt ein Spiel aus <Dateiname>.",                              # a placeholder: dropped
           CAPTURED: "Ihr %s hat %s gefangen.",                                  # a code lost: dropped
           WALLS: "Stadtmauern geben einen 100%igen Bonus auf die Verteidigung der Einheiten in der Stadt.",
           TRADE: "Entferne Stadt %s aus der Handelsplanung.",                   # Qt's %1 lost: dropped
           CONNECT: "Mit Netzwerkspiel _verbinden",                              # a menu item: dropped
           PLR_SET: "Spielerfarbe nur setzbar, wenn 'plrcolormode' PLR_SET ist.",
           "%d turn\x00%d turns": "%d Runde\x00%d Runden"},                      # plural: skipped
    "ja": {ANARCHY: "無政府状態は専制政治より腐敗がやや少ないですが，不満はやや多くなります。",
           TIP: "ヒント2:開拓者は可能な限りエンジニアにアップグレードしましょう。",
           WELCOME: "フリーシヴへようこそ。あなたは文明を\n率いています。あなたの任務は世界の征服です！",
           CAPTURED: "%2$sの%3$sをあなたの%1$sが捕獲しました。"},                 # reordered: kept
    "es": {PEACE: "*%s (Ordenador)* ¡Sí, paz en nuestro tiempo!"},
    "tr": {SCIENCE: "Her şehirde bilim üretimini %50 arttırır."},               # Turkish percent: no code
    "en_GB": {ANARCHY: "Anarchy offers slightly less corruption than Despotism, but slightly more unhappiness."},
}


def package_tree(root):
    """An unpacked freeciv-data: nations and core catalogues in seven locales (one English), and a
    ruleset editor's catalogue that is not read."""
    for domain, catalogues in (("freeciv-nations", NATIONS), ("freeciv-core", CORE)):
        for locale in NATIONS.keys() | CORE.keys():
            write_mo(root / freeciv.LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.mo", catalogues.get(locale, {}))
    write_mo(root / freeciv.LOCALE_DIR / "de" / "LC_MESSAGES" / "freeciv-ruledit.mo",
             {"The ruleset editor saves the ruleset to a directory.": "Der Regelsatzeditor speichert ihn."})
    return {freeciv.PACKAGE: root}


def by_english(pairs, lang):
    return {p.english: p for p in pairs if p.lang == lang}


def test_legends_and_help_aligned_with_their_catalogue_and_msgid_as_document(tmp_path):
    pairs = list(freeciv.read(package_tree(tmp_path), **QUIET))
    de, ja = by_english(pairs, "de"), by_english(pairs, "ja")
    assert de[SAMI].translation.startswith("Die Samen") and de[SAMI].doc == f"freeciv-nations:{SAMI}"
    assert ja[SAMI].doc == de[SAMI].doc
    assert de[ANARCHY].doc == f"freeciv-core:{ANARCHY}" and ja[ANARCHY].translation.startswith("無政府状態")
    assert not [p for p in pairs if "ruleset editor" in p.english]                 # freeciv-ruledit is not read


def test_qualifier_tip_label_speaker_tag_notes_wrapping_and_bullets_removed(tmp_path):
    pairs = list(freeciv.read(package_tree(tmp_path), **QUIET))
    de, ja, es = by_english(pairs, "de"), by_english(pairs, "ja"), by_english(pairs, "es")
    assert de["Build nothing in this city."].translation == "In dieser Stadt nichts bauen."
    assert de["Upgrade Settlers to Engineers when possible."].translation.startswith("Siedler sollten")
    assert ja["Upgrade Settlers to Engineers when possible."].translation.startswith("開拓者は")
    assert de["Yes, peace in our time!"].translation == "Ja, Frieden in unserer Zeit!"
    assert es["Yes, peace in our time!"].translation == "¡Sí, paz en nuestro tiempo!"
    assert de["Yes, peace in our time!"].doc == f"freeciv-core:{PEACE}"
    assert ja[ARMENIA].translation == "伝説によれば，アルメニア人はハイク――ノアの玄孫――の末裔なのだそうです。"
    # the tutorial's text broken at a width is one pair, its lines joined (CJK without a space)
    welcome = "Welcome to Freeciv.  You lead a civilization.  Your task is to conquer the world!"
    assert de[welcome].translation == ("Willkommen bei Freeciv. Sie führen eine Zivilisation. "
                                       "Ihre Aufgabe ist es, die Welt zu erobern!")
    assert ja[welcome].translation == "フリーシヴへようこそ。あなたは文明を率いています。あなたの任務は世界の征服です！"
    # a text of three lines is cut into them, bullets gone, its entry as each line's document
    assert de["Builds elite units in cities with a Training Facility."].translation == (
        "Baut Eliteeinheiten in Städten mit Trainingsanlage.")
    assert de["Each city receives free unit upkeep."].doc == f"freeciv-core:{SPACEBALL}"
    assert freeciv.without_bullets("  - If the defender\n— Ein Punkt") == "If the defender\nEin Punkt"
    assert not freeciv.is_hard_wrapped("Main Map:\n  Left-click on city: pop up\n  the city dialog")


def test_rules_drop_markup_placeholders_codes_menu_items_and_labels_counting_each(tmp_path):
    stats: dict = {}
    pairs = list(freeciv.read(package_tree(tmp_path), stats=stats, **QUIET))
    de = by_english(pairs, "de")
    assert not {CHAT, LOAD, CAPTURED, TRADE, CONNECT, "Assyrians", "Lama %s", "Grand Master %s"} & de.keys()
    assert de[WALLS].translation.startswith("Stadtmauern") and de[PLR_SET].translation.endswith("PLR_SET ist.")
    assert by_english(pairs, "ja")[CAPTURED].translation.startswith("%2$sの")          # reordered codes: kept
    assert by_english(pairs, "tr")[SCIENCE].translation.endswith("%50 arttırır.")       # no Qt code in the English
    read = stats["read"]
    assert read["dropped_by_language"]["de"] == {
        "chat markup ([b], [/link])": 1, "argument placeholder (<player-name>)": 1, "format codes differ": 2,
        "menu item (access key: C_onnect)": 1, "label (< 3 words, no sentence end)": 3}
    assert read["entries"]["de"] == 17 and read["pairs"]["de"] == 11             # the plural entry is not read
    assert read["pairs_by_catalogue"]["freeciv-nations"]["de"] == 1
    assert freeciv.format_codes("%s of %d%%") == freeciv.format_codes("%2$d%% ... %1$s") == ["%%", "%1$s", "%2$d"]
    assert freeciv.format_codes("a 100%iger bonus") == []
    assert freeciv.qt_codes("%1 - %2 citizens, %2d: %1$s at %4.0f") == ["%1", "%2"]
    assert freeciv.has_access_key("Save Game _As...") and not freeciv.has_access_key("Install SDL2_mixer")


def test_languages_mapped_with_british_english_left_out(tmp_path):
    pairs = list(freeciv.read(package_tree(tmp_path), **QUIET))
    assert {p.lang for p in pairs} == {"de", "ja", "pt", "pt-BR", "es", "tr"}
    assert freeciv.language_of("en_GB") is None and freeciv.language_of("zh_CN") == "zh-CN"
    assert {p.lang for p in freeciv.read(package_tree(tmp_path), ["pt_BR"], **QUIET)} == {"pt-BR"}


def copyright_file(root):
    doc = root / "usr/share/doc" / freeciv.PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text("Files: *\nCopyright: The Freeciv project\nLicense: GPL-2+\nComment:\n see\n")


def test_build_puts_every_language_of_a_text_in_its_documents_split(tmp_path, monkeypatch):
    roots = package_tree(tmp_path / "tree")
    copyright_file(tmp_path / "tree")
    monkeypatch.setattr(freeciv.debian, "fetch", fake_fetch(roots, "3.0.6-1+deb12u1"))
    monkeypatch.setattr(assemble, "MIN_PAIRS", 1)
    report = freeciv.build(tmp_path / "out", tmp_path / "work", **QUIET)
    assert report["source"] == "freeciv" and report["kind"] == freeciv.KIND
    assert report["info"]["packages"][freeciv.PACKAGE]["licence_in_copyright_file"]
    assert report["info"]["left_out_locales"] == freeciv.LEFT_OUT_LOCALES
    written = {s: corpus.load_corpus(s, tmp_path / "out") for s in split.SPLITS}
    for english, doc in ((SAMI, f"freeciv-nations:{SAMI}"), (ANARCHY, f"freeciv-core:{ANARCHY}")):
        where = split.split_of_document(doc)
        found = {(s, p.lang) for s in split.SPLITS for p in written[s] if p.english == english}
        assert {s for s, _ in found} == {where} and len(found) >= 2


def test_registered_as_a_source_of_the_data_command(tmp_path, monkeypatch, capsys):
    assert SOURCES["freeciv"] is freeciv and "freeciv" in export.SOURCE_MODULES
    assert freeciv.packages() == ["freeciv-data"]
    roots = package_tree(tmp_path / "tree")
    monkeypatch.setattr(freeciv.debian, "fetch", fake_fetch(roots, "3.0.6-1+deb12u1"))
    monkeypatch.setattr(assemble, "MIN_PAIRS", 1)
    main(["freeciv", "--out", str(tmp_path / "out"), "--work-dir", str(tmp_path / "work"), "--langs", "de"])
    assert {p.lang for s in split.SPLITS for p in corpus.load_corpus(s, tmp_path / "out")} == {"de"}
    assert f"freeciv ({freeciv.KIND})" in capsys.readouterr().out
