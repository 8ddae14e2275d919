"""tinykd: multilingual knowledge distillation with a hand-written Transformer encoder.

NumPy (or CuPy) arrays, every backward pass derived by hand and checked numerically.

    import tinykd
    model = tinykd.load()                     # the shipped multilingual student
    model.encode(["Hello world", "Hallo Welt"])
"""

from tinykd.model import Encoder, EncoderConfig

__version__ = "0.1.0"
__all__ = ["Encoder", "EncoderConfig", "load", "__version__"]


def load(path=None):
    """A trained student ready to ``encode(sentences)``: a run directory, or with no
    argument the student shipped in the package."""
    from tinykd.runs import load_run
    return load_run(path)
