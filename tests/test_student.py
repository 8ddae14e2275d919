"""Students cut from a teacher: layers, vocabulary transfer, and feed-forward neurons kept by weight."""

from __future__ import annotations

import numpy as np

from tinykd import backend
from tinykd.gradcheck import randomize_parameters
from tinykd.model import Encoder, EncoderConfig
from tinykd.student import ffn_neurons_to_keep, student_from_teacher

TEACHER = dict(vocab_size=20, hidden_size=12, num_layers=3, num_heads=3, intermediate_size=16, max_position=16,
               dropout=0.0)


def _teacher(seed=0):
    backend.seed(seed)
    teacher = Encoder(EncoderConfig(**TEACHER)).eval()
    randomize_parameters(teacher, np.random.default_rng(seed))
    return teacher


def _batch():
    ids = np.random.default_rng(5).integers(0, TEACHER["vocab_size"], (4, 6))
    mask = np.ones_like(ids)
    mask[1, 3:] = 0
    return backend.asarray(ids), backend.asarray(mask)


def test_neurons_kept_are_those_with_the_most_weight_in_order():
    w_in = np.ones((5, 3))
    w_out = np.ones((3, 5))
    w_out[:, 1] = 0.1                          # neuron 1 writes little
    w_in[3] = 0.2                              # neuron 3 reads little
    np.testing.assert_array_equal(ffn_neurons_to_keep(w_in, w_out, 3), [0, 2, 4])


def test_a_student_keeping_every_neuron_is_the_teacher_cut_to_its_layers():
    teacher = _teacher()
    identity = [[i] for i in range(TEACHER["vocab_size"])]
    full = student_from_teacher(teacher, identity, [0, 1, 2], dropout=0.0).eval()
    same = student_from_teacher(teacher, identity, [0, 1, 2], dropout=0.0, intermediate_size=16).eval()
    ids, mask = _batch()
    np.testing.assert_allclose(backend.to_numpy(full(ids, mask)), backend.to_numpy(teacher(ids, mask)), atol=1e-6)
    np.testing.assert_array_equal(backend.to_numpy(same(ids, mask)), backend.to_numpy(full(ids, mask)))


def test_dropping_neurons_that_write_nothing_changes_nothing():
    """Half of each layer's neurons have a zero output column: a student keeping the other half
    (8 of 16) computes exactly what the whole layers compute."""
    teacher = _teacher()
    for block in teacher.encoder.blocks:
        block.output.dense.params["weight"][:, 1::2] = 0.0
    identity = [[i] for i in range(TEACHER["vocab_size"])]
    full = student_from_teacher(teacher, identity, [0, 2], dropout=0.0).eval()
    half = student_from_teacher(teacher, identity, [0, 2], dropout=0.0, intermediate_size=8).eval()
    assert half.config.intermediate_size == 8
    assert half.num_parameters() < full.num_parameters()
    ids, mask = _batch()
    np.testing.assert_allclose(backend.to_numpy(half(ids, mask)), backend.to_numpy(full(ids, mask)), atol=1e-6)
