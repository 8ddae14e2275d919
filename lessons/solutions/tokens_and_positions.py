"""Solutions to the tokens and positions lesson's exercises."""

import numpy as np


def wordpiece(word, vocab, unk="[UNK]", prefix="##", max_chars=100):
    if len(word) > max_chars:
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:                        # the longest piece in the vocabulary first
            piece = word[start:end] if start == 0 else prefix + word[start:end]
            if piece in vocab:
                break
            end -= 1
        if end == start:                          # no piece fits: the whole word is unknown
            return [unk]
        pieces.append(piece)
        start = end
    return pieces


def position_backward(dy, max_position):
    B, T, C = dy.shape
    dtable = np.zeros((max_position, C))
    dtable[:T] = dy.sum(axis=0)                   # row t was added to every sentence's token t
    return dtable
