"""Sentences in, vectors out: a tokenizer and an Encoder put together.

``SentenceEncoder.encode`` tokenises, keeps each distinct token sequence once (texts that
differ only in case, or only in words the vocabulary lacks, are one input: they get one
vector, bit for bit, whatever batch they would have fallen in), sorts the sequences by
length so that each batch holds sentences of similar length (little padding, little wasted
work) and no more than a budget of tokens, runs the encoder batch by batch, and returns the
vectors in the input order.

The batches go through ``tinykd.inference_forward`` (no backward caches, query, key and
value in one product) in ``tinykd.parallel.threads()`` threads (every core by default),
each thread on a batch of its own with BLAS held to one thread (threadpoolctl): on small
batches two single-thread products at once do more than one product on two threads, and
the GELU, LayerNorm and softmax passes run on every core too. The vectors do not depend
on the thread count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import numpy as np
from tqdm.auto import tqdm

from tinykd import backend, parallel
from tinykd.data.batching import inference_batches, pad
from tinykd.data.tokenizer import MAX_SEQ_LENGTH, configure, token_ids
from tinykd.inference_forward import InferenceWeights
from tinykd.model import Encoder


def unit(v: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero): (N, D) -> (N, D)."""
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def paired_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of row i of ``a`` with row i of ``b``: (N,)."""
    if a.shape != b.shape:
        raise ValueError(f"paired similarity needs as many rows on both sides: {a.shape} vs {b.shape}")
    return np.einsum("nd,nd->n", unit(a), unit(b))


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of every row of ``a`` with every row of ``b``: (N, M)."""
    return unit(a) @ unit(b).T


PRECISIONS = ("float32", "int8", "uint8", "binary", "ubinary")


def quantize(vectors: np.ndarray, precision: str) -> np.ndarray:
    """Vectors (N, D) float32 in a smaller type, as sentence-transformers' ``precision=`` gives them:

    int8 / uint8      each dimension's range over these vectors cut into 256 levels
    binary / ubinary  the sign of each dimension, 8 to a byte: (N, ceil(D / 8)), int8 (offset by
                      -128) or uint8; compare them with the Hamming distance
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "float32":
        return vectors
    if precision in ("binary", "ubinary"):
        bits = np.packbits(vectors > 0, axis=-1)                                  # (N, ceil(D / 8)) uint8
        return bits if precision == "ubinary" else (bits.astype(np.int16) - 128).astype(np.int8)
    low, high = vectors.min(axis=0), vectors.max(axis=0)                          # (D,) the range of each dimension
    step = np.where(high > low, (high - low) / 255, 1.0)
    levels = np.clip(np.rint((vectors - low) / step), 0, 255)                     # (N, D) in 0..255
    return levels.astype(np.uint8) if precision == "uint8" else (levels - 128).astype(np.int8)


def run_batches(work: Callable[[np.ndarray], None], batches: Sequence[np.ndarray], threads: int) -> Iterator[int]:
    """``work(rows)`` for every batch, yielding each batch's size as it finishes.

    With ``threads`` > 1 (on NumPy) the batches go to that many
    threads, each taking the next batch when it is done, BLAS held to one thread meanwhile;
    ``work`` must then write nothing but its own rows. Otherwise, one after the other here.
    """
    limit = parallel.blas_limit(1) if threads > 1 and len(batches) > 1 and not backend.is_cupy() else None
    if limit is None:
        for rows in batches:
            work(rows)
            yield len(rows)
        return
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tinykd-encode")
    try:
        with limit:
            pending = {pool.submit(work, rows): len(rows) for rows in batches}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()                    # a batch's error is raised here
                    yield pending.pop(future)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # after an error or Ctrl-C: no batch left running


class SentenceEncoder:
    """An :class:`~tinykd.model.Encoder` with its tokenizer: ``encode(sentences) -> (N, D)``.

    It answers to what code written for sentence-transformers calls: ``encode`` with
    ``batch_size``, ``show_progress_bar``, ``convert_to_numpy``, ``normalize_embeddings`` and
    ``precision`` (a single string gives one vector, (D,); the vectors are the model's own,
    unit length only where the model ends in a normalisation or ``normalize_embeddings=True``
    asks for it, as sentence-transformers does), ``similarity`` and
    ``similarity_pairwise`` on embeddings, ``max_seq_length`` and
    ``get_sentence_embedding_dimension()``.
    """

    def __init__(self, model: Encoder, tokenizer, max_seq_length: int = MAX_SEQ_LENGTH, name: str = ""):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.name = name
        self.pad_id = tokenizer.token_to_id("[PAD]") or 0

    @property
    def max_seq_length(self) -> int:
        """Tokens a sentence is cut to, [CLS] and [SEP] included; setting it changes the tokenizer's truncation."""
        return self._max_seq_length

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        if not 3 <= int(value) <= self.model.config.max_position:
            raise ValueError(f"max_seq_length must be 3..{self.model.config.max_position} (the model's positions), "
                             f"got {value}")
        self._max_seq_length = int(value)
        configure(self.tokenizer, self._max_seq_length, pad=False)

    @property
    def embedding_size(self) -> int:
        return self.model.config.embedding_size

    def get_sentence_embedding_dimension(self) -> int:
        """The width of the vectors (sentence-transformers' name for ``embedding_size``)."""
        return self.embedding_size

    def get_embedding_dimension(self) -> int:
        """The width of the vectors (the name sentence-transformers >= 6 gives it)."""
        return self.embedding_size

    def __repr__(self) -> str:
        c = self.model.config
        return (f"SentenceEncoder(name={self.name!r}, layers={c.num_layers}, width={c.hidden_size}, "
                f"dimension={self.embedding_size}, vocabulary={c.vocab_size}, max_seq_length={self.max_seq_length}, "
                f"parameters={self.model.num_parameters() / 1e6:.2f}M)")

    def tokenize(self, sentences: Sequence[str]) -> list[list[int]]:
        """Token ids of each sentence, with [CLS] ... [SEP], truncated at max_seq_length,
        tokenised in chunks (``tinykd.data.tokenizer.token_ids``)."""
        return list(token_ids(self.tokenizer, sentences))

    def encode(self, sentences: Sequence[str] | str, batch_size: int = 64,
               normalize: bool = False, progress: bool | None = None, max_tokens: int = 64 * 64, *,
               show_progress_bar: bool | None = None, normalize_embeddings: bool | None = None,
               convert_to_numpy: bool = True, precision: str = "float32", threads: int | None = None):
        """Sentence vectors (N, D) float32 on the host, in the order of ``sentences``; for a
        single string, its vector (D,).

        ``normalize`` (or ``normalize_embeddings``), False by default as in sentence-transformers:
        the model's output as it is; True scales every vector to unit length (the cosine then is
        a dot product). A model that ends in an L2 normalisation (``config.normalize``: a run
        trained with ``--normalize true``, a sentence-transformers folder with a Normalize module,
        such as the teacher) gives unit vectors either way; the shipped student does not, and
        its vectors' length carries its confidence (a short vector: a sentence it is unsure of).
        Cosine similarity (:meth:`similarity`, ``tinykd.evaluate``'s accuracies) does not depend on it.
        ``progress`` (or ``show_progress_bar``): a tqdm bar; by default shown for more than 5 batches.
        ``batch_size`` rows a batch at most, and ``max_tokens`` padded tokens at most
        (``tinykd.data.batching.inference_batches``): long sentences go fewer at a time, so
        the memory a batch takes does not grow with the longest sentence.
        ``precision``: float32, or int8 / uint8 / binary / ubinary (:func:`quantize`).
        ``convert_to_numpy=False``: a list of one array a sentence, as sentence-transformers gives.
        ``threads``: batches encoded at once (default: ``tinykd.parallel.threads()``, the cores
        this process may use unless ``--threads`` or ``parallel.set_threads`` says otherwise);
        the vectors are the same for any number.
        """
        normalize = normalize if normalize_embeddings is None else normalize_embeddings
        progress = progress if show_progress_bar is None else show_progress_bar
        if isinstance(sentences, str):
            return self.encode([sentences], batch_size, normalize, progress, max_tokens, precision=precision,
                               threads=threads)[0]
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        if not convert_to_numpy:
            return list(self.encode(sentences, batch_size, normalize, progress, max_tokens, precision=precision,
                                    threads=threads))
        if len(sentences) == 0:
            return quantize(np.zeros((0, self.embedding_size), dtype=np.float32), precision)
        distinct: dict[tuple, int] = {}                 # each token sequence once: same input, same vector
        which = np.array([distinct.setdefault(tuple(ids), len(distinct)) for ids in self.tokenize(sentences)])
        token_ids = list(distinct)
        batches = inference_batches([len(ids) for ids in token_ids], batch_size, max_tokens)
        vectors = np.empty((len(token_ids), self.embedding_size), dtype=np.float32)
        forward = InferenceWeights(self.model)          # the weights as they are now, arranged for encoding

        def encode_batch(rows: np.ndarray) -> None:
            input_ids, attention_mask = pad([token_ids[i] for i in rows], self.pad_id)   # (B, T)
            vectors[rows] = backend.to_numpy(forward(backend.asarray(input_ids), backend.asarray(attention_mask)))

        done = run_batches(encode_batch, batches, parallel.threads() if threads is None else threads)
        if progress is None:
            progress = len(batches) > 5
        with tqdm(total=len(token_ids), desc=f"encoding {self.name}".strip(), unit="sentence",
                  disable=not progress) as bar:
            for n in done:
                bar.update(n)
        out = vectors[which]                            # (N, D) in the order of ``sentences``
        return quantize(unit(out) if normalize else out, precision)

    def _vectors(self, x) -> np.ndarray:
        """Embeddings as they are, or sentences encoded: (N, D)."""
        if isinstance(x, str) or (len(x) and isinstance(x[0], str)) or (isinstance(x, list) and not x):
            return self.encode([x] if isinstance(x, str) else list(x))
        return np.atleast_2d(np.asarray(x, dtype=np.float32))

    def similarity(self, a, b) -> np.ndarray:
        """Cosine similarity matrix (len(a), len(b)) of embeddings (as sentence-transformers'
        ``model.similarity``) or of sentences, which are encoded first."""
        return cosine_matrix(self._vectors(a), self._vectors(b))

    def similarity_pairwise(self, a, b) -> np.ndarray:
        """Cosine of row i of ``a`` with row i of ``b``: (N,), embeddings or sentences."""
        return paired_cosine(self._vectors(a), self._vectors(b))
