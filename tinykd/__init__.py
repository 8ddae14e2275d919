"""tinykd: multilingual knowledge distillation with a hand-written Transformer encoder.

NumPy (or CuPy) arrays, every backward pass derived by hand and checked numerically.

    import tinykd
    model = tinykd.load()                     # the shipped multilingual student
    model.encode(["Hello world", "Hallo Welt"])
"""

from tinykd.inference import SentenceEncoder
from tinykd.loading import load
from tinykd.model import Encoder, EncoderConfig
from tinykd.version import __version__

__all__ = ["Encoder", "EncoderConfig", "SentenceEncoder", "load", "__version__"]
