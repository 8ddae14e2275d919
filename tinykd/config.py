"""The training configuration: a dataclass of defaults, presets, and checked overrides.

    python -m tinykd.train --preset tiny --lr 3e-4 --num_layers 2

Every field can be overridden with ``--name value`` (or ``--name=value``); the
value is converted to the field's type and refused if it does not fit; an
unknown name is refused. The resolved config is written to ``config.json`` in
the run directory, seed included.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field


@dataclass
class TrainConfig:
    """What a run does. Why each default is what it is, measured: docs/experiments.md."""

    # -- the student ------------------------------------------------------------------
    init: str = "teacher"            # "teacher": layers and vocabulary-transferred embeddings; "random"
    teacher_layers: str = "0,5"      # which teacher layers the student keeps (init=teacher); "" = none (static)
    embed_init: str = "aligned"      # init=teacher: "aligned" fits new tokens by least squares (tinykd.align);
                                     # "transfer": the mean of the teacher's pieces only
    align_ridge: float = 0.01        # pull of a rarely seen new token towards its transferred vector
    num_layers: int = 3              # init=random only (with init=teacher: len(teacher_layers))
    hidden_size: int = 384           # init=random only (with init=teacher: the teacher's width)
    num_heads: int = 12              # init=random only
    intermediate_size: int = 1536    # feed-forward width; with init=teacher, below the teacher's 1536 keeps
                                     # each layer's neurons with the most weight (tinykd.student)
    max_length: int = 128            # tokens per sentence in training (longer ones are truncated)
    dropout: float = 0.0             # dropout in training
    normalize: bool = False          # true: end the student in an L2 normalisation, as the teacher does; false:
                                     # leave its length free, as the paper's students (an unsure student
                                     # answers with a shorter vector)
    separate_length: bool = True     # without the normalisation: learn each vector's direction as a unit-length
                                     # student does and its length by its own MSE, instead of both from the
                                     # plain MSE (tinykd.loss; with --normalize true it changes nothing)
    # -- optimisation ---------------------------------------------------------------------
    batch_size: int = 32             # pairs per step (English sentence + translation)
    pairs_per_english: int = 4       # up to this many pairs of one English sentence share a batch, which
                                     # encodes that sentence once for all of them (1: pairs drawn apart)
    translation_weight: float = 2.0  # w in L = MSE(S(en), T) + w MSE(S(xx), T); 1 = the paper's loss
    retrieval_weight: float = 0.003  # lambda of an added retrieval term on the translations
                                     # (tinykd.loss.retrieval_loss): each must pick its own teacher vector
                                     # among retrieval_negatives others (0: the MSE alone)
    retrieval_negatives: int = 4096  # teacher vectors drawn at random from the training set, per step
    retrieval_scale: float = 20.0    # cosine logits' scale (1 / temperature)
    lr: float = 1e-3                 # peak learning rate
    warmup: float = 0.05             # fraction of the steps spent warming up
    weight_decay: float = 0.01
    clip: float = 1.0                # global gradient-norm clip (0: off)
    steps: int = 3000                # optimisation steps
    # -- bookkeeping -------------------------------------------------------------------------
    eval_every: int = 500            # steps between dev evaluations, and one before the first (0: only at the end)
    eval_pairs: int = 200            # dev pairs per language in those evaluations
    checkpoint_every: int = 250      # steps between checkpoints
    log_every: int = 10
    test_eval: bool = True           # evaluate on the test split at the end
    seed: int = 0
    data_dir: str = ""               # "" = the shipped data/
    extra_data: str = ""             # comma-separated corpus folders whose training pairs join the shipped
                                     # ones; a bare name is a folder in the data dir ("bible": data/bible)
    langs: str = ""                  # comma-separated subset of languages; "" = all (an --extra_data
                                     # folder's own languages included)
    preset: str = "default"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def layer_list(self) -> list[int]:
        return [int(x) for x in self.teacher_layers.split(",") if x.strip()]


# Presets: a starting point that --key value overrides refine.
PRESETS = {
    # about a minute on 2 cores: for lessons and tests
    "tiny": dict(teacher_layers="0", steps=40, batch_size=8, max_length=32, eval_every=20, eval_pairs=40,
                 checkpoint_every=20, log_every=5, test_eval=False, warmup=0.1, lr=2e-4),
    # the README's default run: about 15 minutes on 2 CPU cores
    "default": dict(),
    # best quality: about 1.5 hours on 2 CPU cores, minutes on a GPU, with the Bible for general text
    # (build it first: python -m tinykd.data bible); docs/experiments.md has its results
    "long": dict(steps=8000, batch_size=64, extra_data="bible", eval_every=500, checkpoint_every=250),
}


class ConfigError(ValueError):
    pass


def _convert(name: str, kind, text: str):
    kind = {"int": int, "float": float, "str": str, "bool": bool}.get(kind, kind)
    if kind is bool:
        low = text.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"--{name} expects true/false, got {text!r}")
    try:
        return kind(text)
    except ValueError:
        raise ConfigError(f"--{name} expects {kind.__name__}, got {text!r}") from None


def parse_overrides(argv: list[str]) -> dict:
    """``["--lr", "3e-4", "--steps=10"]`` -> ``{"lr": 3e-4, "steps": 10}``, type-checked."""
    fields = {f.name: f.type for f in dataclasses.fields(TrainConfig)}
    out, i = {}, 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--"):
            raise ConfigError(f"expected --key value, got {arg!r}")
        key, eq, value = arg[2:].partition("=")
        key = key.replace("-", "_")
        if key not in fields:
            raise ConfigError(f"unknown option --{key}; known: {', '.join(sorted(fields))}")
        if not eq:
            if i + 1 >= len(argv):
                raise ConfigError(f"--{key} needs a value")
            value = argv[i + 1]
            i += 1
        out[key] = _convert(key, fields[key], value)
        i += 1
    return out


def make_config(argv: list[str] | None = None, **overrides) -> TrainConfig:
    """Preset (``--preset NAME``, default ``default``), then ``--key value`` overrides."""
    parsed = parse_overrides(list(argv or []))
    parsed.update(overrides)
    preset = parsed.get("preset", "default")
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    values = {**PRESETS[preset], **parsed, "preset": preset}
    config = TrainConfig(**values)
    validate(config)
    return config


def validate(c: TrainConfig) -> None:
    if c.init not in ("teacher", "random"):
        raise ConfigError(f"--init must be 'teacher' or 'random', got {c.init!r}")
    if c.embed_init not in ("aligned", "transfer"):
        raise ConfigError(f"--embed_init must be 'aligned' or 'transfer', got {c.embed_init!r}")
    if c.pairs_per_english > c.batch_size:
        raise ConfigError("--pairs_per_english cannot exceed --batch_size")
    if c.translation_weight <= 0:
        raise ConfigError("--translation_weight must be positive")
    if c.retrieval_weight < 0 or c.retrieval_negatives < 0 or c.retrieval_scale <= 0:
        raise ConfigError("--retrieval_weight and --retrieval_negatives cannot be negative, "
                          "and --retrieval_scale must be positive")
    if c.align_ridge <= 0:
        raise ConfigError("--align_ridge must be positive")
    if c.init == "teacher" and any(not 0 <= i < 6 for i in c.layer_list()):
        raise ConfigError(f"--teacher_layers {c.teacher_layers!r}: the teacher has layers 0..5")
    for name in ("batch_size", "steps", "max_length", "log_every", "pairs_per_english"):
        if getattr(c, name) < 1:
            raise ConfigError(f"--{name} must be at least 1")
    if not 0 <= c.dropout < 1:
        raise ConfigError("--dropout must be in [0, 1)")
    if not 0 <= c.warmup < 1:
        raise ConfigError("--warmup is a fraction of the steps, in [0, 1)")
    if c.max_length < 3:
        raise ConfigError("--max_length must leave room for [CLS] and [SEP]")


def help_text() -> str:
    lines = ["options (--key value), with defaults:"]
    for f in dataclasses.fields(TrainConfig):
        default = f.default if f.default is not dataclasses.MISSING else field
        lines.append(f"  --{f.name:<18} {json.dumps(default)}")
    lines.append("presets: " + "; ".join(f"{k}: {v or '(the defaults)'}" for k, v in PRESETS.items()))
    return "\n".join(lines)
