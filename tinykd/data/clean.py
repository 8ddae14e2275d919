"""Clean aligned pairs, counting what each filter drops.

Each filter is a small function that answers one question about a pair; ``clean_pairs``
runs them in a fixed order and counts, per language, how many pairs each one drops:

    1. ``empty``         either side is empty after normalisation
    2. ``untranslated``  the translation is a copy of the English
    3. ``code``          either side looks like code: function syntax, a path or URL,
                         a programming statement, or mostly digits and punctuation
    4. ``length_ratio``  the length ratio is far (x3) from the language's usual ratio

Normalisation (``normalize_text``) comes first and drops nothing: it removes markup
remnants such as a literal ``<ahelp hid=".">`` left inside a translation, zero-width
characters, and collapses whitespace.  Deduplication (``dedupe``) is the last step,
run after the split so that a sentence repeated on a train page and a test page is
handled by the overlap rule of :mod:`tinykd.data.split`.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

FILTERS = ("empty", "untranslated", "code", "length_ratio")

_MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9_:-]*(\s+[^<>]{0,200})?/?>")
# zero-width space, word joiner, BOM, soft hyphen; not the zero-width (non-)joiner U+200C/U+200D,
# which are part of the spelling in Persian and the Indic scripts
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Unicode NFC, markup remnants removed, whitespace collapsed to single spaces."""
    text = unicodedata.normalize("NFC", text)
    text = _MARKUP.sub("", text)  # remnants are inline tags (<emph>, <ahelp ...>): no space
    text = text.translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


# --- the filters: each returns True when the pair should be dropped ---------------

def is_empty(english: str, translation: str) -> bool:
    return not english or not translation


def is_untranslated(english: str, translation: str) -> bool:
    return translation == english


_FUNCTION_CALL = re.compile(r"^[=@]?\s*[A-Za-z_][\w.$]*\(.*\)\s*;?$")  # SUM(Number 1; ...), not "Date (MDY)"
_PATH_OR_URL = re.compile(
    r"[a-z][a-z0-9+.-]*://"  # scheme://
    r"|\b[A-Za-z]:\\"  # C:\
    r"|(^|\s)(~|\.{1,2})?/[\w.$-]+/"  # /usr/lib/, ~/dir/, ./dir/
    r"|\b\w+\.(xcu|xml|xhp|html?|ini|py|bas|js|odt|ods|odp|so|dll|exe)\b",
)
_CODE_STATEMENT = re.compile(
    # Basic/Python statement openers that are not also ordinary English words ("Set", "Print"...)
    r"^(Dim|ReDim|End Sub|End Function|Exit Sub|Exit Function|Rem|MsgBox|Const|import|def|Sub \w+\(|If .* Then$)\b"
    r"|[{};]\s*$|==|!=|&&|\|\||:=|\bself\.|\w+\.\w+\(",  # ...; a.b( method calls
)


def letter_fraction(text: str) -> float:
    """Fraction of the non-space characters that are letters (any script)."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(c.isalpha() for c in chars) / len(chars)


def is_code_like(text: str) -> bool:
    """Function syntax, a path/URL/file name, a programming statement, or mostly symbols."""
    return bool(
        _FUNCTION_CALL.match(text)
        or _PATH_OR_URL.search(text)
        or _CODE_STATEMENT.search(text)
        or letter_fraction(text) < 0.5
    )


def is_code(english: str, translation: str) -> bool:
    """The English looks like code, or the translation holds a path, file name or URL.

    Only the English side is judged by its letter fraction: CJK text packs a word into
    one or two characters, so "10,000 通貨単位" is mostly digits by count yet prose.
    The path test on the translation catches build remnants such as
    ``[text/scalc/01/func_isoweeknum.xhp#isoweeknum not found].``
    """
    return is_code_like(english) or bool(_PATH_OR_URL.search(translation))


def usual_length_ratio(pairs: Iterable[tuple[str, str]]) -> float:
    """Median of len(translation) / len(English) over translated pairs with at least 20 English characters."""
    ratios = [len(t) / len(e) for e, t in pairs if len(e) >= 20 and t and t != e]
    return statistics.median(ratios) if ratios else 1.0


def is_extreme_length_ratio(english: str, translation: str, usual: float, factor: float = 3.0,
                            min_chars: int = 30) -> bool:
    """The ratio is more than ``factor`` times off the usual one, on pairs that are not tiny.

    Tiny pairs are spared ("OK" -> "Aceptar" is 3.5x longer but fine): the check applies
    when the longer side, measured in the translation's units, reaches ``min_chars``.
    """
    expected = len(english) * usual
    if max(expected, len(translation)) < min_chars:
        return False
    ratio = len(translation) / max(expected, 1e-9)
    return ratio > factor or ratio < 1.0 / factor


# --- running them -------------------------------------------------------------------

def clean_pairs(pairs: Sequence, filters: Sequence[str] = FILTERS) -> tuple[list, dict[str, Counter]]:
    """Normalise and filter pairs that have ``lang``, ``english`` and ``translation`` fields,
    with the ``filters`` named (all of :data:`FILTERS` by default; a dictionary of words skips
    ``code`` and ``length_ratio``).

    Returns ``(kept, drops)`` where ``kept`` holds the pairs with normalised text (rebuilt
    with ``pair._replace``) and ``drops[lang][filter]`` counts the dropped pairs; the
    pseudo-filter ``"normalised"`` counts pairs whose text changed but were kept.
    """
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown filters {sorted(unknown)}; choose from {FILTERS}")
    drops: dict[str, Counter] = defaultdict(Counter)
    normalised = []
    for p in pairs:
        e, t = normalize_text(p.english), normalize_text(p.translation)
        if (e, t) != (p.english, p.translation):
            drops[p.lang]["normalised"] += 1
        normalised.append(p._replace(english=e, translation=t))

    by_lang: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for p in normalised:
        by_lang[p.lang].append((p.english, p.translation))
    usual = {lang: usual_length_ratio(v) for lang, v in by_lang.items()}

    kept = []
    for p in normalised:
        e, t = p.english, p.translation
        if "empty" in filters and is_empty(e, t):
            reason = "empty"
        elif "untranslated" in filters and is_untranslated(e, t):
            reason = "untranslated"
        elif "code" in filters and is_code(e, t):
            reason = "code"
        elif "length_ratio" in filters and is_extreme_length_ratio(e, t, usual[p.lang]):
            reason = "length_ratio"
        else:
            kept.append(p)
            continue
        drops[p.lang][reason] += 1
    return kept, drops


def dedupe(pairs: Iterable) -> tuple[list, Counter]:
    """Keep the first of each (lang, english, translation); count the dropped copies per language."""
    seen = set()
    kept, dropped = [], Counter()
    for p in pairs:
        key = (p.lang, p.english, p.translation)
        if key in seen:
            dropped[p.lang] += 1
        else:
            seen.add(key)
            kept.append(p)
    return kept, dropped
