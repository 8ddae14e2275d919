"""Tests of tinykd.data.cataclysm on a tiny file tree with the layout of cataclysm-dda-data.

No network and no Debian packages: the catalogues (``cataclysm-dda.mo`` per locale) are written in
tmp_path by the games tests' ``write_mo``.
"""

from __future__ import annotations

from test_source_games import write_mo
from test_source_tuxpaint import fake_fetch

from tinykd import export
from tinykd.data import assemble, cataclysm, corpus, split
from tinykd.data.__main__ import SOURCES, main

QUIET = dict(log=lambda *a: None)

UMBRELLA = "A telescoping umbrella which collapses down for easy storage."
DRY = "You use the %s to dry off, saturating it with water!"
LASH = "%1$s lashes %2$s with their vines."
GREET = "Hey <npcname>, are you busy tonight?"
HIGH = "<color_red>High</color> momentum makes you fall over."
BEEKEEPER = "Beekeeper"
LONG = "Skill used: survival.\nThe caravan will leave at dawn."
PLURAL = "%d rock\x00%d rocks"
LIGHT = "A magical light source that will light up a small area."
CAP = "A Red Sox cap.  It provides a little bit of warmth."

CATALOGUES = {
    "de": {UMBRELLA: "Ein Teleskopschirm, der sich für die Lagerung einschieben lässt.",
           DRY: "Du benutzt %s, um dich abzutrocknen!",
           LASH: "%s schlägt %s mit Lianen.",                                 # codes rewritten: dropped
           GREET: "Hey <npcname>, bist du heute Nacht beschäftigt?",         # snippet placeholder: dropped
           HIGH: "<color_red>Hoher</color> Schwung wirft dich um.",
           f"profession_male\x04{BEEKEEPER}": "Imker",                        # a label: dropped
           "prof_desc_male\x04The bees are your only friends now.": "Die Bienen sind jetzt deine einzigen Freunde.",
           "prof_desc_female\x04The bees are your only friends now.": "Die Bienen sind nun deine einzigen Freunde.",
           LONG: "Verwendete Fertigkeit: Überleben.\nDie Karawane bricht im Morgengrauen auf.",
           PLURAL: "%d Stein\x00%d Steine",                                   # plural: skipped
           "You have died of dehydration.": ""},                              # untranslated (empty)
    "es_ES": {UMBRELLA: "Un paraguas telescópico que se pliega para guardarlo fácilmente.",
              LASH: "%2$s es azotado por %1$s con sus lianas.",
              LIGHT: "una fuente de luz mágica que ilumina una pequeña área."},  # a small letter: kept
    "es_AR": {UMBRELLA: "Un paraguas telescópico que se pliega para guardarlo re fácil.",
              LASH: "%2$s es azotado por %1$s con sus enredaderas."},
    "pt_BR": {CAP: "boné de beisebol Red Sox cap. Ele fornece um pouco de calor.",    # a glued name: dropped
              UMBRELLA: "Um guarda-chuva telescópico que se dobra para guardar facilmente.",
              "You have died of dehydration.": "You have died of dehydration."},   # untranslated copy
    "en_GB": {UMBRELLA: "A telescoping umbrella which collapses down for easy storage."},
}


def package_tree(root):
    """An unpacked cataclysm-dda-data with five catalogues (one English, two Spanish)."""
    for locale, entries in CATALOGUES.items():
        write_mo(root / cataclysm.LOCALE_DIR / locale / "LC_MESSAGES" / "cataclysm-dda.mo", entries)
    write_mo(root / cataclysm.LOCALE_DIR / "de" / "LC_MESSAGES" / "other.mo", {UMBRELLA: "nicht gelesen"})
    return {cataclysm.PACKAGE: root}


def test_entries_aligned_with_tags_removed_and_codes_kept(tmp_path):
    pairs = list(cataclysm.read(package_tree(tmp_path), **QUIET))
    de = {p.english: p for p in pairs if p.lang == "de"}
    assert de[UMBRELLA].translation.startswith("Ein Teleskopschirm") and de[UMBRELLA].doc == f"cataclysm:{UMBRELLA}"
    assert de[DRY].translation == "Du benutzt %s, um dich abzutrocknen!"                 # same codes: kept
    assert de["High momentum makes you fall over."].translation == "Hoher Schwung wirft dich um."
    # a text of two lines is cut into its lines, both with the entry's document
    assert de["Skill used: survival."].translation == "Verwendete Fertigkeit: Überleben."
    assert de["The caravan will leave at dawn."].doc == f"cataclysm:{LONG}"
    es = {p.english: p.translation for p in pairs if p.lang == "es"}
    assert es[LASH] == "%2$s es azotado por %1$s con sus lianas."                        # reordered codes: kept
    assert es[LIGHT].startswith("una fuente")                 # a small first letter is a glued name in pt-BR only


def test_context_is_dropped_and_an_english_text_is_one_document(tmp_path):
    pairs = list(cataclysm.read(package_tree(tmp_path), **QUIET))
    bees = [p for p in pairs if p.english == "The bees are your only friends now." and p.lang == "de"]
    assert sorted(p.translation for p in bees) == ["Die Bienen sind jetzt deine einzigen Freunde.",
                                                   "Die Bienen sind nun deine einzigen Freunde."]
    assert {p.doc for p in bees} == {"cataclysm:The bees are your only friends now."}


def test_plurals_labels_placeholders_and_glued_names_are_dropped_and_counted(tmp_path):
    stats: dict = {}
    pairs = list(cataclysm.read(package_tree(tmp_path), stats=stats, **QUIET))
    english = {p.english for p in pairs}
    assert not {BEEKEEPER, GREET, "%d rock", CAP} & english
    assert not [p for p in pairs if p.lang == "de" and p.english == LASH]
    assert not [p for p in pairs if p.english == "You have died of dehydration." and p.lang == "de"]
    read = stats["read"]
    assert read["dropped_by_language"]["de"] == {"format codes differ": 1, "snippet placeholder (<npcname>)": 1,
                                                 "label (< 3 words, no sentence end)": 1}
    assert read["dropped_by_language"]["pt-BR"] == {
        "glued name (small letter where the English has a capital)": 1}
    assert read["pairs"]["de"] == 7 and read["entries"]["de"] == 9       # plural and empty entry not read
    assert cataclysm.is_label("fire ring") and cataclysm.is_label("Wearing:") and not cataclysm.is_label("Yeah, sure.")
    assert cataclysm.format_codes("%1$s at %d%%") == ["%%", "%1$s", "%d"]
    assert cataclysm.format_codes("50% of the time") == []


def test_languages_mapped_with_english_and_argentinian_spanish_left_out(tmp_path):
    pairs = list(cataclysm.read(package_tree(tmp_path), **QUIET))
    assert {p.lang for p in pairs} == {"de", "es", "pt-BR"}
    assert not [p for p in pairs if "re fácil" in p.translation or "enredaderas" in p.translation]
    assert cataclysm.language_of("es_AR") is None and cataclysm.language_of("en_GB") is None
    assert cataclysm.language_of("es_ES") == "es" and cataclysm.language_of("uk_UA") == "uk"
    assert {p.lang for p in cataclysm.read(package_tree(tmp_path), ["pt_BR"], **QUIET)} == {"pt-BR"}


def copyright_file(root):
    doc = root / "usr/share/doc" / cataclysm.PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text("Files: *\nCopyright: Kevin Granade <kevin.granade@gmail.com>\n"
                                   "License: CC-BY-SA-3.0\n")


def test_build_splits_by_english_text_and_drops_untranslated(tmp_path, monkeypatch):
    roots = package_tree(tmp_path / "tree")
    copyright_file(tmp_path / "tree")
    monkeypatch.setattr(cataclysm.debian, "fetch", fake_fetch(roots, "0.F-3-9"))
    monkeypatch.setattr(assemble, "MIN_PAIRS", 1)
    monkeypatch.setattr(assemble, "MAX_UNTRANSLATED", 1.0)
    report = cataclysm.build(tmp_path / "out", tmp_path / "work", **QUIET)
    assert report["source"] == "cataclysm" and report["kind"] == cataclysm.KIND
    assert report["info"]["packages"][cataclysm.PACKAGE]["licence_in_copyright_file"]
    assert report["info"]["left_out_locales"] == cataclysm.LEFT_OUT_LOCALES
    assert report["drops"]["pt-BR"]["untranslated"] == 1
    written = {s: corpus.load_corpus(s, tmp_path / "out") for s in split.SPLITS}
    where = split.split_of_document(f"cataclysm:{UMBRELLA}")
    assert {(s, p.lang) for s in split.SPLITS for p in written[s] if p.english == UMBRELLA} == {
        (where, "de"), (where, "es"), (where, "pt-BR")}


def test_registered_as_a_source_of_the_data_command(tmp_path, monkeypatch, capsys):
    assert SOURCES["cataclysm"] is cataclysm and "cataclysm" in export.SOURCE_MODULES
    assert cataclysm.packages() == ["cataclysm-dda-data"]
    roots = package_tree(tmp_path / "tree")
    monkeypatch.setattr(cataclysm.debian, "fetch", fake_fetch(roots, "0.F-3-9"))
    monkeypatch.setattr(assemble, "MIN_PAIRS", 1)
    main(["cataclysm", "--out", str(tmp_path / "out"), "--work-dir", str(tmp_path / "work"), "--langs", "de"])
    assert {p.lang for s in split.SPLITS for p in corpus.load_corpus(s, tmp_path / "out")} == {"de"}
    assert "cataclysm (narrative (game descriptions and dialogue))" in capsys.readouterr().out
