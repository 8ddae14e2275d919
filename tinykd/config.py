"""The training configuration: a dataclass of defaults, presets, and checked overrides.

    python -m tinykd.train --preset tiny --lr 3e-4 --num_layers 2

Every field can be overridden with ``--name value`` (or ``--name=value``); the
value is converted to the field's type and refused if it does not fit; an
unknown name is refused. Then every value is checked against what it may be
(:func:`validate`: a learning rate > 0 and finite, ``max_length`` up to 256, ...),
so a bad setting stops the trainer before its start-up, with a message that names
it and the allowed range. The resolved config is written to ``config.json`` in
the run directory, seed included; ``--resume`` reads it back through the same checks.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field

from tinykd.data.tokenizer import MAX_SEQ_LENGTH


@dataclass
class TrainConfig:
    """What a run does. Why each default is what it is, measured: docs/experiments.md."""

    # -- the student ------------------------------------------------------------------
    init: str = "teacher"            # "teacher": layers and vocabulary-transferred embeddings; "random"
    teacher_layers: str = "0,5"      # which teacher layers the student keeps (init=teacher); "" = none (static)
    embed_init: str = "aligned"      # init=teacher: "aligned" fits new tokens by least squares (tinykd.align);
                                     # "transfer": the mean of the teacher's pieces only
    align_ridge: float = 0.01        # pull of a rarely seen new token towards its transferred vector
    align_max_tokens: int = 16000    # fit the new tokens this many at a time, the most used first, each block
                                     # given those before it (0: all at once; the solve's time grows as the cube
                                     # of this; with 49,000 pieces the drawn pairs use ~29,000 new ones; 24000
                                     # until 2026-12-06: the same accuracy, 15 s more start-up, 0.6 GB more)
    align_max_pairs: int = 0         # sum the fit's normal equations over at most this many of the drawn pairs,
                                     # evenly spaced (0: all); their time grows with this (100k of 200k: 2 points
                                     # less dev accuracy untrained, benchmarks/README.md)
    num_layers: int = 3              # init=random only (with init=teacher: len(teacher_layers))
    hidden_size: int = 384           # init=random only (with init=teacher: the teacher's width)
    num_heads: int = 12              # init=random only
    intermediate_size: int = 768     # feed-forward width; with init=teacher, below the teacher's 1536 keeps
                                     # each layer's neurons with the most weight (tinykd.student); 1536 until
                                     # 2026-12-07 (evening): half the neurons make a step of 96 pairs as fast as
                                     # one of 64 was, 1.5x the pairs in the same time (docs/experiments.md)
    max_length: int = 128            # tokens per sentence in training (longer ones are truncated)
    dropout: float = 0.0             # dropout in training
    normalize: bool = False          # true: end the student in an L2 normalisation, as the teacher does; false:
                                     # leave its length free, as the paper's students (an unsure student
                                     # answers with a shorter vector)
    separate_length: bool = True     # without the normalisation: learn each vector's direction as a unit-length
                                     # student does and its length by its own MSE, instead of both from the
                                     # plain MSE (tinykd.loss; with --normalize true it changes nothing)
    # -- optimisation ---------------------------------------------------------------------
    batch_size: int = 96             # pairs per step (English sentence + translation); 32 until 2026-12-07, 64
                                     # until that evening: a step's fixed part (AdamW over the layers, the
                                     # retrieval term's gathers) is shared by more pairs (docs/experiments.md)
    pairs_per_english: int = 4       # up to this many pairs of one English sentence share a batch, which
                                     # encodes that sentence once for all of them (1: pairs drawn apart)
    translation_weight: float = 2.0  # w in L = MSE(S(en), T) + w MSE(S(xx), T); 1 = the paper's loss
    retrieval_weight: float = 0.003  # lambda of an added retrieval term on the translations
                                     # (tinykd.loss.retrieval_loss): each must pick its own teacher vector
                                     # among retrieval_negatives others (0: the MSE alone)
    retrieval_negatives: int = 4096  # teacher vectors drawn at random from the training set, per step
    retrieval_in_domain: bool = True  # draw each translation's negatives from its own folder's English (a Bible
                                     # verse's among Bible verses, as in a test set); false: from the whole
                                     # training set (until 2026-12-06: 1 point less on the twelve domains)
    retrieval_scale: float = 20.0    # cosine logits' scale (1 / temperature)
    lr: float = 1e-3                 # peak learning rate
    embedding_lr_scale: float = 3.0  # the word-embedding table's Adam step, as a multiple of the layers' (its
                                     # decay unchanged): most of the table is the new tokens, which only the
                                     # translations reach (1 until 2026-12-07: 1.1 points less on the twelve
                                     # domains, the translations' MSE further from the English side's)
    warmup: float = 0.05             # fraction of the steps spent warming up
    weight_decay: float = 0.01
    adam_beta2: float = 0.999        # Adam's second-moment decay (g^2 averaged over ~1 / (1 - beta2) steps); 0.98: 1.0
                                     # point lower on the twelve domains, the held-out books -1.3: a rarely used
                                     # word-table row's step shrinks 4x (docs/experiments.md, "Adam's beta2")
    lazy_embeddings: bool = True     # update only the embedding rows a batch used (lazy Adam: tinykd.optim);
                                     # false: every row every step, as dense AdamW (the default until 2026-12-06)
    clip: float = 1.0                # global gradient-norm clip (0: off)
    steps: int = 2790                # optimisation steps: the time of 2820 steps of 64 pairs with the whole
                                     # feed-forward width (378 against 374 ms a step, side by side), which held the
                                     # time of the 4800 steps of 32 pairs before (what 20 minutes held on the EPYC
                                     # machines, 19-28 min on 2 cores), with thirteen domains evaluated, the Bible's
                                     # long verses among the pairs, FreeDict's short words not, lazy Adam, the
                                     # layers on the real tokens only (tinykd.nn.packing): docs/experiments.md
    # -- bookkeeping -------------------------------------------------------------------------
    eval_every: int = 500            # steps between dev evaluations, and one before the first (0: only at the end)
    eval_pairs: int = 30             # dev pairs per language in those evaluations (each of the thirteen domains'
                                     # evaluations takes about 13 s with 30 pairs a language, 20 s with 50)
    checkpoint_every: int = 250      # steps between checkpoints (each writes 230 MB: about 1.6 s)
    log_every: int = 10
    test_eval: bool = True           # evaluate on the test split at the end
    seed: int = 0
    threads: int = 0                 # threads for BLAS and the elementwise passes (tinykd.parallel); 0: every
                                     # core this process may use. Any count gives the same weights, except
                                     # that BLAS's own rounding varies with its thread count (~1e-7)
    data_dir: str = ""               # "" = the shipped data/
    extra_data: str = "shipped"      # comma-separated corpus folders whose training pairs join the data dir's
                                     # own (the help pages); a bare name is a folder in the data dir ("bible":
                                     # data/bible); "shipped": the shipped mix's (data/firefox, gimp, debref,
                                     # games, cldr, wesnoth, biblepd, cataclysm, everyday, freedroid; not
                                     # --eval_data's); "all": every folder in the data dir; "": none
    eval_data: str = "shipped"       # comma-separated corpus folders evaluated as domains of their own (dev curves,
                                     # test table) and not trained on (--extra_data's "shipped" and "all" leave
                                     # them out): the weights are those of the same run without them. "shipped":
                                     # the shipped folders scored but not trained on (data/freedict's words, which
                                     # cost the sentences a point, and data/freeciv's prose, never seen by a
                                     # default run; --extra_data shipped,freedict trains on the words)
    sample_alpha: float = 0.5        # temperature sampling over the (corpus folder, language) groups of training
                                     # pairs: a group of n pairs gets a share of the epoch proportional to
                                     # n^alpha (1: every pair once; 0.3: small groups seen far more often)
    sample_weights: str = "everyday=10,biblepd=2.5"   # "folder=factor,...": a folder's groups get factor times
                                     # their share above (a name of --extra_data's folders, or libreoffice for the
                                     # help pages). data/everyday's 8,600 German sentences at ten times their share:
                                     # 5% of the draw; the Bible's verses at 2.5 times theirs, 19% (twice until
                                     # 2026-12-07, the second session after the night: the held-out books 59.4 ->
                                     # 61.5; docs/experiments.md, "Everyday sentences", "The Bible at 2.5 times its
                                     # share"); a run without a folder skips its factor; a value of your own
                                     # replaces it ("everyday=10,gimp=2")
    max_pairs: int = 350_000         # the run draws at most this many training pairs (by the sampling above)
                                     # before tokenising them; the alignment fit and every epoch use them
                                     # (0: all), so the start-up does not grow with the data. 350,000 since
                                     # 2026-12-07 (200,000 before): the run's 267,840 pair slots see three in four
                                     # of them once, not each 1.34 times (docs/experiments.md, "350,000 pairs")
    langs: str = ""                  # comma-separated subset of languages; "" = all (an --extra_data
                                     # folder's own languages included)
    preset: str = "default"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def layer_list(self) -> list[int]:
        return teacher_layer_list(self.teacher_layers)


# Presets: a starting point that --key value overrides refine.
PRESETS = {
    # about a minute on 2 cores: for lessons and tests
    "tiny": dict(teacher_layers="0", steps=40, batch_size=8, max_length=32, eval_every=20, eval_pairs=40,
                 checkpoint_every=20, log_every=5, test_eval=False, warmup=0.1, lr=2e-4,
                 extra_data="", eval_data="", max_pairs=20_000, align_max_tokens=4000),   # help pages, 20k pairs
    # the README's default run: 25-36 minutes on 2 CPU cores, every shipped domain
    "default": dict(),
    # best quality: every shipped domain and the Bible for general text (build it first: python -m tinykd.data
    # bible); the default's student (narrow layers, 96 pairs a step) for 10,000 steps, 3.6x the default's pair
    # slots, from 1,000,000 drawn pairs: 1 h 36 min on 2 CPU cores (2026-12-07, measured alone), on the eleven
    # domains other than the help pages 6.1 points above the default (72.5 against 66.3), Freeciv's unseen prose
    # +4.6, the Bible's held-out books 80.1 (docs/experiments.md#the-long-preset); measured with the public-domain
    # Bible at twice its share, which it keeps (its own --extra_data bible brings every edition's training books)
    "long": dict(steps=10_000, extra_data="shipped,bible", max_pairs=1_000_000, eval_every=1000,
                 sample_weights="everyday=10,biblepd=2"),
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


# What each number may be; every range is also stated in the message that refuses a value.
POSITIVE = ("lr", "embedding_lr_scale", "translation_weight", "retrieval_scale", "align_ridge")   # finite, > 0
NOT_NEGATIVE = ("retrieval_weight", "weight_decay", "clip")                                # finite, >= 0
FRACTIONS = ("dropout", "warmup")                                                          # in [0, 1)
AT_LEAST_ONE = ("batch_size", "steps", "log_every", "pairs_per_english", "checkpoint_every", "eval_pairs",
                "hidden_size", "num_heads", "intermediate_size")
AT_LEAST_ZERO = ("eval_every", "retrieval_negatives", "num_layers", "seed", "threads")
TEACHER_LAYERS = 6                       # all-MiniLM-L6-v2: layers 0..5


def _check_types(c: TrainConfig) -> None:
    """Each field holds a value of its type (a config.json or keyword overrides skip --key parsing)."""
    kinds = {"int": int, "float": (int, float), "str": str, "bool": bool}
    for f in dataclasses.fields(TrainConfig):
        value = getattr(c, f.name)
        if isinstance(value, bool) != (f.type == "bool") or not isinstance(value, kinds[f.type]):
            raise ConfigError(f"--{f.name} expects {f.type}, got {value!r}")


def comma_list(text: str) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``: a comma-separated setting (folders, languages), blanks dropped."""
    return [x.strip() for x in text.split(",") if x.strip()]


def sample_weight_factors(text: str) -> dict[str, float]:
    """``"wordnet=8, gimp=0.5"`` -> ``{"wordnet": 8.0, "gimp": 0.5}`` (--sample_weights); each factor finite
    and > 0, each folder named once."""
    factors = {}
    for item in comma_list(text):
        name, equals, value = (x.strip() for x in item.partition("="))
        try:
            factor = float(value) if equals and name else math.nan
        except ValueError:
            factor = math.nan
        if not (math.isfinite(factor) and factor > 0) or name in factors:
            raise ConfigError(f"--sample_weights expects folder=factor pairs, each folder once and each factor a "
                              f"finite number > 0 (e.g. wordnet=8,gimp=0.5), got {text!r}")
        factors[name] = factor
    return factors


def teacher_layer_list(text: str) -> list[int]:
    """``"0,5"`` -> ``[0, 5]``: a comma list of distinct teacher layers 0..5 ("" = none)."""
    allowed = (f"--teacher_layers must be a comma list of distinct integers 0..{TEACHER_LAYERS - 1} "
               f"(the teacher's layers; \"\" for none), got {text!r}")
    try:
        layers = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(allowed) from None
    if any(not 0 <= i < TEACHER_LAYERS for i in layers):
        raise ConfigError(f"{allowed}: the teacher has layers 0..{TEACHER_LAYERS - 1}")
    if len(set(layers)) != len(layers):
        raise ConfigError(allowed)
    return layers


def validate(c: TrainConfig) -> None:
    """Refuse a configuration that cannot train as asked, before anything starts: the message
    names the setting and what it may be."""
    _check_types(c)
    if c.init not in ("teacher", "random"):
        raise ConfigError(f"--init must be 'teacher' or 'random', got {c.init!r}")
    if c.embed_init not in ("aligned", "transfer"):
        raise ConfigError(f"--embed_init must be 'aligned' or 'transfer', got {c.embed_init!r}")
    for name in POSITIVE:
        value = getattr(c, name)
        if not (math.isfinite(value) and value > 0):
            raise ConfigError(f"--{name} must be positive (a finite number > 0), got {value!r}")
    for name in NOT_NEGATIVE:
        value = getattr(c, name)
        if not (math.isfinite(value) and value >= 0):
            raise ConfigError(f"--{name} must be a finite number >= 0, got {value!r}")
    for name in FRACTIONS:
        value = getattr(c, name)
        if not 0 <= value < 1:
            what = "a fraction of the steps" if name == "warmup" else "a probability"
            raise ConfigError(f"--{name} must be in [0, 1) ({what}), got {value!r}")
    for name in AT_LEAST_ONE:
        if getattr(c, name) < 1:
            raise ConfigError(f"--{name} must be at least 1, got {getattr(c, name)}")
    for name in AT_LEAST_ZERO:
        if getattr(c, name) < 0:
            raise ConfigError(f"--{name} must be at least 0, got {getattr(c, name)}")
    if c.max_pairs < 0 or c.align_max_tokens < 0 or c.align_max_pairs < 0:
        raise ConfigError(f"--max_pairs, --align_max_tokens and --align_max_pairs must be at least 0 (0: no limit), "
                          f"got {c.max_pairs}, {c.align_max_tokens} and {c.align_max_pairs}")
    if not (math.isfinite(c.adam_beta2) and 0 < c.adam_beta2 < 1):
        raise ConfigError(f"--adam_beta2 must be in (0, 1) (Adam's second-moment decay), got {c.adam_beta2!r}")
    if not (math.isfinite(c.sample_alpha) and 0 <= c.sample_alpha <= 1):
        raise ConfigError(f"--sample_alpha must be in [0, 1] (1: every pair once), got {c.sample_alpha!r}")
    sample_weight_factors(c.sample_weights)
    if not 3 <= c.max_length <= MAX_SEQ_LENGTH:
        raise ConfigError(f"--max_length must be 3..{MAX_SEQ_LENGTH} tokens ([CLS] and [SEP] included; "
                          f"{MAX_SEQ_LENGTH} is the most a tinykd model reads), got {c.max_length}")
    if c.pairs_per_english > c.batch_size:
        raise ConfigError(f"--pairs_per_english cannot exceed --batch_size ({c.batch_size}), got {c.pairs_per_english}")
    teacher_layer_list(c.teacher_layers)
    evaluated, trained = set(comma_list(c.eval_data)), set(comma_list(c.extra_data))
    if "all" in evaluated:
        raise ConfigError(f"--eval_data names corpus folders or 'shipped', not 'all', got {c.eval_data!r}")
    evaluated -= {"shipped"}                          # a folder --extra_data names itself is trained on
    if trained & evaluated:
        raise ConfigError(f"--eval_data {','.join(sorted(trained & evaluated))} is also in --extra_data: a folder "
                          "is either trained on and evaluated (--extra_data) or only evaluated (--eval_data)")
    if c.init == "random" and c.hidden_size % c.num_heads:
        raise ConfigError(f"--hidden_size ({c.hidden_size}) must be divisible by --num_heads ({c.num_heads}) "
                          "with --init random: each head gets hidden_size / num_heads dimensions")


# A config.json written before one of these settings existed ran without it: when it is absent, the run is
# resumed as it was trained (the trainer's code then), not with today's default.
BEFORE_IT_EXISTED = {"retrieval_weight": 0.0, "pairs_per_english": 1, "separate_length": False,
                     "sample_weights": "", "lazy_embeddings": False, "retrieval_in_domain": False,
                     "embedding_lr_scale": 1.0}


def config_from_file(values, where) -> TrainConfig:
    """The TrainConfig a run saved (its config.json, read as ``values``), checked as a new one is;
    ``where`` (the file) starts every message. A setting the file lacks gets its default, or the value
    of the code before it existed (:data:`BEFORE_IT_EXISTED`)."""
    if not isinstance(values, dict):
        raise ConfigError(f"{where} does not hold a training configuration (a JSON object)")
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{where} has settings this tinykd does not know: {unknown}")
    config = TrainConfig(**{**BEFORE_IT_EXISTED, **values})
    try:
        validate(config)
    except ConfigError as err:
        raise ConfigError(f"{where}: {err}") from None
    return config


def help_text() -> str:
    lines = ["options (--key value), with defaults:"]
    for f in dataclasses.fields(TrainConfig):
        default = f.default if f.default is not dataclasses.MISSING else field
        lines.append(f"  --{f.name:<18} {json.dumps(default)}")
    lines.append("presets: " + "; ".join(f"{k}: {v or '(the defaults)'}" for k, v in PRESETS.items()))
    return "\n".join(lines)
