"""Unicode CLDR as parallel text: the names every locale gives to languages, countries, months, ...

The Common Locale Data Repository (CLDR) is the data behind ICU, Java, browsers and phones: for
each locale, an XML file that names languages, territories, scripts, currencies, units, months,
days, time zones and so on, all keyed by a code. The Debian package ``unicode-cldr-core`` holds

    usr/share/unicode/cldr/common/main/en.xml        the English names
    usr/share/unicode/cldr/common/main/de.xml        the German ones, ... (one file per locale)

where a name sits at a path such as
``localeDisplayNames/territories/territory[@type="DE"]`` ("Germany" in en.xml, "Deutschland" in
de.xml). The path with all its distinguishing attributes (``type``, ``key``, ``subtype``, ``alt``)
aligns a locale's name with the English one: no guessing is involved. What is read
(:data:`RULES`), with ``item`` the document key:

    language, script, territory, variant   localeDisplayNames/...          cldr:language/de
    key, type, measurement                 calendar, "Gregorian Calendar"  cldr:type/calendar/gregorian
    month, day, quarter, era               Gregorian calendar, wide        cldr:month/1
    field, relative                        "year", "last year"             cldr:relative/year/-1
    timezone, city                         "Central European Time"         cldr:timezone/Europe_Central/generic
    currency, unit, label, typographic     "US Dollar", "kilometers"       cldr:currency/USD

Months and days: English has one form ("January"); many languages have two, a format form for
dates ("января", Russian genitive: "1 января") and a stand-alone form for the name itself
("январь"). The stand-alone wide form is taken where the locale has one, else the format wide
form. Currencies: the plain display name, not the plural forms (``count="one"``). Units: the
long display name ("kilometers", not "km"). Field names: not the ``-short``/``-narrow`` ones.

Skipped: a name with ``alt="..."`` unless the English has the same ``alt`` (both ``alt="short"``
"UK" / "GB" pair up); ``draft="unconfirmed"`` and ``draft="provisional"`` names (ICU also leaves
out both by default: they have not been confirmed by a second vote); CLDR's inheritance markers
``↑↑↑`` and ``∅∅∅``; a name identical to the English but for case ("Koro" / "koro"; counted as
``identical``).

Locales: every base-language file (``de.xml``, not ``de_AT.xml``, whose few names only differ
from de.xml), with four mapped to the project's spelling: CLDR's ``pt`` is Brazilian Portuguese
(European Portuguese is ``pt_PT``, a set of differences) -> ``pt-BR``; ``zh`` is Simplified Chinese
as written in China -> ``zh-CN``; ``zh_Hant`` (Traditional, Taiwan; a full file) -> ``zh-TW``;
``no`` holds the Norwegian Bokmål data that ``nb.xml`` inherits entirely -> ``nb``. A locale with
fewer than :data:`MIN_NAMES` aligned names is left out (named in the report).

Document = the item (``cldr:territory/DE``): an item's names in every language (and its ``alt``
forms) go to one split, so a held-out country is held out in every language.

Licence: Unicode-DFS-2016 (the Unicode License), copyright 1991-2022 Unicode, Inc. It allows
copying, modifying and redistributing the data, provided the copyright and permission notice
appears with the copies or in their documentation.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from . import assemble, clean, debian, languages, progress

SOURCE = "cldr"
KIND = "names"
LICENCE = ("Unicode-DFS-2016 (Unicode License): copyright 1991-2022 Unicode, Inc.; copying, changing and "
           "redistributing allowed with the copyright and permission notice")
PACKAGE = "unicode-cldr-core"
MAIN_DIR = Path("usr/share/unicode/cldr/common/main")
FILTERS = ("empty", "untranslated")          # names: no code or length-ratio filter
MIN_NAMES = 500                              # a locale with fewer aligned names is left out

# CLDR locale -> the project's language code, where languages.canonical would say otherwise
LOCALE_LANGS = {"pt": "pt-BR", "zh": "zh-CN", "zh_Hant": "zh-TW", "no": "nb"}
_BASE_LOCALE = re.compile(r"^[a-z]{2,3}$")
SKIPPED_DRAFTS = ("unconfirmed", "provisional")
NO_VALUE = ("↑↑↑", "∅∅∅")                   # CLDR's "inherit this" and "no value" markers

_GREGORIAN = r'dates/calendars/calendar\[@type="gregorian"\]'
_WIDE = r'{ctx}\[@type="(?P<rank>format|stand-alone)"\]/{width}\[@type="wide"\]'


class Rule(NamedTuple):
    """A kind of name: ``pattern`` matches the XML path; its named groups (but ``rank``) make the item."""

    category: str
    pattern: re.Pattern


def _rule(category: str, pattern: str) -> Rule:
    return Rule(category, re.compile(pattern))


RULES = (
    _rule("language", r'localeDisplayNames/languages/language\[@type="(?P<a>[^"]+)"\]'),
    _rule("script", r'localeDisplayNames/scripts/script\[@type="(?P<a>[^"]+)"\]'),
    _rule("territory", r'localeDisplayNames/territories/territory\[@type="(?P<a>[^"]+)"\]'),
    _rule("variant", r'localeDisplayNames/variants/variant\[@type="(?P<a>[^"]+)"\]'),
    _rule("key", r'localeDisplayNames/keys/key\[@type="(?P<a>[^"]+)"\]'),
    _rule("type", r'localeDisplayNames/types/type\[@key="(?P<a>[^"]+)"\]\[@type="(?P<b>[^"]+)"\]'),
    _rule("measurement", r'localeDisplayNames/measurementSystemNames/measurementSystemName\[@type="(?P<a>[^"]+)"\]'),
    _rule("month", _GREGORIAN + r'/months/' + _WIDE.format(ctx="monthContext", width="monthWidth")
          + r'/month\[@type="(?P<a>[^"]+)"\]'),
    _rule("day", _GREGORIAN + r'/days/' + _WIDE.format(ctx="dayContext", width="dayWidth")
          + r'/day\[@type="(?P<a>[^"]+)"\]'),
    _rule("quarter", _GREGORIAN + r'/quarters/' + _WIDE.format(ctx="quarterContext", width="quarterWidth")
          + r'/quarter\[@type="(?P<a>[^"]+)"\]'),
    _rule("era", _GREGORIAN + r'/eras/eraNames/era\[@type="(?P<a>[^"]+)"\]'),
    _rule("field", r'dates/fields/field\[@type="(?P<a>[^"-]+)"\]/displayName'),
    _rule("relative", r'dates/fields/field\[@type="(?P<a>[^"-]+)"\]/relative\[@type="(?P<b>[^"]+)"\]'),
    _rule("timezone", r'dates/timeZoneNames/metazone\[@type="(?P<a>[^"]+)"\]/long/(?P<b>standard|daylight|generic)'),
    _rule("city", r'dates/timeZoneNames/zone\[@type="(?P<a>[^"]+)"\]/exemplarCity'),
    _rule("currency", r'numbers/currencies/currency\[@type="(?P<a>[^"]+)"\]/displayName'),
    _rule("unit", r'units/unitLength\[@type="long"\]/unit\[@type="(?P<a>[^"]+)"\]/displayName'),
    _rule("label", r'characterLabels/characterLabel\[@type="(?P<a>[^"]+)"\]'),
    _rule("typographic", r'typographicNames/(?P<a>axisName|featureName|styleName)'
                         r'(?:\[@subtype="(?P<b>[^"]+)"\])?\[@type="(?P<c>[^"]+)"\]'),
)


# --- reading one locale file ------------------------------------------------------------------------

def _step(element: ET.Element) -> str:
    """``language[@type="de"]``: the tag and its distinguishing attributes, sorted (``alt`` apart)."""
    attrs = sorted((k, v) for k, v in element.attrib.items() if k not in ("alt", "draft", "references"))
    return element.tag + "".join(f'[@{k}="{v}"]' for k, v in attrs)


def _leaves(root: ET.Element) -> Iterator[tuple[str, ET.Element]]:
    """Every element with text and no children, with its path below the root."""
    def walk(element: ET.Element, path: str):
        children = list(element)
        if not children:
            yield path, element
        for child in children:
            yield from walk(child, f"{path}/{_step(child)}" if path else _step(child))
    for child in root:
        yield from walk(child, _step(child))


def read_names(path, counts: dict | None = None) -> dict[tuple[str, str, str], str]:
    """``{(category, item, alt): text}`` of one locale file, following :data:`RULES`.

    Where a month or day has both a stand-alone and a format wide form, the stand-alone one wins.
    ``counts`` (if given) gets how many names were skipped as drafts or markers.
    """
    counts = {} if counts is None else counts
    names: dict[tuple[str, str, str], tuple[int, str]] = {}
    for path_string, element in _leaves(ET.parse(path).getroot()):
        text = clean.normalize_text(element.text or "")
        if not text:
            continue
        for rule in RULES:
            match = rule.pattern.fullmatch(path_string)
            if not match:
                continue
            if element.get("draft") in SKIPPED_DRAFTS:
                counts["draft"] = counts.get("draft", 0) + 1
            elif text in NO_VALUE:
                counts["no_value"] = counts.get("no_value", 0) + 1
            else:
                groups = match.groupdict()
                rank = 0 if groups.pop("rank", None) in (None, "stand-alone") else 1
                item = "/".join(v for v in groups.values() if v is not None)
                key = (rule.category, item, element.get("alt") or "")
                if key not in names or rank < names[key][0]:
                    names[key] = (rank, text)
            break
    return {key: text for key, (_, text) in names.items()}


# --- locales and alignment ------------------------------------------------------------------------------

def find_main(root) -> Path:
    """The ``common/main`` folder of an unpacked ``unicode-cldr-core`` (or that folder itself)."""
    root = Path(root)
    for candidate in (root / MAIN_DIR, root / "common" / "main", root):
        if (candidate / "en.xml").is_file():
            return candidate
    raise FileNotFoundError(f"no CLDR common/main/en.xml under {root}")


def locale_language(locale: str) -> str | None:
    """The project's language code of a CLDR locale we read, or None for one we do not read
    (English, root, a regional or script variant other than zh_Hant)."""
    if locale in LOCALE_LANGS:
        return LOCALE_LANGS[locale]
    if not _BASE_LOCALE.match(locale) or locale == "root" or languages.is_english(locale):
        return None
    return languages.canonical(locale)


def locales(main: Path) -> dict[str, str]:
    """``{language code: locale}`` of the locale files in ``main`` that we read, sorted by locale."""
    found = {}
    for path in sorted(main.glob("*.xml")):
        lang = locale_language(path.stem)
        if lang is not None:
            found[lang] = path.stem
    return found


def read(roots: Iterable, langs: list[str] | None = None, min_names: int | None = None,
         stats: dict | None = None) -> Iterator[assemble.SourcePair]:
    """Aligned (English name, translated name) pairs of every locale with ``min_names`` names or more.

    ``roots``: unpacked ``unicode-cldr-core`` trees (the first one with common/main is read);
    ``langs``: only these languages (project codes); ``min_names``: :data:`MIN_NAMES` by default;
    ``stats`` (if given) gets, per language, the locale file, the names aligned, skipped as
    identical to the English or as drafts, and whether the locale was left out (``left_out``: why).
    """
    min_names = MIN_NAMES if min_names is None else min_names
    main = next((m for m in (_try_main(r) for r in roots) if m is not None), None)
    if main is None:
        raise FileNotFoundError("no CLDR common/main folder in the given roots")
    stats = {} if stats is None else stats
    english = read_names(main / "en.xml")
    bar = progress.reading([(lang, locale) for lang, locale in locales(main).items() if langs is None or lang in langs],
                           f"{SOURCE}: locales", "locale")
    for lang, locale in bar:
        bar.set_postfix_str(locale)
        counts: dict = {}
        names = read_names(main / f"{locale}.xml", counts)
        pairs = []
        for key, english_text in english.items():
            text = names.get(key)
            if text is None:
                continue
            if text.casefold() == english_text.casefold():         # "Koro" / "koro" is no translation
                counts["identical"] = counts.get("identical", 0) + 1
                continue
            category, item, _ = key
            pairs.append(assemble.SourcePair(lang, f"{SOURCE}:{category}/{item}", english_text, text))
        stats[lang] = {"locale": locale, "names": len(pairs), **dict(sorted(counts.items()))}
        if len(pairs) < min_names:
            stats[lang]["left_out"] = f"only {len(pairs)} aligned names (< {min_names})"
            continue
        yield from pairs


def _try_main(root) -> Path | None:
    try:
        return find_main(root)
    except FileNotFoundError:
        return None


# --- the build -----------------------------------------------------------------------------------------

def packages(langs: list[str] | None = None) -> list[str]:
    """The one Debian package every language's names come from."""
    return [PACKAGE]


def copyright_licence(text: str) -> str:
    """``Unicode-DFS-2016``: the first ``License:`` field of a Debian copyright file."""
    match = re.search(r"^License:\s*(\S.*)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "unknown"


def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch ``unicode-cldr-core``, read and align its names, and write ``out_dir/corpus``. Returns the report."""
    got, failed = debian.fetch(packages(langs), work_dir, log)
    if not got:
        raise FileNotFoundError(f"{SOURCE}: {PACKAGE} could not be fetched: {failed}")
    package = got[PACKAGE]
    stats: dict = {}
    raw = list(read([package.root], langs, stats=stats))
    left_out = {lang: s["left_out"] for lang, s in stats.items() if "left_out" in s}
    log(f"{SOURCE}: {len(raw)} names in {len(stats) - len(left_out)} languages; "
        f"{len(left_out)} locales left out with fewer than {MIN_NAMES} names")
    info = {
        "packages": {PACKAGE: {"version": package.version, "licence": copyright_licence(package.copyright())}},
        "unavailable": failed,
        "licence": LICENCE,
        "locales": stats,
        "left_out_locales": left_out,
    }
    return assemble.assemble(raw, out_dir, SOURCE, KIND, info, filters=FILTERS, log=log)
