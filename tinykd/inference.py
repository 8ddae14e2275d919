"""Sentences in, vectors out: a tokenizer and an Encoder put together.

``SentenceEncoder.encode`` tokenises, sorts the sentences by length so that each
batch holds sentences of similar length (little padding, little wasted work) and
no more than a budget of tokens, runs the encoder batch by batch, and returns the
vectors in the input order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tqdm.auto import tqdm

from tinykd import backend
from tinykd.data.batching import inference_batches, pad
from tinykd.data.tokenizer import MAX_SEQ_LENGTH, configure, token_ids
from tinykd.model import Encoder


def unit(v: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero): (N, D) -> (N, D)."""
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


class SentenceEncoder:
    """An :class:`~tinykd.model.Encoder` with its tokenizer: ``encode(sentences) -> (N, D)``."""

    def __init__(self, model: Encoder, tokenizer, max_seq_length: int = MAX_SEQ_LENGTH, name: str = ""):
        if max_seq_length > model.config.max_position:
            raise ValueError(f"max_seq_length {max_seq_length} exceeds the model's "
                             f"{model.config.max_position} positions")
        self.model = model.eval()
        self.tokenizer = configure(tokenizer, max_seq_length, pad=False)
        self.max_seq_length = max_seq_length
        self.name = name
        self.pad_id = tokenizer.token_to_id("[PAD]") or 0

    @property
    def embedding_size(self) -> int:
        return self.model.config.embedding_size

    def tokenize(self, sentences: Sequence[str]) -> list[list[int]]:
        """Token ids of each sentence, with [CLS] ... [SEP], truncated at max_seq_length,
        tokenised in chunks (``tinykd.data.tokenizer.token_ids``)."""
        return list(token_ids(self.tokenizer, sentences))

    def encode(self, sentences: Sequence[str] | str, batch_size: int = 64,
               normalize: bool = True, progress: bool | None = None, max_tokens: int = 64 * 64) -> np.ndarray:
        """Sentence vectors (N, D) float32 on the host, in the order of ``sentences``.

        ``normalize``: scale every vector to unit length (the cosine then is a dot
        product); with False, the model's output as it is.
        ``progress``: a tqdm bar; by default shown for more than 5 batches.
        ``batch_size`` rows a batch at most, and ``max_tokens`` padded tokens at most
        (``tinykd.data.batching.inference_batches``): long sentences go fewer at a time, so
        the memory a batch takes does not grow with the longest sentence.
        """
        if isinstance(sentences, str):
            sentences = [sentences]
        if len(sentences) == 0:
            return np.zeros((0, self.embedding_size), dtype=np.float32)
        token_ids = self.tokenize(sentences)
        batches = inference_batches([len(ids) for ids in token_ids], batch_size, max_tokens)
        out = np.empty((len(sentences), self.embedding_size), dtype=np.float32)
        if progress is None:
            progress = len(batches) > 5
        if progress:
            batches = tqdm(batches, desc=f"encoding {self.name}".strip(), unit="batch")
        for rows in batches:
            input_ids, attention_mask = pad([token_ids[i] for i in rows], self.pad_id)   # (B, T)
            vectors = self.model(backend.asarray(input_ids), backend.asarray(attention_mask),
                                 keep_cache=False)                  # no backward: hold one block's activations
            out[rows] = backend.to_numpy(vectors)
        return unit(out) if normalize else out

    def similarity(self, a: Sequence[str] | str, b: Sequence[str] | str) -> np.ndarray:
        """Cosine similarity matrix (len(a), len(b))."""
        return self.encode(a, normalize=True) @ self.encode(b, normalize=True).T
