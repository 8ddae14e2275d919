"""The data builders say what they do before a long step, and draw a bar over the many files they read."""

from __future__ import annotations

from tinykd.data import assemble, progress
from tinykd.data.assemble import SourcePair


def test_a_bar_over_more_than_two_items_and_messages_above_it(capsys):
    assert progress.reading(["de"], "x", "lang").disable and progress.reading(["de", "fr"], "x", "lang").disable
    bar = progress.reading(["de", "fr", "it"], "src: languages", "lang")
    assert not bar.disable and bar.total == 3
    said = []
    assert progress.say(bar, said.append) == said.append                 # a builder's own log is kept
    assert progress.say(bar, print) == bar.write                          # print goes above the bar
    assert list(bar) == ["de", "fr", "it"]
    assert "src: languages" in capsys.readouterr().err
    assert progress.reading(["de"], "x", "lang", show=True).disable is False


def test_assemble_says_what_it_does_before_each_long_step(tmp_path):
    raw = [SourcePair("de", f"src:doc{i // 3}", f"Sentence number {i} is here.", f"Satz Nummer {i} ist hier.")
           for i in range(180)]
    said = []
    assemble.assemble(raw, tmp_path, "src", "test text", log=said.append)
    assert said[0] == "  src: cleaning 180 pairs, checking each language's alignment, splitting by document"
    assert said[-1] == f"  src: writing {tmp_path / 'corpus'}"
