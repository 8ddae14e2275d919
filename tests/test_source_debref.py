"""Tests of tinykd.data.debref on tiny XHTML trees laid out like the debian-reference packages.

No network and no Debian package: each test writes ``<lang>/usr/share/debian-reference/<page>.<lang>.html``
with the markup DocBook XSL writes there (navigation, table of contents, chapter and section divs,
titles with an anchor, package tables, ``<pre class="screen">``, admonitions, cross-references).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tinykd.data import corpus, debian, debref
from tinykd.data.assemble import SourcePair

QUIET = dict(log=lambda *a: None)

PAGE = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
  <head><title>{head}</title></head>
  <body>
    <div class="navheader"><table><tr><th colspan="3" align="center">{head}</th></tr></table></div>
    {body}
    <div class="navfooter"><table><tr><td>Home</td></tr></table></div>
  </body>
</html>
"""


def chapter(chapter_id: str, title: str, body: str) -> str:
    return (f'<div class="chapter"><div class="titlepage"><div><div><h1 class="title"><a id="{chapter_id}"/>{title}'
            f'</h1></div></div></div><div class="toc"><p><strong>Table of Contents</strong></p><dl class="toc"><dt>'
            f'<span class="section"><a href="#x">1.1. Contents</a></span></dt></dl></div>{body}</div>')


def section(section_id: str, title: str, body: str, level: int = 2) -> str:
    return (f'<div class="section"><div class="titlepage"><div><div><h{level} class="title"><a id="{section_id}"/>'
            f'{title}</h{level}></div></div></div>{body}</div>')


def package_table(title: str, rows: list[tuple[str, str]]) -> str:
    cells = "".join(f'<tr><td><a class="ulink" href="http://packages.debian.org/{name}"><code class="literal">{name}'
                    f'</code></a></td><td><a class="ulink" href="http://qa.debian.org/popcon">V:42, I:351</a></td>'
                    f"<td>3007</td><td> {description} </td></tr>" for name, description in rows)
    return (f'<div class="table"><a id="table{len(rows)}"/><p class="title"><strong>{title}</strong></p>'
            f'<div class="table-contents"><table class="table"><tbody>{cells}</tbody></table></div></div>')


def write_page(root: Path, lang: str, page: str, body: str, head: str = "Debian Reference") -> Path:
    folder = root / lang / "usr" / "share" / "debian-reference"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{page}.{lang}.html"
    path.write_text(PAGE.format(head=head, body=body), encoding="utf-8")
    return path


# One chapter in English, German and Japanese: the same structure, translated text.
TEXTS = {
    "en": dict(chapter="Chapter 2. Debian package management", intro="Here is how Debian manages packages.",
               s1="2.1. Package configuration", p1="The manual configuration by the administrator is respected.",
               li1="Each package comes with its own configuration script.",
               table="Table 2.1. List of package tools", desc="graphical package manager",
               s2="2.2. Basic precautions", p2='Do not create "<code class="literal">/etc/apt/preferences</code>".',
               note="Warning", p3='Do not install packages from a random mixture of suites.<a href="#ftn.idm1" '
                                  'class="footnote" id="idm1"><sup class="footnote">[1]</sup></a>'),
    "de": dict(chapter="Kapitel 2. Debian-Paketmanagement", intro="So verwaltet Debian Pakete.",
               s1="2.1. Paketkonfiguration", p1="Die händische Konfiguration durch den Administrator wird respektiert.",
               li1="Jedes Paket enthält sein eigenes Konfigurationsskript.",
               table="Tabelle 2.1. Liste der Paketwerkzeuge", desc="grafischer Paketmanager",
               s2="2.2. Grundlegende Vorsichtsmaßnahmen",
               p2='Erstellen Sie nicht "<code class="literal">/etc/apt/preferences</code>".',
               note="Warnung", p3='Installieren Sie keine Pakete aus einer zufälligen Mischung von Suites.'
                                  '<a href="#ftn.idm1" class="footnote" id="idm1"><sup class="footnote">[1]</sup></a>'),
    "ja": dict(chapter="第2章 Debian パッケージ管理", intro="Debian はこうしてパッケージを管理します。",
               s1="2.1. パッケージ設定", p1="システム管理者による手動の設定は尊重されます。",
               li1="各パッケージには独自の設定スクリプトがあります。",
               table="表2.1 パッケージツールのリスト", desc="グラフィカルなパッケージマネージャー",
               s2="2.2. 基本的な注意事項",
               p2='"<code class="literal">/etc/apt/preferences</code>" を作成してはいけません。',
               note="警告", p3="スイートを無作為に混ぜてパッケージをインストールしてはいけません。"),
}


def chapter_body(t: dict) -> str:
    return chapter("_debian_package_management", t["chapter"], f"<p>{t['intro']}</p>" + package_table(
        t["table"], [("synaptic", t["desc"])]) + section("_package_configuration", t["s1"], (
            f"<p>{t['p1']}</p>"
            f'<div class="itemizedlist"><ul class="itemizedlist"><li class="listitem"><p> {t["li1"]} </p></li>'
            "</ul></div>"
            '<pre class="screen">$ sudo apt-get update\nReading package lists... Done</pre>'))
        + section("_basic_precautions", t["s2"], (
            f'<div class="warning"><table border="0" summary="Warning"><tr><td rowspan="2"><img alt="[Warning]" '
            f'src="images/warning.png"/></td><th align="left">{t["note"]}</th></tr><tr><td><p>{t["p3"]}</p></td></tr>'
            f'</table></div><p>{t["p2"]}</p>')))


@pytest.fixture
def tree(tmp_path):
    for lang, t in TEXTS.items():
        write_page(tmp_path, lang, "ch02", chapter_body(t))
    return tmp_path


def read_all(root: Path, counts=None) -> list[SourcePair]:
    return list(debref.read(sorted(root.iterdir()), counts, **QUIET))


def test_blocks_pair_up_by_section_and_position(tree):
    pairs = read_all(tree)
    de = {p.english: p for p in pairs if p.lang == "de"}
    assert de["Here is how Debian manages packages."].translation == "So verwaltet Debian Pakete."
    assert de["Here is how Debian manages packages."].doc == "debref:_debian_package_management"
    assert de["Each package comes with its own configuration script."] == SourcePair(
        "de", "debref:_package_configuration", "Each package comes with its own configuration script.",
        "Jedes Paket enthält sein eigenes Konfigurationsskript.")
    assert de["graphical package manager"].translation == "grafischer Paketmanager"
    assert de["Warning"].translation == "Warnung"
    # inline code stays in the sentence; the footnote marker does not
    assert de['Do not create "/etc/apt/preferences".'].translation == 'Erstellen Sie nicht "/etc/apt/preferences".'
    assert "Do not install packages from a random mixture of suites." in de
    assert {p.lang for p in pairs} == {"de", "ja"}
    assert sum(p.lang == "ja" for p in pairs) == sum(p.lang == "de" for p in pairs) == 11


def test_code_blocks_navigation_and_non_prose_cells_are_not_read(tree):
    texts = {t for p in read_all(tree) for t in (p.english, p.translation)}
    assert not any("apt-get" in t or "Reading package lists" in t for t in texts)      # <pre class="screen">
    assert not {"synaptic", "V:42, I:351", "3007", "Debian Reference", "Home", "Table of Contents"} & texts
    assert not any("Contents" in t for t in texts)                                    # the table of contents


def test_title_labels_are_removed_and_must_carry_the_same_number(tree):
    pairs = {(p.lang, p.english): p.translation for p in read_all(tree)}
    assert pairs["de", "Debian package management"] == "Debian-Paketmanagement"
    assert pairs["ja", "Debian package management"] == "Debian パッケージ管理"
    assert pairs["ja", "List of package tools"] == "パッケージツールのリスト"
    assert pairs["de", "Package configuration"] == "Paketkonfiguration"
    assert debref.split_label("Table 2.1. List", "表格 2.1. 列表") == ("List", "列表")
    assert debref.split_label("Chapter 2. Tools", "第 2 章 工具") == ("Tools", "工具")
    assert debref.split_label("Appendix A. Appendix", "Anhang A. Anhang") == ("Appendix", "Anhang")
    assert debref.split_label("A.3. Document format", "A.4. 文档格式") is None                 # numbered differently
    assert debref.split_label("Debian 12 changes", "Debian 12 Änderungen") == ("Debian 12 changes",
                                                                                "Debian 12 Änderungen")


def test_a_section_whose_structure_differs_is_skipped_whole(tree):
    t = dict(TEXTS["de"], p1=TEXTS["de"]["p1"] + "</p><p>Ein Absatz, den es im Englischen nicht gibt.")
    write_page(tree, "de", "ch02", chapter_body(t))
    counts: dict[str, Counter] = {}
    de = [p for p in read_all(tree, counts) if p.lang == "de"]
    assert not any(p.doc == "debref:_package_configuration" for p in de)
    assert any(p.doc == "debref:_basic_precautions" for p in de)                      # the other sections stay
    assert counts["de"]["skipped_structure"] == 1 and counts["ja"]["skipped_structure"] == 0


def test_an_untranslated_paragraph_with_a_translated_cross_reference_is_an_untranslated_copy(tree):
    xref = '<a class="xref" href="ch02.{lang}.html#_basic_precautions">{text}</a>'
    english = f"See {xref.format(lang='en', text='Section 2.2, “Basic precautions”')} before you start."
    german = f"See {xref.format(lang='de', text='Abschnitt 2.2, „Grundlegende Vorsichtsmaßnahmen“')} before you start."
    write_page(tree, "en", "ch03", chapter("_init", "Chapter 3. Init", f"<p>{english}</p><p>"
                                           f"{xref.format(lang='en', text='Section 2.2, “Basic precautions”')}</p>"))
    write_page(tree, "de", "ch03", chapter("_init", "Kapitel 3. Init", f"<p>{german}</p><p>"
                                           f"{xref.format(lang='de', text='Abschnitt 2.2, „Grundlegende “')}</p>"))
    counts: dict[str, Counter] = {}
    de = [p for p in read_all(tree, counts) if p.lang == "de" and p.doc == "debref:_init"]
    assert [(p.english, p.translation) for p in de] == [
        ("Init", "Init"),
        ("See Section 2.2, “Basic precautions” before you start.",) * 2,                # a copy: filtered later
        ("Section 2.2, “Basic precautions”", "Abschnitt 2.2, „Grundlegende “")]         # a translated reference
    assert counts["de"]["untranslated_but_xref"] == 1


def test_the_book_page_is_one_document_named_after_the_page(tmp_path):
    for lang, (title, text) in {"en": ("Debian Reference", "This book is free."),
                                "de": ("Debian-Referenz", "Dieses Buch ist frei.")}.items():
        write_page(tmp_path, lang, "index", f'<div class="book"><div class="titlepage"><div><div><h1 class="title">'
                   f'<a id="idm1"/>{title}</h1></div><div><p class="copyright">Copyright © 2013 Osamu Aoki</p></div>'
                   f'<div class="abstract"><p>{text}</p></div></div></div><div class="list-of-tables"><p>Table 1.1.'
                   "</p></div></div>")
    pairs = read_all(tmp_path)
    assert {p.doc for p in pairs} == {"debref:index"}
    assert ("This book is free.", "Dieses Buch ist frei.") in [(p.english, p.translation) for p in pairs]


def test_pt_br_is_left_out_as_a_copy_of_pt(tree):
    write_page(tree, "pt-br", "ch02", chapter_body(TEXTS["de"]))
    assert "pt-BR" not in {p.lang for p in read_all(tree)}
    assert "debian-reference-pt-br" not in debref.packages()
    with pytest.raises(ValueError, match="European Portuguese"):
        debref.packages(["pt-BR"])


def test_packages_are_named_from_our_language_codes():
    assert debref.packages()[:2] == ["debian-reference-en", "debian-reference-de"]
    assert debref.packages(["zh-CN", "ja"]) == ["debian-reference-en", "debian-reference-zh-cn", "debian-reference-ja"]
    with pytest.raises(ValueError, match="no Debian Reference translation"):
        debref.packages(["ko"])


def test_no_english_pages_is_a_clear_error(tmp_path):
    write_page(tmp_path, "de", "ch02", chapter_body(TEXTS["de"]))
    with pytest.raises(FileNotFoundError, match="English"):
        read_all(tmp_path)


# --- build: debian.fetch replaced by the trees written here ---------------------------------------

def many_sections(lang: str, n: int = 40) -> str:
    words = {"en": "The sentence number {i} of section {s} is about packages.",
             "de": "Der Satz Nummer {i} des Abschnitts {s} handelt von Paketen."}[lang]
    body = "".join(section(f"_section_{s}", f"1.{s}. " + ("Section" if lang == "en" else "Abschnitt") + f" {s}",
                           "".join(f"<p>{words.format(i=i, s=s)}</p>" for i in range(3))) for s in range(n))
    return chapter("_tutorials", "Chapter 1. Tutorials" if lang == "en" else "Kapitel 1. Anleitungen", body)


def fake_fetch(root: Path, missing=()):
    def fetch(names, work_dir, log=print):
        got = {name: debian.Package(name, "2.100", root / name.removeprefix("debian-reference-"))
               for name in names if name not in missing and (root / name.removeprefix("debian-reference-")).is_dir()}
        return got, {name: f"{name}: apt-get download failed" for name in names if name not in got}
    return fetch


def test_build_assembles_a_corpus_and_names_what_it_could_not_fetch(tmp_path, monkeypatch):
    for lang in ("en", "de"):
        write_page(tmp_path / "trees", lang, "ch01", many_sections(lang))
    monkeypatch.setattr(debian, "fetch", fake_fetch(tmp_path / "trees"))
    report = debref.build(tmp_path / "out", tmp_path / "work", langs=["de", "ja"], **QUIET)
    assert report["source"] == "debref" and report["kind"] == "documentation" and report["languages"] == ["de"]
    assert report["info"]["packages"] == {"debian-reference-en": "2.100", "debian-reference-de": "2.100"}
    assert "debian-reference-ja" in report["info"]["not_fetched"] and "GPL" in report["info"]["licence"]
    assert sum(report["pairs"]["de"].values()) == 40 * 3 + 40 + 1                        # paragraphs, titles, chapter
    assert len(corpus.load_corpus("train", tmp_path / "out")) == report["pairs"]["de"]["train"]


def test_build_without_the_english_package_names_it(tmp_path, monkeypatch):
    write_page(tmp_path / "trees", "de", "ch01", many_sections("de"))
    monkeypatch.setattr(debian, "fetch", fake_fetch(tmp_path / "trees"))
    with pytest.raises(RuntimeError, match="debian-reference-en"):
        debref.build(tmp_path / "out", tmp_path / "work", langs=["de"], **QUIET)
