"""Tests of tinykd.data.gimp on tiny trees laid out like the Debian gimp-help-<lang> packages.

No network and no Debian package: the pages are written here, in the shape of the manual's
DocBook HTML (navigation header and footer, titlepage headings with ids, figures with labels,
variable lists, admonitions, cross-reference links).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tinykd.data import corpus, debian, gimp
from tinykd.data.assemble import SourcePair

QUIET = dict(log=lambda *a: None)

PAGE = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
  <head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    <title>{head_title}</title>
    <link rel="stylesheet" href="gimp-help-plain.css" type="text/css" />
  </head>
  <body>
    <div class="navheader">
      <table width="100%" summary="Navigation header">
        <tr><th colspan="3" align="center">{nav}</th></tr>
        <tr><td width="20%" align="left">
          <a accesskey="p" href="prev.html"><img src="images/prev.png" alt="Prev" /></a></td></tr>
      </table>
      <hr />
    </div>
    <div class="sect2">
{body}
    </div>
    <div class="navfooter">
      <table width="100%" summary="Navigation footer">
        <tr><td width="40%" align="left"><a accesskey="p" href="prev.html">{nav}</a></td></tr>
      </table>
    </div>
  </body>
</html>
"""


def heading(section_id: str, text: str, level: int = 3) -> str:
    return (f'<div class="titlepage"><div><div><h{level} class="title"><a id="{section_id}"></a>{text}'
            f'</h{level}></div></div></div>')


def figure(generated_id: str, title: str, image: str, caption: str) -> str:
    return (f'<div class="figure"><a id="{generated_id}"></a><p class="title"><strong>{title}</strong></p>'
            f'<div class="figure-contents"><div class="mediaobject"><img src="images/{image}" alt="{title}" />'
            f'<div class="caption"><p>{caption}</p></div></div></div></div><br class="figure-break" />')


def note(label: str, text: str) -> str:
    return (f'<div class="note"><table border="0" summary="Note"><tr><td rowspan="2"><img alt="[{label}]" '
            f'src="images/note.png" /></td><th align="left">{label}</th></tr><tr><td align="left" valign="top">'
            f'<p>{text}</p></td></tr></table></div>')


def write_page(help_dir: Path, folder: str, name: str, body: str, title: str = "x") -> None:
    path = help_dir / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PAGE.format(head_title=title, nav=title, body=body), encoding="utf-8")


# The Gaussian blur page in English, German (with a label on the figure), Japanese (a paragraph
# left in English, apart from the link text) and Hungarian (the number before the label word).
BLUR = {
    "en": [heading("gimp-filter-gaussian-blur", "3.3.\u00a0Gaussian Blur"),
           figure("idm35718", "Figure\u00a017.11.\u00a0Example for the <span class=\"quote\">“<span class=\"quote\">"
                  "Gaussian Blur</span>”</span> filter", "taj_orig.jpg", "Original image"),
           figure("idm35720", "Figure\u00a017.12.\u00a0Blurred", "blur.jpg", "blur-taj-gauss.jpg"),
           "<p>\n      The Gaussian Blur filter acts on each pixel\n      of the active layer.\n    </p>",
           "<p>\n    </p>",                                            # an empty paragraph: no unit
           '<p>These options are described in <a class="xref" href="common.html" title="2. Common Features">'
           "Section\u00a02, “Common Features”</a>.</p>",
           '<div class="variablelist"><dl class="variablelist"><dt><span class="term">Size X</span></dt>'
           "<dd><p>Here you can set the blur intensity.</p></dd></dl></div>",
           note("Note", "A higher value will produce a higher amount of blur."),
           '<pre class="programlisting">(gimp-image-new 256 256 RGB)</pre>',
           '<div class="itemizedlist"><ul class="itemizedlist"><li class="listitem"><p>'
           '<a class="xref" href="blur.html" title="3. Blur">Section\u00a03, “Blur Filters”</a></p></li></ul></div>'],
    "de": [heading("gimp-filter-gaussian-blur", "3.3.\u00a0Gaußscher Weichzeichner"),
           figure("idm35372", "Abbildung\u00a017.11.\u00a0Anwendungsbeispiel für das Filter »Gaußscher Weichzeichner«",
                  "taj_orig.jpg", "Originalbild"),
           figure("idm35374", "Abbildung\u00a017.12.\u00a0Weichgezeichnet", "blur.jpg", "blur-taj-gauss.jpg"),
           "<p>Der Gaußsche Weichzeichner wird auf jedes Pixel der aktiven Ebene angewendet.</p>",
           '<p>These options are described in <a class="xref" href="common.html" title="2. Gemeinsame Funktionen">'
           "Abschnitt\u00a02, „Gemeinsame Funktionen“</a>.</p>",
           '<div class="variablelist"><dl class="variablelist"><dt><span class="term">Größe X</span></dt>'
           "<dd><p>Hier stellen Sie die Stärke der Weichzeichnung ein.</p></dd></dl></div>",
           note("Anmerkung", "Ein höherer Wert bewirkt eine stärkere Weichzeichnung."),
           '<pre class="programlisting">(gimp-image-new 256 256 RGB)</pre>',
           '<div class="itemizedlist"><ul class="itemizedlist"><li class="listitem"><p>'
           '<a class="xref" href="blur.html" title="3. Blur">Abschnitt\u00a03, „Weichzeichnen“</a></p>'
           '</li></ul></div>'],
    "ja": [heading("gimp-filter-gaussian-blur", "3.3.\u00a0ガウスぼかし"),
           figure("idm1", "図17.11 <span class=\"quote\">「<span class=\"quote\">ガウスぼかし</span>」</span>"
                  "フィルターの使用例", "taj_orig.jpg", "元画像"),
           figure("idm2", "図17.12 Blurred", "blur.jpg", "blur-taj-gauss.jpg"),               # left in English
           "<p>ガウスぼかしフィルターは作業レイヤーの各ピクセルに作用します。</p>",
           '<p>These options are described in <a class="xref" href="common.html" title="2. 共通機能">'
           "2. 共通機能</a>.</p>",
           '<div class="variablelist"><dl class="variablelist"><dt><span class="term">Size X</span></dt>'
           "<dd><p>ぼかしの強さを設定します。</p></dd></dl></div>",
           note("注記", "値を大きくするとぼかしが強くなります。"),
           '<pre class="programlisting">(gimp-image-new 256 256 RGB)</pre>',
           '<div class="itemizedlist"><ul class="itemizedlist"><li class="listitem"><p>'
           '<a class="xref" href="blur.html" title="3. Blur">3. ぼかし</a></p></li></ul></div>'],
    "hu": [heading("gimp-filter-gaussian-blur", "3.3.\u00a0Gauss-elmosás"),
           figure("idm9", "17.11. ábra - Példa a „Gauss-elmosás” szűrőre", "taj_orig.jpg", "Eredeti kép"),
           figure("idm10", "17.12. ábra - Elmosva", "blur.jpg", "blur-taj-gauss.jpg"),
           "<p>A Gauss-elmosás szűrő az aktív réteg minden képpontjára hat.</p>",
           '<p>Ezek a beállítások a <a class="xref" href="common.html" title="2.">2. szakasz - Közös</a> részben.</p>',
           '<div class="variablelist"><dl class="variablelist"><dt><span class="term">X méret</span></dt>'
           "<dd><p>Itt állítható be az elmosás erőssége.</p></dd></dl></div>",
           note("Megjegyzés", "Nagyobb érték erősebb elmosást eredményez."),
           '<pre class="programlisting">(gimp-image-new 256 256 RGB)</pre>',
           '<div class="itemizedlist"><ul class="itemizedlist"><li class="listitem"><p>'
           '<a class="xref" href="blur.html" title="3.">3. szakasz - Elmosás</a></p></li></ul></div>'],
}


@pytest.fixture
def blur_tree(tmp_path) -> Path:
    """One package tree per language, as debian.fetch unpacks them."""
    for folder, blocks in BLUR.items():
        help_dir = tmp_path / f"gimp-help-{folder}" / gimp.HELP_DIR
        write_page(help_dir, folder, "gimp-filter-gaussian-blur.html", "\n".join(blocks))
    return tmp_path


def _read(roots, stats=None) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for p in gimp.read(roots, stats, **QUIET):
        out.setdefault(p.lang, []).append((p.english, p.translation))
    return out


def test_a_page_aligns_block_by_block_without_generated_text(blur_tree):
    stats: dict[str, Counter] = {}
    pairs = _read(sorted(blur_tree.iterdir()), stats)
    assert pairs["de"] == [
        ("Gaussian Blur", "Gaußscher Weichzeichner"),                                  # "3.3. " cut off
        ("Example for the “Gaussian Blur” filter", "Anwendungsbeispiel für das Filter »Gaußscher Weichzeichner«"),
        ("Original image", "Originalbild"),
        ("Blurred", "Weichgezeichnet"),                    # its caption "blur-taj-gauss.jpg" is skipped
        ("The Gaussian Blur filter acts on each pixel of the active layer.",
         "Der Gaußsche Weichzeichner wird auf jedes Pixel der aktiven Ebene angewendet."),
        # "These options ..." is left in English: only the link's words differ
        ("Size X", "Größe X"),
        ("Here you can set the blur intensity.", "Hier stellen Sie die Stärke der Weichzeichnung ein."),
        # the note's heading "Note" is the stylesheet's; the code is not read; the link list has no text of its own
        ("A higher value will produce a higher amount of blur.",
         "Ein höherer Wert bewirkt eine stärkere Weichzeichnung."),
    ]
    assert stats["de"]["units"] == 9 and stats["de"]["units left in English"] == 1
    assert stats["de"]["pages aligned whole"] == 1


def test_labels_are_cut_off_in_every_language_and_english_left_in_place_is_skipped(blur_tree):
    pairs = _read(sorted(blur_tree.iterdir()))
    ja, hu = dict(pairs["ja"]), dict(pairs["hu"])
    assert ja["Gaussian Blur"] == "ガウスぼかし"
    assert ja["Example for the “Gaussian Blur” filter"] == "「ガウスぼかし」フィルターの使用例"
    assert "Blurred" not in ja and "Size X" not in ja                      # "図17.12 Blurred" is English
    assert "These options are described in Section 2, “Common Features”." not in ja
    assert hu["Example for the “Gaussian Blur” filter"] == "Példa a „Gauss-elmosás” szűrőre"
    assert hu["Blurred"] == "Elmosva"
    assert hu["These options are described in Section 2, “Common Features”."].startswith("Ezek a beállítások")


def test_text_that_is_not_prose_is_not_read(blur_tree):
    texts = {t for pairs in _read(sorted(blur_tree.iterdir())).values() for pair in pairs for t in pair}
    assert not {t for t in texts if "Prev" in t or "gimp-image-new" in t or t.endswith(".jpg")}
    assert not {"x", "Note", "Anmerkung", "注記"} & texts                  # navigation, admonition headings


def test_pairs_name_their_page_and_languages_get_one_spelling(tmp_path):
    help_dir = tmp_path / "help"
    versions = [("en", "Introduction", "GIMP is a program."), ("pt_BR", "Introdução", "GIMP é um programa."),
                ("zh_CN", "简介", "GIMP 是一个程序。"), ("en_GB", "Introduction", "GIMP is a programme.")]
    for folder, title, text in versions:
        write_page(help_dir, folder, "introduction.html", heading("intro", f"1.\u00a0{title}") + f"<p>{text}</p>")
    write_page(help_dir, "pt_BR", "only-in-portuguese.html", "<p>Só aqui.</p>")
    stats: dict[str, Counter] = {}
    pairs = list(gimp.read([help_dir], stats, **QUIET))
    assert pairs == [
        SourcePair("pt-BR", "gimp:introduction.html", "Introduction", "Introdução"),
        SourcePair("pt-BR", "gimp:introduction.html", "GIMP is a program.", "GIMP é um programa."),
        SourcePair("zh-CN", "gimp:introduction.html", "Introduction", "简介"),
        SourcePair("zh-CN", "gimp:introduction.html", "GIMP is a program.", "GIMP 是一个程序。"),
    ]
    assert stats["pt-BR"]["pages not in English"] == 1 and "en-GB" not in stats


def test_a_section_whose_structure_differs_is_skipped_and_sections_align_by_id(tmp_path):
    help_dir = tmp_path / "help"
    en = (heading("tools", "1.\u00a0Tools") + "<p>Tools draw.</p>"
          + heading("tools-brush", "1.1.\u00a0Brush", 4) + "<p>The brush paints.</p><p>It is soft.</p>"
          + heading("tools-pen", "1.2.\u00a0Pen", 4) + "<p>The pen inks.</p>")
    de = (heading("tools", "1.\u00a0Werkzeuge") + "<p>Werkzeuge zeichnen.</p>"
          + heading("tools-brush", "1.1.\u00a0Pinsel", 4) + "<p>Der Pinsel malt.</p>"     # a paragraph less
          + heading("tools-pen", "1.2.\u00a0Stift", 4) + "<p>Der Stift tuscht.</p><p>[1] Anm. d. Ü.</p>")
    fr = (heading("tools", "1.\u00a0Outils") + "<p>Les outils dessinent.</p>"              # a glossary-like
          + heading("tools-pen", "1.1.\u00a0Plume", 4) + "<p>La plume encre.</p>"          # re-sorted page
          + heading("tools-brush", "1.2.\u00a0Pinceau", 4) + "<p>Le pinceau peint.</p><p>Il est doux.</p>")
    write_page(help_dir, "en", "tools.html", en)
    write_page(help_dir, "de", "tools.html", de)
    write_page(help_dir, "fr", "tools.html", fr)
    stats: dict[str, Counter] = {}
    pairs = _read([help_dir], stats)
    assert pairs["de"] == [("Tools", "Werkzeuge"), ("Tools draw.", "Werkzeuge zeichnen.")]
    assert stats["de"]["pages aligned by sections"] == 1
    assert dict(pairs["fr"]) == {"Tools": "Outils", "Tools draw.": "Les outils dessinent.", "Brush": "Pinceau",
                                 "The brush paints.": "Le pinceau peint.", "It is soft.": "Il est doux.",
                                 "Pen": "Plume", "The pen inks.": "La plume encre."}
    assert stats["fr"]["pages aligned whole"] == 1


def test_the_glossary_aligns_by_entry_id():
    en = [gimp.Unit("dt", "text", "Alpha", "Alpha", "glossary-alpha"),
          gimp.Unit("p", "text", "Alpha is opacity.", "Alpha is opacity.", "glossary-alpha"),
          gimp.Unit("dt", "text", "Antialiasing", "Antialiasing", "glossary-antialiasing"),
          gimp.Unit("p", "text", "Smooth edges.", "Smooth edges.", "glossary-antialiasing")]
    es = [en[2]._replace(text="Alisado"), en[3]._replace(text="Bordes suaves."),
          en[0]._replace(text="Alfa"), en[1]._replace(text="Alfa es opacidad.")]
    pairs, how = gimp.align_page(en, es)
    assert how == "page"
    assert [(a.text, b.text) for a, b in pairs] == [("Alpha", "Alfa"), ("Alpha is opacity.", "Alfa es opacidad."),
                                                    ("Antialiasing", "Alisado"), ("Smooth edges.", "Bordes suaves.")]


def test_generated_ids_do_not_cut_sections_and_the_index_is_not_read(tmp_path):
    help_dir = tmp_path / "help"
    write_page(help_dir, "en", "a.html", '<p><a id="idm123"></a>One.</p><p id="ftn.idm5">Two.</p>')
    write_page(help_dir, "de", "a.html", '<p><a id="idm999"></a>Eins.</p><p id="ftn.idm7">Zwei.</p>')
    write_page(help_dir, "en", "gimp-help-index.html", "<dl><dt>Alpha</dt><dt>Blur</dt></dl>")
    write_page(help_dir, "de", "gimp-help-index.html", "<dl><dt>Alpha</dt><dt>Weichzeichnen</dt></dl>")
    assert _read([help_dir]) == {"de": [("One.", "Eins."), ("Two.", "Zwei.")]}


def test_a_page_whose_translations_slipped_is_skipped_and_placeholders_are_not_read(tmp_path):
    help_dir = tmp_path / "help"
    en = ["Stains", "Every stain is created in a layer of its own.", "Activate the filter", "Size", "Flatten image"]
    slipped = ["Every stain is created in a layer of its own.", "Activate the filter", "Aktivace filtru", "Velikost",
               "Sloučit obrázek"]                                   # the English of the next unit, twice
    free = ["Skvrny", "Každá skvrna je ve vlastní vrstvě.", "Aktivace filtru", "Velikost", "Size"]   # one short sign
    write_page(help_dir, "en", "stain.html", "".join(f"<p>{t}</p>" for t in en) + "<p>TODO (work in progress)</p>")
    write_page(help_dir, "cs", "stain.html", "".join(f"<p>{t}</p>" for t in slipped) + "<p>TODO (práce)</p>")
    write_page(help_dir, "sk", "stain.html", "".join(f"<p>{t}</p>" for t in free) + "<p>TODO (práca)</p>")
    stats: dict[str, Counter] = {}
    pairs = _read([help_dir], stats)
    assert "cs" not in pairs and stats["cs"]["pages skipped: translations shifted"] == 1
    assert len(pairs["sk"]) == 5 and not any("TODO" in t for pair in pairs["sk"] for t in pair)
    assert gimp.looks_shifted([("A", "x"), ("B", "A"), ("C", "B")])                         # two short signs
    assert not gimp.looks_shifted([("Operating Modes", "Filter"), ("Filter", "Filtr")])


@pytest.mark.parametrize("english, translation, expected", [
    ("3.3.1. Overview", "3.3.1. Wirkungsweise", ("Overview", "Wirkungsweise")),
    ("Figure 17.11. Example", "Abbildung 17.11. Beispiel", ("Example", "Beispiel")),
    ("Figure 17.11. Example", "図17.11 元画像", ("Example", "元画像")),
    ("Figure 17.11. Example", "17.11. ábra - Példa", ("Example", "Példa")),
    ("Figure 3.30. Dialog", "Afbeelding 3.31. De dialoog", ("Dialog", "De dialoog")),   # a figure more before it
    ("Chapter 17. Filters", "第17章 フィルター", ("Filters", "フィルター")),
    ("Chapter 17. Filters", "第 17 章 虑镜", ("Filters", "虑镜")),
    ("Chapter 17. Filters", "17장. 필터", ("Filters", "필터")),
    ("Part II. How do I", "部分 II. 如何", ("How do I", "如何")),
    ("Appendix C. How to Contribute", "Anhang C. Mitmachen", ("How to Contribute", "Mitmachen")),
    ("How the Curves tool works", "8.11.3.1.1. How the Curves tool works", ("How the Curves tool works",) * 2),
    ("3D Transform", "3D-Transformation", ("3D Transform", "3D-Transformation")),
    ("A Dialog", "Ein Dialog", ("A Dialog", "Ein Dialog")),
])
def test_strip_label(english, translation, expected):
    assert gimp.strip_label(english, translation) == expected


def test_packages_cover_english_the_licence_and_each_language():
    assert gimp.packages(["de", "pt_BR", "zh-CN", "en-GB"]) == [
        "gimp-help-en", "gimp-help-common", "gimp-help-de", "gimp-help-pt-br", "gimp-help-zh-cn"]
    assert len(gimp.packages()) == 2 + 25 and "gimp-help-en-gb" not in gimp.packages()


def test_read_needs_the_english_manual(tmp_path):
    write_page(tmp_path / "help", "de", "a.html", "<p>Eins.</p>")
    with pytest.raises(FileNotFoundError, match="gimp-help-en"):
        list(gimp.read([tmp_path / "help"], **QUIET))


# --- build, with debian.fetch replaced by trees written here ------------------------------------------

COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Files: *
Copyright: 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009, 2010
 The GIMP Documentation Team (see AUTHORS)
License: GFDL-NIV-1.2+
"""


def fake_fetch(tmp_path: Path, pages: int = 40, missing=()):
    """A debian.fetch that 'unpacks' English and German trees of ``pages`` pages each."""
    words = {"en": ("The filter number {i} blurs part {k} of the image.", "Filter {i}"),
             "de": ("Das Filter Nummer {i} zeichnet Teil {k} des Bildes weich.", "Filter Nummer {i}")}

    def fetch(names, work_dir, log=print):
        got, failed = {}, {}
        for name in names:
            if name in missing or name not in ("gimp-help-en", "gimp-help-de", "gimp-help-common"):
                failed[name] = f"{name}: apt-get download failed (not here)"
                continue
            root = tmp_path / "unpacked" / name
            if name == "gimp-help-common":
                (root / "usr/share/doc/gimp-help-common").mkdir(parents=True, exist_ok=True)
                (root / "usr/share/doc/gimp-help-common/copyright").write_text(COPYRIGHT, encoding="utf-8")
            else:
                folder = name.removeprefix("gimp-help-")
                sentence, title = words[folder]
                for i in range(pages):
                    body = heading(f"filter-{i}", f"3.{i}.\u00a0{title.format(i=i)}") + "".join(
                        f"<p>{sentence.format(i=i, k=k)}</p>" for k in range(3))
                    write_page(root / gimp.HELP_DIR, folder, f"filter-{i}.html", body)
            got[name] = debian.Package(name, "2.10.34-2", root)
        return got, failed
    return fetch


def test_build_writes_a_corpus_and_names_what_it_could_not_fetch(tmp_path, monkeypatch):
    monkeypatch.setattr(debian, "fetch", fake_fetch(tmp_path))
    report = gimp.build(tmp_path / "out", tmp_path / "work", langs=["de", "fr"], **QUIET)
    assert report["source"] == "gimp" and report["kind"] == "documentation" and report["languages"] == ["de"]
    assert report["info"]["packages"] == {"gimp-help-common": "2.10.34-2", "gimp-help-de": "2.10.34-2",
                                          "gimp-help-en": "2.10.34-2"}
    assert "gimp-help-fr" in report["info"]["not_fetched"]
    assert report["info"]["copyright_file_license_field"] == "GFDL-NIV-1.2+"
    assert "GFDL" in report["info"]["licence"]
    loaded = [p for name in ("train", "dev", "test") for p in corpus.load_corpus(name, tmp_path / "out")]
    assert len(loaded) == sum(sum(n.values()) for n in report["pairs"].values()) == 40 * 4
    assert ("Filter 7", "Filter Nummer 7") in {(p.english, p.translation) for p in loaded}


def test_build_without_english_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(debian, "fetch", fake_fetch(tmp_path, missing={"gimp-help-en"}))
    with pytest.raises(RuntimeError, match="gimp-help-en"):
        gimp.build(tmp_path / "out", tmp_path / "work", langs=["de"], **QUIET)
