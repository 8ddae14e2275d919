"""One spelling for each language, whatever the source calls it.

Debian packages and localisation files spell languages in several ways (``pt_BR``, ``pt-br``,
``zh-cn``, ``sv-SE``, ``nb-NO``, ``hi-IN``). Every corpus folder uses the spelling of the help
corpus: a lowercase language code, and a region in capitals only where it tells two written
standards apart (``pt-BR`` beside ``pt``, ``zh-CN`` beside ``zh-TW``, ``es-AR`` beside ``es``).
"""

from __future__ import annotations

import re

# A region that only repeats where the language is at home is dropped: sv-SE is sv.
HOME_REGION = {
    "af": "ZA", "bn": "BD", "cs": "CZ", "da": "DK", "de": "DE", "el": "GR", "es": "ES", "et": "EE", "fa": "IR",
    "fi": "FI", "fr": "FR", "fy": "NL", "ga": "IE", "gu": "IN", "he": "IL", "hi": "IN", "hu": "HU", "hy": "AM",
    "it": "IT", "ja": "JP", "ko": "KR", "lt": "LT", "lv": "LV", "nb": "NO", "ne": "NP", "nl": "NL", "nn": "NO",
    "pa": "IN", "pl": "PL", "pt": "PT", "ro": "RO", "ru": "RU", "sk": "SK", "sl": "SI", "sv": "SE", "th": "TH",
    "tr": "TR", "uk": "UA", "vi": "VN",
}
ENGLISH = {"en", "en-US", "en-GB", "en-CA", "en-AU", "en-ZA"}
_CODE = re.compile(r"^([a-zA-Z]{2,3})(?:[-_@]([a-zA-Z0-9]{2,8}))?$")


def canonical(code: str) -> str:
    """``pt_BR`` -> ``pt-BR``, ``zh-cn`` -> ``zh-CN``, ``sv-SE`` -> ``sv``, ``ca-valencia`` ->
    ``ca-valencia``; a code that is not a language tag is refused with a ValueError."""
    match = _CODE.match(code.strip())
    if not match:
        raise ValueError(f"{code!r} is not a language code")
    lang, region = match.group(1).lower(), match.group(2)
    if region is None:
        return lang
    region = region.upper() if len(region) == 2 else region.lower()     # ca-valencia, sr-latn stay lowercase
    if HOME_REGION.get(lang) == region:
        return lang
    return f"{lang}-{region}"


def is_english(code: str) -> bool:
    return canonical(code) in ENGLISH or canonical(code).split("-")[0] == "en"
