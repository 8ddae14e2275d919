"""Progress of a data build: a bar over the many files, packs or languages a builder reads.

    for lang in (bar := reading(langs, "gimp: languages", "lang")):
        ...
        say(bar, log)(f"gimp: {lang}: 1234 pairs")      # through the bar, which a plain print would break

A bar is shown where there are more than two items (or as ``show`` says), on standard error as
tqdm draws it; a builder also says in one line what it reads before any step that takes long.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tqdm.auto import tqdm


def reading(items: Iterable, desc: str, unit: str, show: bool | None = None) -> tqdm:
    """A tqdm bar over ``items`` (a list is made of them, for the total)."""
    items = list(items)
    return tqdm(items, desc=desc, unit=unit, disable=not (len(items) > 2 if show is None else show))


def say(bar: tqdm, log: Callable = print) -> Callable[[str], None]:
    """``log``, written above ``bar`` when it is ``print`` (tqdm.write keeps the bar on its own line)."""
    return bar.write if log is print else log
