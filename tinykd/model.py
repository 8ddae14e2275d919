"""The sentence encoder: one class for both the teacher's and the student's sizes.

    input_ids (B, T), attention_mask (B, T)
      -> embeddings        word + position + token type, LayerNorm          (N, C)
      -> encoder           num_layers x [attention, feed-forward]            (N, C)
      -> mean pooling      average over each sentence's tokens               (B, C)
      -> projection        optional dense C -> output_size                   (B, D)
      -> L2 normalisation  optional, unit-length sentence vectors            (B, D)

N is the number of real tokens: from the embeddings to the pooling the encoder carries
only those, not the padding (tinykd.nn.packing), so that a quarter less work goes into
every layer that acts on each token alone.

Parameter names are BERT's (``embeddings.word_embeddings.weight``,
``encoder.layer.0.attention.self.query.weight``, ...) so that a BERT checkpoint
such as all-MiniLM-L6-v2 loads one to one.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file

from tinykd.files import atomic_save_safetensors
from tinykd.nn import BertEmbeddings, EncoderStack, L2Normalize, Linear, MeanPooling, Module, RealTokens


@dataclass
class EncoderConfig:
    vocab_size: int = 30522
    hidden_size: int = 384            # C, the width
    num_layers: int = 6
    num_heads: int = 12
    intermediate_size: int = 1536     # the feed-forward width, 4C in BERT
    max_position: int = 512           # learned positions: the longest input
    type_vocab_size: int = 2
    output_size: int | None = None    # a dense projection C -> output_size; None: none
    normalize: bool = True            # L2-normalise the sentence vector
    layer_norm_eps: float = 1e-12
    dropout: float = 0.1              # used only in training mode
    init_std: float = 0.02            # BERT's initialisation

    def __post_init__(self):
        if self.hidden_size % self.num_heads:
            raise ValueError(f"hidden_size {self.hidden_size} is not divisible by num_heads {self.num_heads}")
        for field in ("vocab_size", "hidden_size", "num_layers", "num_heads", "intermediate_size",
                      "max_position", "type_vocab_size"):
            if getattr(self, field) < (0 if field == "num_layers" else 1):
                raise ValueError(f"{field} must be positive, got {getattr(self, field)}")

    @property
    def embedding_size(self) -> int:
        """The width of the sentence vectors the encoder returns."""
        return self.output_size or self.hidden_size

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> EncoderConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown EncoderConfig keys: {unknown}")
        return cls(**d)


class Encoder(Module):
    """A BERT-style Transformer encoder with mean pooling: sentences -> vectors."""

    def __init__(self, config: EncoderConfig):
        super().__init__()
        self.config = c = config
        self.embeddings = self.add("embeddings", BertEmbeddings(
            c.vocab_size, c.hidden_size, c.max_position, c.type_vocab_size, c.layer_norm_eps, c.dropout))
        self.encoder = self.add("encoder", EncoderStack(
            c.num_layers, c.hidden_size, c.num_heads, c.intermediate_size, c.layer_norm_eps, c.dropout,
            c.init_std))
        self.pooling = self.add("pooling", MeanPooling())
        self.projection = (self.add("projection", Linear(c.hidden_size, c.output_size))
                           if c.output_size else None)
        self.normalize = self.add("normalize", L2Normalize()) if c.normalize else None

    def forward(self, input_ids, attention_mask, token_type_ids=None, keep_cache: bool = True):
        """input_ids, attention_mask: (B, T) integer arrays  ->  sentence vectors (B, D).

        ``keep_cache=False`` for inference: the blocks drop their backward caches as
        they go (see ``EncoderStack.forward``); no ``backward`` may follow.
        """
        tokens = RealTokens(attention_mask)                      # where the N real tokens are
        x = self.embeddings(input_ids, token_type_ids, tokens)   # (N, C)
        x = self.encoder(x, tokens, keep_cache)                  # (N, C)
        y = self.pooling(x, tokens)                              # (B, C)
        if self.projection is not None:
            y = self.projection(y)                               # (B, D)
        if self.normalize is not None:
            y = self.normalize(y)                                # (B, D), unit length
        return y

    def backward(self, dy):
        """dy: dL/d(sentence vectors) (B, D). Adds into every parameter's gradient."""
        if self.normalize is not None:
            dy = self.normalize.backward(dy)
        if self.projection is not None:
            dy = self.projection.backward(dy)
        dx = self.pooling.backward(dy)                           # (N, C)
        dx = self.encoder.backward(dx)
        self.embeddings.backward(dx)
        return None

    # -- files -----------------------------------------------------------------
    def save(self, path, dtype=None) -> None:
        """Write the weights and config to a safetensors file, atomically.

        ``dtype=np.float16`` halves the file; loading casts back to the default dtype.
        """
        state = self.state_dict()
        if dtype is not None:
            state = {k: v.astype(dtype) for k, v in state.items()}
        metadata = {"format": "tinykd", "config": json.dumps(self.config.to_dict())}
        atomic_save_safetensors(state, path, metadata)

    @classmethod
    def load(cls, path) -> Encoder:
        """Build an encoder from a file written by :meth:`save`; a file that is damaged, that does
        not fit its own config, or whose weights hold NaN or infinite values is refused, named."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no model file at {path}")
        try:
            with safe_open(str(path), framework="np") as f:
                metadata = f.metadata() or {}
            state = load_file(str(path))
        except (SafetensorError, OSError) as err:
            raise ValueError(f"{path} is not a readable safetensors file (damaged or cut short?): {err}") from err
        if "config" not in metadata:
            raise ValueError(f"{path} has no tinykd config in its metadata: it was not written by Encoder.save")
        try:
            config = EncoderConfig.from_dict(json.loads(metadata["config"]))
        except (ValueError, TypeError) as err:                 # json.JSONDecodeError is a ValueError
            raise ValueError(f"{path}: its config metadata is not a valid EncoderConfig: {err}") from err
        check_finite(state, path)
        model = cls(config)
        try:
            model.load_state_dict(state)
        except (KeyError, ValueError) as err:
            raise ValueError(f"{path}: the weights do not fit the file's own config: {err}") from err
        return model


def check_finite(state: dict, path) -> None:
    """Refuse weights that hold NaN or infinite values (a model whose training diverged): every
    vector it gave would be NaN. ``path`` names the file in the message."""
    bad = [name for name, value in state.items()
           if np.issubdtype(value.dtype, np.floating) and not np.isfinite(value).all()]
    if bad:
        raise ValueError(f"{path}: the weights {bad[:5]}{' ...' if len(bad) > 5 else ''} hold NaN or infinite "
                         "values; this model cannot be used (did its training diverge?)")
