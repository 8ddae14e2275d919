"""Building the student: from the teacher, or from random numbers.

On a CPU, a student trained from random initialisation barely leaves the
plateau of "predict the mean teacher vector" in 20 minutes. So, like the
published recipe, our student starts from a pretrained model, the teacher:

  * its Transformer layers: all six, or a subset (DistilBERT kept every other one);
  * its embedding table, carried into the student's multilingual vocabulary
    (vocabulary transfer): a token the teacher knows keeps the teacher's vector;
    a new token starts from the mean of the teacher's vectors of the pieces the
    teacher's tokenizer splits it into;
  * its position and token-type embeddings and the embedding LayerNorm.

With no teacher layers the student is "static": a bag of token embeddings,
mean-pooled and projected (the model2vec idea), the cheap baseline.

``build_student(config, tokenizer, items)`` does all of it for a training configuration:
the teacher's layers and transferred vocabulary, the new tokens fitted to the training
pairs (tinykd.align), and the output scaled to unit length on average.
"""

from __future__ import annotations

import numpy as np

import tinykd.align
from tinykd import backend
from tinykd.align import align_new_embeddings
from tinykd.cache import array_digest, cached, code_digest
from tinykd.config import TrainConfig
from tinykd.data.batching import pad
from tinykd.data.pairs import PairItems
from tinykd.data.tokenizer import SPECIAL_PIECES, teacher_ids_for_init
from tinykd.model import Encoder, EncoderConfig
from tinykd.teacher import load_teacher

SCALE_SENTENCES = 256   # training sentences on which an unnormalised student's output length is set to 1


def transfer_embeddings(teacher_table: np.ndarray, teacher_ids: list[list[int]]) -> np.ndarray:
    """Row i: the mean of the teacher's rows ``teacher_ids[i]`` (vocabulary transfer).

    teacher_table: (V_teacher, C)  ->  (V_student, C)
    """
    out = np.empty((len(teacher_ids), teacher_table.shape[1]), dtype=np.float32)
    for i, ids in enumerate(teacher_ids):
        out[i] = teacher_table[ids].mean(axis=0) if len(ids) else 0.0
    return out


def ffn_neurons_to_keep(intermediate_weight: np.ndarray, output_weight: np.ndarray, keep: int) -> np.ndarray:
    """The ``keep`` feed-forward neurons of a layer that carry the most weight, in their order.

    intermediate_weight: (F, C), row j reads neuron j's input; output_weight: (C, F), column j
    writes its output. A neuron's share: |row j| * |column j| (a neuron that reads little or
    writes little changes the layer's output little).
    """
    share = np.linalg.norm(intermediate_weight, axis=1) * np.linalg.norm(output_weight, axis=0)   # (F,)
    return np.sort(np.argsort(-share, kind="stable")[:keep])


def student_from_teacher(teacher: Encoder, teacher_ids: list[list[int]], layers: list[int],
                         max_position: int = 256, dropout: float = 0.1, normalize: bool = True,
                         intermediate_size: int | None = None) -> Encoder:
    """A student with the teacher's width, the chosen teacher layers, and a transferred vocabulary.

    ``teacher_ids[i]``: the teacher token ids whose vectors initialise student token i.
    With ``layers == []`` the student is static: embeddings, mean pooling and a
    dense projection (initialised to the identity) to the teacher's width.
    The student keeps the first ``max_position`` positions (256: what encode reads).
    ``normalize``: end in an L2 normalisation, as the teacher does; without it the
    student's length is free (then call :func:`scale_output` before training).
    ``intermediate_size``: keep only that many feed-forward neurons of each layer, those
    with the most weight (:func:`ffn_neurons_to_keep`): more layers for the same parameters.
    """
    tc = teacher.config
    config = EncoderConfig(
        vocab_size=len(teacher_ids), hidden_size=tc.hidden_size, num_layers=len(layers), num_heads=tc.num_heads,
        intermediate_size=min(intermediate_size or tc.intermediate_size, tc.intermediate_size),
        max_position=min(tc.max_position, max_position),
        type_vocab_size=tc.type_vocab_size,
        output_size=tc.hidden_size if not layers else None, normalize=normalize, layer_norm_eps=tc.layer_norm_eps,
        dropout=dropout)
    student = Encoder(config)
    t = teacher.state_dict()
    state = {}
    for name, value in t.items():
        if name == "embeddings.word_embeddings.weight":
            state[name] = transfer_embeddings(value, teacher_ids)
        elif name == "embeddings.position_embeddings.weight":
            state[name] = value[:config.max_position]
        elif name.startswith("embeddings."):
            state[name] = value
        elif name.startswith("encoder.layer."):
            index, rest = name[len("encoder.layer."):].split(".", 1)
            if int(index) in layers:
                state[f"encoder.layer.{layers.index(int(index))}.{rest}"] = value
    if not layers:
        state["projection.weight"] = np.eye(tc.hidden_size, dtype=np.float32)
        state["projection.bias"] = np.zeros(tc.hidden_size, dtype=np.float32)
    if config.intermediate_size < tc.intermediate_size:
        for i in range(len(layers)):
            prefix = f"encoder.layer.{i}."
            w_in, w_out = state[prefix + "intermediate.dense.weight"], state[prefix + "output.dense.weight"]
            kept = ffn_neurons_to_keep(w_in, w_out, config.intermediate_size)
            state[prefix + "intermediate.dense.weight"] = w_in[kept]                       # (F', C)
            state[prefix + "intermediate.dense.bias"] = state[prefix + "intermediate.dense.bias"][kept]
            state[prefix + "output.dense.weight"] = w_out[:, kept]                          # (C, F')
    student.load_state_dict(state)
    return student


def random_student(vocab_size: int, hidden_size: int, num_layers: int, num_heads: int, intermediate_size: int,
                   output_size: int, max_position: int = 512, dropout: float = 0.1, seed: int = 0,
                   normalize: bool = True) -> Encoder:
    """A student from BERT's random initialisation, projecting to the teacher's width if it differs."""
    backend.seed(seed)
    return Encoder(EncoderConfig(
        vocab_size=vocab_size, hidden_size=hidden_size, num_layers=num_layers, num_heads=num_heads,
        intermediate_size=intermediate_size, max_position=max_position,
        output_size=output_size if output_size != hidden_size or num_layers == 0 else None,
        normalize=normalize, dropout=dropout))


def scale_output(student: Encoder, input_ids, attention_mask) -> float:
    """Divide the student's last affine map by its mean output length on a batch; returns that length.

    The teacher's vectors have unit length. A student without a final normalisation
    starts from the teacher's layers, whose mean-pooled output is several units long,
    so its first MSE would be all about length. The student's output is linear in the
    last affine map before pooling (the projection of a static student, else the
    last block's output LayerNorm: pooled = gamma * mean(normalised rows) + beta),
    so dividing that map's weight and bias by the mean length s gives vectors of
    mean length 1 pointing where they pointed before. From there training sets the
    length of each vector: an unsure student is free to answer with a shorter one,
    which is what minimises the squared error (lesson 07).

    input_ids, attention_mask: (B, T) arrays of some training sentences.
    """
    if student.normalize is not None:
        raise ValueError("scale_output is for a student without a final normalisation")
    was_training = student.training
    student.eval()
    vectors = student(input_ids, attention_mask, keep_cache=False)            # (B, D)
    student.train(was_training)
    length = float(backend.xp.linalg.norm(vectors, axis=1).mean())
    if student.projection is not None:
        last = student.projection
    else:
        last = student.encoder.blocks[-1].output.LayerNorm
    for name in ("weight", "bias"):
        last.params[name] /= length
    return length


def cached_alignment(config: TrainConfig, tokenizer, table: np.ndarray, items: PairItems) -> np.ndarray:
    """``align_new_embeddings`` of the transferred ``table`` (V, C) to the training pairs ``items``, with
    the config's ridge, ``align_max_tokens`` and ``align_max_pairs``: from the start-up cache
    (tinykd.cache) when it holds the fit of these very inputs (the sha256 of the table, of the pairs'
    ids and of tinykd.align's source), else fitted and cached. -> (V, C) float32"""
    pieces = tokenizer.get_vocab()
    special = [pieces[t] for t in SPECIAL_PIECES if t in pieces]
    options = {"ridge": config.align_ridge, "max_tokens": config.align_max_tokens,
               "max_pairs": config.align_max_pairs, "keep_ids": special}
    inputs = {"table": array_digest({"table": table}), "pairs": array_digest(items.to_arrays()),
              "code": code_digest(tinykd.align)}

    def fit() -> dict[str, np.ndarray]:
        aligned, _ = align_new_embeddings(table, items.english_ids, items.translation_ids, **options)
        return {"table": aligned}

    return cached("align", options | inputs, inputs, fit)["table"]     # a pure function: its inputs name it


def build_student(config: TrainConfig, tokenizer, items: PairItems | None = None) -> Encoder:
    """The student of ``config``; with ``embed_init="aligned"`` its new tokens are fitted to the
    training pairs ``items`` by least squares (tinykd.align) before the first step, and without
    a final normalisation its output is scaled to unit length on average (:func:`scale_output`).
    ``items=None`` (a run about to load its checkpoint): neither fit is made."""
    backend.seed(config.seed)
    vocab = tokenizer.get_vocab_size()
    if config.init == "random":
        student = random_student(vocab, config.hidden_size, config.num_layers, config.num_heads,
                                 config.intermediate_size, output_size=384, dropout=config.dropout,
                                 seed=config.seed, normalize=config.normalize)
    else:
        student = student_from_teacher(load_teacher().model, teacher_ids_for_init(tokenizer), config.layer_list(),
                                       dropout=config.dropout, normalize=config.normalize,
                                       intermediate_size=config.intermediate_size)
    if config.init == "teacher" and config.embed_init == "aligned" and items is not None:
        words = student.embeddings.word_embeddings.params["weight"]
        words[...] = backend.asarray(cached_alignment(config, tokenizer, backend.to_numpy(words), items))
    if not config.normalize and items is not None:
        ids, mask = pad(items.english_ids[:SCALE_SENTENCES])                     # (n, T)
        scale_output(student, backend.asarray(ids.astype(np.int64)), backend.asarray(mask.astype(np.int64)))
    return student
