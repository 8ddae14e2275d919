"""Firefox ESR's localisations: interface text (menus, dialogs, settings, notifications, error pages).

Firefox is translated by volunteers into 100+ languages, string by string: every English string
has a key, and a translation is the same key in the language's files. Debian ships them as:

    firefox-esr             usr/lib/firefox-esr/browser/omni.ja    (a zip) localization/en-US/**.ftl and
                                                                   chrome/en-US/locale/**.properties
                            usr/lib/firefox-esr/omni.ja            (a zip) the same for the toolkit
    firefox-esr-l10n-<ll>   usr/lib/firefox-esr/browser/extensions/langpack-<locale>@firefox-esr.mozilla.org.xpi
                            (a zip) browser/localization/<locale>/**.ftl, localization/<locale>/**.ftl,
                            browser/chrome/<locale>/locale/**.properties, chrome/<locale>/locale/<locale>/...

A file has the same path in every language once the locale folder is taken out of it
(``browser/localization/de/browser/preferences/preferences.ftl`` and the English
``localization/en-US/browser/preferences/preferences.ftl`` of the browser's omni.ja are both
``browser/localization/browser/preferences/preferences.ftl``), so the key

    (file path, message id, attribute)     e.g. (".../preferences.ftl", "startup-group", "label")

aligns an English string with its translation exactly. A string a language has not translated is
missing from its language pack (Firefox falls back to English), or, in a few .properties files, a
copy of the English that the ``untranslated`` filter drops.

Two file formats hold the strings:

* Fluent (``.ftl``): ``message-id = text``, attributes ``.label = text`` on indented lines below,
  multi-line values, and placeables in braces. References to terms (``{ -brand-short-name }``,
  ``{ -brand-short-name(case: "gen") }``) and to other messages are replaced by their text in the
  same language, so "Restart { -brand-short-name }" reads "Restart Firefox" and the Polish
  "Ponowne uruchomienie { -brand-short-name(case: "gen") }" reads "Ponowne uruchomienie
  Firefoksa": the brand is a word of the sentence, declined as the language declines it.
  Selectors that depend only on those terms (Czech ``{ -brand-short-name.case-status -> ...}``) or
  on the platform (``PLATFORM()``: Linux, where Debian runs Firefox) are resolved too. Variables
  (``{ $count }``, ``{ NUMBER($count) }``) cannot be: they stay as ``{ $count }`` on both sides, the
  same token in English and translation, which keeps the sentence whole ("{ $name } controls this
  setting."). A message whose text depends on a variable's value (plural forms, ``{ $n -> [one]
  ... *[other] ...}``) is left out: languages have different plural forms, so its variants do not
  pair one-to-one.
* .properties: ``key = value`` with ``\\uXXXX`` escapes and ``\\`` line continuations. Printf
  placeholders (``%S``, ``%1$S``) stay as they are; values of plural forms (``#1 tab;#1 tabs``) are
  left out.

Left out as well: access keys (``.accesskey``), keyboard shortcuts (``.key``, ``.commandkey``, values
such as ``Ctrl+G``), style and size attributes, download file names, search keyword lists, values
with no letters outside their placeholders or that are only a URL, English strings that
:func:`tinykd.data.clean.is_code_like` takes for code, and the files not meant for translation
(the ``preview`` folders of features in development, which the language packs carry in English,
and ``brand.properties``, the product's names). Markup inside a string (``<a data-l10n-name="url">``) is
removed by :func:`tinykd.data.clean.normalize_text` when the corpus is assembled.

Document: the file path (with the three platform variants ``global-platform/{mac,unix,win}/`` as one
document, as their strings are nearly the same), so all the strings of a file go to one split.
Licence: the Mozilla Public License 2.0; the packages' copyright file puts every file of the
upstream tarball, the localisations included, under "Files: * / License: MPL-2.0".
"""

from __future__ import annotations

import json
import re
import time
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from . import assemble, clean, debian, languages, progress
from .assemble import SourcePair

SOURCE = "firefox"
KIND = "interface"
LICENCE = "MPL-2.0"

ENGLISH_PACKAGE = "firefox-esr"
LANGPACK_PREFIX = "firefox-esr-l10n-"
# The language packs of firefox-esr 153.8.0esr-1~deb12u1 (Debian 12, bookworm-security), as Debian
# names them (apt-cache search --names-only '^firefox-esr-l10n-'), less the meta-package
# firefox-esr-l10n-all and the English variants en-ca and en-gb.
LANGPACKS = (
    "ach", "af", "an", "ar", "ast", "az", "be", "bg", "bn", "br", "bs", "ca", "ca-valencia", "cak", "cs", "cy",
    "da", "de", "dsb", "el", "eo", "es-ar", "es-cl", "es-es", "es-mx", "et", "eu", "fa", "ff", "fi", "fr", "fur",
    "fy-nl", "ga-ie", "gd", "gl", "gn", "gu-in", "he", "hi-in", "hr", "hsb", "hu", "hy-am", "ia", "id", "is", "it",
    "ja", "ka", "kab", "kk", "km", "kn", "ko", "lij", "lt", "lv", "mk", "mr", "ms", "my", "nb-no", "ne-np", "nl",
    "nn-no", "oc", "pa-in", "pl", "pt-br", "pt-pt", "rm", "ro", "ru", "sat", "sc", "sco", "si", "sk", "skr", "sl",
    "son", "sq", "sr", "sv-se", "szl", "ta", "te", "tg", "th", "tl", "tr", "trs", "uk", "ur", "uz", "vi", "xh",
    "zh-cn", "zh-tw",
)

APP_DIR = Path("usr", "lib", "firefox-esr")
# The English strings: each omni.ja of firefox-esr, and the prefix that its files have in a language pack.
ENGLISH_ARCHIVES = {Path("browser", "omni.ja"): "browser/", Path("omni.ja"): ""}
ENGLISH_LOCALE = "en-US"
LANGPACK_GLOB = "browser/extensions/langpack-*.xpi"
_LANGPACK_NAME = re.compile(r"^langpack-(.+)@")
STRING_FILES = (".ftl", ".properties")
# English files that are not for translation: the preview folders hold strings of features in
# development that no language translates yet (the language packs carry English copies), and
# brand.properties only the product's names.
SKIPPED_FILES = re.compile(r"(^|/)(preview|locales-preview)/|(^|/)branding/brand\.properties$")

# Strings that are no text to translate, by name (is_shortcut_or_style):
# - any name that holds "accesskey" or "commandkey", in any case (".accesskey", ".buttonaccesskeyaccept",
#   "fooAccessKey", "devtools-commandkey-dom");
# - Fluent attributes named so: shortcuts, CSS, sizes, file names, lists of search keywords;
# - message ids and .properties keys ending so (a number may follow), when the value is one token
#   ("screenshots-copy-key = C"); "sec-error-bad-key = Peer's public key is invalid." is a sentence;
# - whatever the name, a value that is a key combination ("gotoLineModal.key3 = Ctrl+G").
SKIPPED_ATTRIBUTES = {"key", "keycode", "commandkey", "modifiers", "style", "width", "height", "download",
                      "searchkeywords"}
SHORTCUT_NAMES = {"key", "keys", "shortcut", "commandkey", "keycode", "modifiers"}
_KEY_COMBINATION = re.compile(r"^((Cmd|Ctrl|CmdOrCtrl|Accel|Alt|Shift|Meta|Option|Super)\+)+\S+$", re.I)
PLATFORM = "linux"          # what Fluent's PLATFORM() returns: Debian runs Firefox on Linux
VARIABLE = "{{ ${} }}"      # how a variable placeable is written on both sides: "{ $name }"
MAX_DEPTH = 10              # references resolved within references, at most

# The filters assemble runs. "code" is not among them: clean.is_code takes "Search { $name }" for
# code (a line ending in "}"), so read() runs it itself with each { $name } read as a word
# (looks_like_code), which still drops developer-tools code ("console.log()"), paths and URLs.
FILTERS = ("empty", "untranslated", "length_ratio")


# --- package names ------------------------------------------------------------------------------

def language_of_package(suffix: str) -> str:
    """``es-es`` -> ``es``, ``pt-br`` -> ``pt-BR``, ``nb-no`` -> ``nb``: the corpus spelling."""
    return languages.canonical(suffix)


def packages(langs: list[str] | None = None) -> list[str]:
    """The Debian packages to fetch: firefox-esr (English) first, then the language packs of
    ``langs`` (corpus spellings such as ``de``, ``pt-BR``, ``es-AR``), or of every language."""
    if langs is None:
        chosen = list(LANGPACKS)
    else:
        by_lang = {language_of_package(s): s for s in LANGPACKS}
        unknown = [lang for lang in langs if languages.canonical(lang) not in by_lang]
        if unknown:
            raise ValueError(f"no Firefox language pack for {unknown}; there are: {' '.join(sorted(by_lang))}")
        chosen = [by_lang[languages.canonical(lang)] for lang in langs]
    return [ENGLISH_PACKAGE] + [LANGPACK_PREFIX + s for s in chosen]


def copyright_licence(text: str) -> str:
    """The ``License:`` of the ``Files: *`` stanza of a Debian (DEP-5) copyright file, or ""."""
    for stanza in re.split(r"\n\s*\n", text):
        fields = dict(re.findall(r"^([A-Za-z-]+):[ \t]*(.*)$", stanza, re.M))
        if fields.get("Files", "").strip() == "*":
            return fields.get("License", "").strip()
    return ""


# --- Fluent -------------------------------------------------------------------------------------

class FluentSyntaxError(ValueError):
    """A Fluent pattern we cannot read (the string is then left out)."""


_LITERAL_PLACEABLE = re.compile(r'\{\s*"(?:\\.|[^"\\])*"\s*\}')     # { "{" }: a brace that is text
_ENTRY = re.compile(r"^(-?[A-Za-z][\w-]*)[ \t]*=[ \t]*(.*)$")        # "id = value" or "-term = value"
_ATTRIBUTE = re.compile(r"^[ \t]+\.([A-Za-z][\w-]*)[ \t]*=[ \t]*(.*)$")  # "    .label = value"


def parse_ftl(text: str) -> dict[str, str]:
    """The entries of a Fluent file: ``{"id": value, "id.attr": value, "-term": value, ...}``.

    A value is the source of its pattern: the text after ``=`` and the indented lines below it
    (without their indentation), joined by newlines; placeables stay in braces, to be read by
    :func:`parse_pattern`. A comment (``#`` in the first column) or junk ends an entry.
    """
    entries: dict[str, str] = {}
    entry: str | None = None            # the message or term being read
    key: str | None = None              # its value ("id") or an attribute of it ("id.attr")
    lines: list[str] = []

    def close() -> None:
        if key is not None:
            entries[key] = "\n".join(lines).strip()

    depth = 0                           # braces open in the entry: a selector's lines may start anywhere
    for line in text.splitlines():
        if match := _ENTRY.match(line):
            close()
            entry = key = match.group(1)
            lines, depth = [match.group(2)], 0
        elif key is not None and depth > 0:
            lines.append(line.strip())
        elif entry is not None and (match := _ATTRIBUTE.match(line)):
            close()
            key = f"{entry}.{match.group(1)}"
            lines = [match.group(2)]
        elif key is not None and line[:1] in (" ", "\t"):
            lines.append(line.strip())
        elif key is not None and not line.strip():
            lines.append("")
        else:                            # a comment, or a line we do not read
            close()
            entry = key = None
        if key is not None:
            bare = _LITERAL_PLACEABLE.sub("", line)
            depth = max(0, depth + bare.count("{") - bare.count("}"))
    close()
    return entries


class Var(NamedTuple):
    name: str                           # "$count" is Var("count")


class TermRef(NamedTuple):
    name: str                           # "-brand-short-name"
    attr: str | None                    # "case-status" in { -brand-short-name.case-status -> ...}
    args: dict                          # {"case": "gen"} in { -brand-short-name(case: "gen") }


class MessageRef(NamedTuple):
    name: str
    attr: str | None


class Call(NamedTuple):
    function: str                       # NUMBER, DATETIME, PLATFORM
    args: list


class Select(NamedTuple):
    selector: object                    # a Var, TermRef, Call, ...
    variants: list                      # [(key, is_default, pattern), ...]


_IDENTIFIER = re.compile(r"[A-Za-z][\w-]*")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_NAMED_ARGUMENT = re.compile(r"([A-Za-z][\w-]*)\s*:\s*")
_VARIANT_START = re.compile(r"\n[ \t]*\*?\[")


class _PatternParser:
    """Recursive descent over one pattern: text, and placeables ``{ ... }`` (which may hold
    selectors whose variants are patterns again). Elements are str (text and literals),
    :class:`Var`, :class:`TermRef`, :class:`MessageRef`, :class:`Call` and :class:`Select`."""

    def __init__(self, source: str) -> None:
        self.s, self.i = source, 0

    def fail(self, what: str):
        raise FluentSyntaxError(f"{what} at {self.i} in {self.s!r}")

    def peek(self, token: str) -> bool:
        return self.s.startswith(token, self.i)

    def expect(self, token: str) -> None:
        if not self.peek(token):
            self.fail(f"expected {token!r}")
        self.i += len(token)

    def blank(self) -> None:
        while self.i < len(self.s) and self.s[self.i] in " \t\n":
            self.i += 1

    def pattern(self, in_variant: bool = False) -> list:
        elements: list = []
        text: list[str] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "{":
                elements.append("".join(text))
                text = []
                elements.append(self.placeable())
            elif c == "}":
                if in_variant:
                    break                                   # the end of the selector
                self.fail("unbalanced '}'")
            elif in_variant and _VARIANT_START.match(self.s, self.i):
                break                                       # the next variant
            else:
                text.append(c)
                self.i += 1
        elements.append("".join(text))
        return [e for e in elements if e != ""]

    def placeable(self):
        self.expect("{")
        self.blank()
        expression = self.placeable() if self.peek("{") else self.inline_expression()
        self.blank()
        if self.peek("->"):
            self.i += 2
            expression = Select(expression, self.variants())
        self.blank()
        self.expect("}")
        return expression

    def identifier(self) -> str:
        match = _IDENTIFIER.match(self.s, self.i) or self.fail("expected an identifier")
        self.i = match.end()
        return match.group()

    def attribute(self) -> str | None:
        if self.peek("."):
            self.i += 1
            return self.identifier()
        return None

    def inline_expression(self):
        if self.peek('"'):
            return self.string_literal()
        if self.peek("$"):
            self.i += 1
            return Var(self.identifier())
        if self.peek("-") and _IDENTIFIER.match(self.s, self.i + 1):
            self.i += 1
            name = "-" + self.identifier()
            attr = self.attribute()
            named = self.arguments()[1] if self.before_arguments() else {}
            return TermRef(name, attr, named)
        if match := _NUMBER.match(self.s, self.i):
            self.i = match.end()
            return match.group()
        name = self.identifier()
        if self.before_arguments():
            positional, named = self.arguments()
            return Call(name, positional + list(named.values()))
        return MessageRef(name, self.attribute())

    def before_arguments(self) -> bool:
        """Whether call arguments follow (blanks may come before their "(")."""
        start = self.i
        self.blank()
        if self.peek("("):
            return True
        self.i = start
        return False

    def arguments(self) -> tuple[list, dict]:
        self.expect("(")
        positional, named = [], {}
        while True:
            self.blank()
            if self.peek(")"):
                break
            if match := _NAMED_ARGUMENT.match(self.s, self.i):
                self.i = match.end()
                named[match.group(1)] = self.inline_expression()
            else:
                positional.append(self.inline_expression())
            self.blank()
            if self.peek(","):
                self.i += 1
        self.expect(")")
        return positional, named

    def string_literal(self) -> str:
        self.expect('"')
        out = []
        while not self.peek('"'):
            if self.i >= len(self.s) or self.peek("\n"):
                self.fail("unterminated string literal")
            if self.peek("\\u") or self.peek("\\U"):
                width = 4 if self.peek("\\u") else 6
                out.append(chr(int(self.s[self.i + 2:self.i + 2 + width], 16)))
                self.i += 2 + width
            elif self.peek("\\"):
                out.append(self.s[self.i + 1])
                self.i += 2
            else:
                out.append(self.s[self.i])
                self.i += 1
        self.i += 1
        return "".join(out)

    def variants(self) -> list:
        variants = []
        while True:
            self.blank()
            if self.peek("}") or self.i >= len(self.s):
                break
            default = self.peek("*")
            self.i += default
            self.expect("[")
            end = self.s.find("]", self.i)
            if end < 0:
                self.fail("unterminated variant key")
            key = self.s[self.i:end].strip()
            self.i = end + 1
            variants.append((key, default, self.pattern(in_variant=True)))
        if not variants:
            self.fail("a selector without variants")
        return variants


def parse_pattern(source: str) -> list:
    """The elements of a Fluent pattern's source (see :class:`_PatternParser`)."""
    parser = _PatternParser(source)
    elements = parser.pattern()
    if parser.i != len(source):
        parser.fail("unexpected text")
    return elements


class Unalignable(Exception):
    """The text depends on something we cannot know (a variable's value), or cannot be read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FluentResolver:
    """Turns Fluent patterns of one language into text: references to terms and messages become
    their text in that language (or, if the language lacks them, in ``fallback``'s: English),
    selectors on terms and ``PLATFORM()`` are resolved, variables stay as ``{ $name }``."""

    def __init__(self, entries: dict[str, str], fallback: FluentResolver | None = None) -> None:
        self.entries = entries             # every message and term of the language's .ftl files
        self.fallback = fallback

    def _source(self, key: str) -> str | None:
        if key in self.entries:
            return self.entries[key]
        return self.fallback._source(key) if self.fallback else None

    def text(self, source: str, local: dict[str, str] | None = None) -> str:
        """The text of a pattern's source; ``local``: the file's own entries, for references to
        messages (which Firefox resolves within the files a page loads). Raises Unalignable."""
        try:
            elements = parse_pattern(source)
        except (FluentSyntaxError, ValueError, IndexError) as err:
            raise Unalignable("syntax") from err
        return self._render(elements, local or {}, args=None, depth=0).strip()

    def _render(self, elements: list, local: dict, args: dict | None, depth: int) -> str:
        """``args``: the arguments of the term being rendered, None in a message."""
        if depth > MAX_DEPTH:
            raise Unalignable("cyclic reference")
        out = []
        for e in elements:
            if isinstance(e, str):
                out.append(e)
            elif isinstance(e, Var):
                out.append(args[e.name] if args and e.name in args else VARIABLE.format(e.name))
            elif isinstance(e, TermRef):
                if e.attr is not None:
                    raise Unalignable("syntax")            # term attributes are only for selectors
                out.append(self._reference(e.name, local, e.args, depth))
            elif isinstance(e, MessageRef):
                name = e.name if e.attr is None else f"{e.name}.{e.attr}"
                out.append(self._reference(name, local, None, depth))
            elif isinstance(e, Call):
                if e.function in ("NUMBER", "DATETIME") and e.args and isinstance(e.args[0], Var):
                    out.append(self._render(e.args[:1], local, args, depth))
                else:
                    raise Unalignable("function")
            elif isinstance(e, Select):
                out.append(self._select(e, local, args, depth).strip())
            else:
                raise Unalignable("syntax")
        return "".join(out)

    def _reference(self, name: str, local: dict, args: dict | None, depth: int) -> str:
        source = local.get(name) if not name.startswith("-") else None
        source = source if source is not None else self._source(name)
        if not source:
            raise Unalignable("unknown reference")
        term_args = {k: v for k, v in (args or {}).items() if isinstance(v, str)}
        try:
            elements = parse_pattern(source)
        except (FluentSyntaxError, ValueError, IndexError) as err:
            raise Unalignable("syntax") from err
        return self._render(elements, local, term_args if name.startswith("-") else None, depth + 1).strip()

    def _select(self, select: Select, local: dict, args: dict | None, depth: int) -> str:
        s = select.selector
        if isinstance(s, Var) and args is not None:
            value = args.get(s.name, "")                    # a term's own argument, or its default
        elif isinstance(s, TermRef) and s.attr is not None:
            name = f"{s.name}.{s.attr}"                     # { -brand-short-name.case-status -> ...}
            value = self._reference(name, local, None, depth) if self._source(name) else ""
        elif isinstance(s, Call) and s.function == "PLATFORM":
            value = PLATFORM
        else:
            raise Unalignable("selector")                   # plural forms and other variable values
        chosen = next((v for v in select.variants if v[0] == value), None)
        chosen = chosen or next(v for v in select.variants if v[1])
        return self._render(chosen[2], local, args, depth + 1)


# --- .properties ------------------------------------------------------------------------------

_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r", "f": "\f"}


def _unescape(value: str) -> str:
    def one(m: re.Match) -> str:
        c = m.group(1)
        return chr(int(c[1:], 16)) if len(c) == 5 else _ESCAPED.get(c, c)
    return _ESCAPE.sub(one, value)


def parse_properties(text: str) -> dict[str, str]:
    """``{key: value}`` of a .properties file: ``#``/``!`` comments, ``key = value`` (or ``key:
    value``), a line ending in an odd number of backslashes continues on the next one."""
    entries: dict[str, str] = {}
    logical = ""
    for line in text.splitlines():
        line = line.lstrip() if logical else line
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2:                                    # a continuation
            logical += line[:-1]
            continue
        logical += line
        stripped = logical.strip()
        logical = ""
        if not stripped or stripped[0] in "#!":
            continue
        match = re.match(r"((?:\\.|[^=:\s\\])+)\s*[=:]?\s*(.*)$", stripped)
        if match:
            entries[_unescape(match.group(1))] = _unescape(match.group(2))
    return entries


# --- which strings are text to align ------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{ \$[\w-]+ \}|%(\d+\$)?[SsDdUuFf@]|#\d")   # { $name }, %S, %1$S, %d, #1
_VARIABLE_PLACEABLE = re.compile(r"\{ \$[\w-]+ \}")
_URL_ONLY = re.compile(r"^(https?|ftp|about|mailto|file):\S*$")
_PLURAL_FORMS = re.compile(r"#\d")             # a .properties value "#1 tab;#1 tabs" lists plural forms


def is_shortcut_or_style(name: str, value: str, attribute: bool = False) -> bool:
    """Whether a string is an access key, a keyboard shortcut, CSS, a file name or a keyword list,
    by its name: a Fluent attribute's (``attribute=True``: ``accesskey`` of ``id.accesskey``), a
    Fluent message id or a .properties key (see SKIPPED_ATTRIBUTES and SHORTCUT_NAMES)."""
    if "accesskey" in name.lower() or "commandkey" in name.lower() or _KEY_COMBINATION.match(value.strip()):
        return True
    last = re.split(r"[._-]", name)[-1].lower()
    if attribute:
        return last in SKIPPED_ATTRIBUTES
    return re.sub(r"\d+$", "", last) in SHORTCUT_NAMES and len(value.split()) == 1      # "key2 = C" too


def has_text(text: str) -> bool:
    """Letters outside markup and placeholders, and not just a URL."""
    text = clean.normalize_text(text)
    return any(c.isalpha() for c in _PLACEHOLDER.sub("", text)) and not _URL_ONLY.match(text)


def looks_like_code(english: str, translation: str) -> bool:
    """clean.is_code on the normalised texts, with each ``{ $name }`` read as the word "X"."""
    def masked(text: str) -> str:
        return _VARIABLE_PLACEABLE.sub("X", clean.normalize_text(text))
    return clean.is_code(masked(english), masked(translation))


def is_plural_list(value: str) -> bool:
    """A .properties value that lists plural forms ("#1 tab;#1 tabs"): they do not pair one-to-one."""
    return ";" in value and bool(_PLURAL_FORMS.search(value))


# --- reading the archives -----------------------------------------------------------------

def document_key(path: str, locale: str) -> str:
    """The path a string file has in every language: the locale folder taken out.

    ``browser/chrome/de/locale/de/devtools/client/x.properties`` (locale ``de``) ->
    ``browser/chrome/locale/devtools/client/x.properties``.
    """
    return re.sub(rf"(?:(?<=/)|^)(localization|chrome|locale)/{re.escape(locale)}/", r"\1/", path)


def document_of(key: str) -> str:
    """The document a file's strings belong to (the split is by document): the file, with the
    mac/unix/win variants of ``global-platform`` as one document."""
    return f"{SOURCE}:" + re.sub(r"/global-platform/(mac|unix|win)/", "/global-platform/", key)


def _string_files(archive: zipfile.ZipFile, locale: str, prefix: str = "") -> dict[str, str]:
    """``{document key: text}`` of the .ftl and .properties files under the locale's folders."""
    found = {}
    locale_folder = re.compile(rf"(^|/)(localization|chrome)/{re.escape(locale)}/")
    for name in sorted(archive.namelist()):
        if name.endswith(STRING_FILES) and locale_folder.search(name):
            found[document_key(prefix + name, locale)] = archive.read(name).decode("utf-8", errors="replace")
    return found


def read_english(root: Path) -> dict[str, str]:
    """``{document key: text}`` of the English string files in firefox-esr's omni.ja archives
    (less the SKIPPED_FILES, not for translation)."""
    files: dict[str, str] = {}
    for archive, prefix in ENGLISH_ARCHIVES.items():
        path = Path(root) / APP_DIR / archive
        if not path.is_file():
            raise FileNotFoundError(f"{path}: not found; is {root} the unpacked {ENGLISH_PACKAGE} package?")
        with zipfile.ZipFile(path) as z:
            files.update(_string_files(z, ENGLISH_LOCALE, prefix))
    return {key: text for key, text in files.items() if not SKIPPED_FILES.search(key)}


def langpack_locale(xpi: zipfile.ZipFile, path: Path) -> str:
    """The locale of a language pack: ``langpack_id`` in its manifest.json, else its file name."""
    try:
        return json.loads(xpi.read("manifest.json"))["langpack_id"]
    except (KeyError, ValueError):
        match = _LANGPACK_NAME.match(path.name)
        if not match:
            raise ValueError(f"{path}: no manifest.json with a langpack_id, and no locale in its name") from None
        return match.group(1)


def find_langpack(root: Path) -> tuple[str, Path] | None:
    """``(locale, .xpi path)`` of the language pack in an unpacked package, or None if it has none."""
    found = sorted((Path(root) / APP_DIR).glob(LANGPACK_GLOB))
    if not found:
        return None
    with zipfile.ZipFile(found[0]) as z:
        return langpack_locale(z, found[0]), found[0]


def read_langpack(xpi: Path, locale: str) -> dict[str, str]:
    """``{document key: text}`` of a language pack's string files."""
    with zipfile.ZipFile(xpi) as z:
        return _string_files(z, locale)


def _ftl_entries(files: dict[str, str]) -> dict[str, dict[str, str]]:
    return {key: parse_ftl(text) for key, text in files.items() if key.endswith(".ftl")}


def _all_entries(parsed: dict[str, dict[str, str]]) -> dict[str, str]:
    """Every entry of a language's Fluent files (files in key order; the first definition wins)."""
    merged: dict[str, str] = {}
    for key in sorted(parsed):
        for name, source in parsed[key].items():
            merged.setdefault(name, source)
    return merged


class EnglishStrings(NamedTuple):
    """The English side, read once: for each file, its strings that are text to align."""

    texts: dict[str, dict[str, str]]      # {document key: {string key: English text}}
    resolver: FluentResolver              # the English terms and messages, the fallback of every language


def _english_reason(name: str, text: str) -> str | None:
    """Why an English string (a message id or .properties key, and its text) is not text to align
    (None: it is)."""
    if is_shortcut_or_style(name, text):
        return "key_or_style"
    if not has_text(text):
        return "no_text"
    if clean.is_code_like(_VARIABLE_PLACEABLE.sub("X", clean.normalize_text(text))):
        return "code"
    return None


def english_strings(files: dict[str, str], skipped: Counter) -> EnglishStrings:
    """The English text of every string worth aligning; the others are counted in ``skipped``
    by reason (key_or_style, selector, plural, no_text, code, ...)."""
    parsed = _ftl_entries(files)
    resolver = FluentResolver(_all_entries(parsed))
    texts: dict[str, dict[str, str]] = {}
    for key, content in sorted(files.items()):
        strings: dict[str, str] = {}
        if key.endswith(".ftl"):
            for name, source in parsed[key].items():
                if name.startswith("-") or not source:
                    continue                                # terms (used inside messages), or no value
                message, _, attribute = name.partition(".")
                if attribute and is_shortcut_or_style(attribute, source, attribute=True):
                    skipped["key_or_style"] += 1            # before resolving: a shortcut is no text
                    continue
                try:
                    text = resolver.text(source, parsed[key])
                except Unalignable as why:
                    skipped[why.reason] += 1
                    continue
                reason = _english_reason(message, text)
                if reason:
                    skipped[reason] += 1
                else:
                    strings[name] = text
        else:
            for name, value in parse_properties(content).items():
                reason = "plural" if is_plural_list(value) else _english_reason(name, value)
                if reason:
                    skipped[reason] += 1
                else:
                    strings[name] = value
        texts[key] = strings
    return EnglishStrings(texts, resolver)


def aligned_pairs(english: EnglishStrings, lang: str, files: dict[str, str], skipped: Counter) -> Iterator[SourcePair]:
    """The pairs of one language pack: each English string with the same key's translation.
    Translations left out are counted in ``skipped`` as ``translation_<reason>``; English strings
    whose key the language pack lacks as ``missing``."""
    parsed = _ftl_entries(files)
    resolver = FluentResolver(_all_entries(parsed), fallback=english.resolver)
    for key, strings in english.texts.items():
        if key not in files:
            skipped["missing"] += len(strings)
            continue
        doc = document_of(key)
        entries = parsed[key] if key.endswith(".ftl") else parse_properties(files[key])
        for name, text in strings.items():
            if name not in entries:
                skipped["missing"] += 1
                continue
            if key.endswith(".ftl"):
                try:
                    translation = resolver.text(entries[name], entries)
                except Unalignable as why:
                    skipped[f"translation_{why.reason}"] += 1
                    continue
            elif is_plural_list(entries[name]):
                skipped["translation_plural"] += 1
                continue
            else:
                translation = entries[name]
            if looks_like_code(text, translation):          # a path or URL in the translation
                skipped["translation_code"] += 1
                continue
            yield SourcePair(lang, doc, text, translation)


def read(roots: Iterable[Path], skipped: Counter | None = None) -> Iterator[SourcePair]:
    """Aligned pairs from unpacked packages: ``roots`` holds firefox-esr's tree and those of the
    language packs (any order); the pairs come language by language, in code order. English
    language packs (en-GB, en-CA) are skipped.

    ``skipped`` counts what is left out, by reason: English strings once (key_or_style, selector,
    plural, no_text, code, ...), and per language the English strings its pack lacks (missing) and
    the translations that cannot be read or aligned (translation_selector, translation_code, ...).
    """
    skipped = Counter() if skipped is None else skipped
    roots = [Path(r) for r in roots]
    english_roots = [r for r in roots if (r / APP_DIR / "browser" / "omni.ja").is_file()]
    if not english_roots:
        raise FileNotFoundError(f"none of {[str(r) for r in roots]} holds {APP_DIR / 'browser' / 'omni.ja'} "
                                f"(the unpacked {ENGLISH_PACKAGE} package)")
    english = english_strings(read_english(english_roots[0]), skipped)
    packs: dict[str, tuple[str, Path]] = {}            # {lang: (locale, .xpi path)}
    for root in roots:
        found = find_langpack(root)
        if found is None or languages.is_english(found[0]):
            continue
        lang = languages.canonical(found[0])
        if lang in packs:
            raise ValueError(f"two language packs for {lang}: {packs[lang][1]} and {found[1]}")
        packs[lang] = found
    bar = progress.reading(sorted(packs), f"{SOURCE}: language packs", "pack")
    for lang in bar:
        bar.set_postfix_str(lang)
        locale, xpi = packs[lang]
        yield from aligned_pairs(english, lang, read_langpack(xpi, locale), skipped)


# --- the build ----------------------------------------------------------------------------

def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch firefox-esr and the language packs, align, and write ``out_dir/corpus``; return the
    report (assemble.assemble's, with the packages, versions, licence and skipped strings in ``info``)."""
    t0 = time.time()
    names = packages(langs)
    got, failed = debian.fetch(names, work_dir, log)
    debian.require([ENGLISH_PACKAGE], got, failed, SOURCE, "the English strings")
    english_version = got[ENGLISH_PACKAGE].version
    for name, package in got.items():
        if package.version != english_version:
            log(f"  {SOURCE}: {name} {package.version} is not for {ENGLISH_PACKAGE} {english_version}: "
                "strings that changed between the versions may be misaligned")
    licences = {name: copyright_licence(package.copyright()) for name, package in got.items()}
    other = {name: lic for name, lic in licences.items() if lic != LICENCE}
    if other:
        log(f"  {SOURCE}: copyright files that do not say {LICENCE} for 'Files: *': {other}")
    t1 = time.time()
    skipped: Counter = Counter()
    log(f"  {SOURCE}: reading the English strings of {ENGLISH_PACKAGE} and {len(got) - 1} language packs")
    raw = list(read([got[n].root for n in names if n in got], skipped))
    log(f"  {SOURCE}: read {len(raw)} aligned strings in {time.time() - t1:.0f}s")
    info = {
        "packages": {name: got[name].version for name in names if name in got},
        "not_fetched": failed,
        "licence": LICENCE,
        "licence_by_package": dict(sorted(Counter(licences.values()).items())),   # {"MPL-2.0": 101}
        "licence_source": "usr/share/doc/<package>/copyright, stanza 'Files: *'",
        "skipped_strings": dict(sorted(skipped.items())),
        "alignment": "(file path, message id, attribute); Fluent terms resolved, variables kept as { $name }",
        "document": "the string file (.ftl/.properties) path without its locale folder",
    }
    report = assemble.assemble(raw, out_dir, SOURCE, KIND, info, filters=FILTERS, log=log)
    report["build_seconds"] = round(time.time() - t0)
    return report
