"""tinykd: multilingual knowledge distillation with a hand-written Transformer encoder.

NumPy (or CuPy) arrays, every backward pass derived by hand and checked numerically.
"""

from tinykd.model import Encoder, EncoderConfig

__version__ = "0.1.0"
__all__ = ["Encoder", "EncoderConfig", "__version__"]
