"""The distillation objective, the optimiser, the config, and the training loop."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from tiny_corpus import make_tiny_data

from tinykd import backend, runs
from tinykd.config import ConfigError, TrainConfig, make_config, parse_overrides
from tinykd.gradcheck import numerical_gradient, rel_error
from tinykd.loss import (
    distillation_loss,
    distillation_loss_direction_length,
    distillation_loss_grouped,
    distillation_loss_stacked,
    mse,
    retrieval_loss,
)
from tinykd.optim import AdamW, clip_grad_norm, learning_rate, no_decay

# -- the loss ---------------------------------------------------------------------------

def test_mse_gradient_is_checked_numerically(float64):
    rng = np.random.default_rng(0)
    pred, target = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    loss, grad = mse(pred, target)
    assert np.isclose(loss, ((pred - target) ** 2).mean())
    numeric = numerical_gradient(lambda: mse(pred, target)[0], pred)
    assert rel_error(grad, numeric) < 1e-8


def test_distillation_loss_pulls_both_sides_to_the_english_teacher_vector(float64):
    rng = np.random.default_rng(1)
    student, teacher = rng.standard_normal((6, 5)), rng.standard_normal((3, 5))
    loss, loss_en, loss_xx, dstudent = distillation_loss_stacked(student, teacher)
    assert np.isclose(loss, ((student[:3] - teacher) ** 2).mean() + ((student[3:] - teacher) ** 2).mean())
    assert np.isclose(loss, loss_en + loss_xx)
    numeric = numerical_gradient(lambda: distillation_loss_stacked(student, teacher)[0], student)
    assert rel_error(dstudent, numeric) < 1e-8
    assert distillation_loss(teacher, teacher, teacher)[0] == 0.0


def test_grouped_loss_is_the_pairwise_loss_with_each_english_encoded_once(float64):
    """Three English sentences with 2, 0 and 3 translations: the grouped loss and gradient
    equal the pairwise ones on the layout that repeats each English row once per pair."""
    rng = np.random.default_rng(2)
    english, translations = rng.standard_normal((3, 5)), rng.standard_normal((5, 5))
    teacher = rng.standard_normal((3, 5))
    english_of = np.array([2, 0, 2, 0, 2])
    student = np.concatenate([english, translations])
    loss, loss_en, loss_xx, dstudent = distillation_loss_grouped(student, teacher, english_of)

    pairwise = np.concatenate([english[english_of], translations])
    ref_loss, ref_en, ref_xx, ref_d = distillation_loss_stacked(pairwise, teacher[english_of])
    assert np.allclose([loss, loss_en, loss_xx], [ref_loss, ref_en, ref_xx])
    expected_d_english = np.zeros_like(english)
    np.add.at(expected_d_english, english_of, ref_d[:5])          # a repeated row's gradients add up
    assert np.allclose(dstudent[:3], expected_d_english) and not dstudent[1].any()
    assert np.allclose(dstudent[3:], ref_d[5:])
    numeric = numerical_gradient(lambda: distillation_loss_grouped(student, teacher, english_of)[0], student)
    assert rel_error(dstudent, numeric) < 1e-8
    one_each = distillation_loss_grouped(np.concatenate([english, translations[:3]]), teacher, np.arange(3))
    assert np.isclose(one_each[0], distillation_loss_stacked(np.concatenate([english, translations[:3]]), teacher)[0])


def test_translation_weight_scales_the_translation_side_only(float64):
    rng = np.random.default_rng(3)
    student, teacher, english_of = rng.standard_normal((5, 4)), rng.standard_normal((2, 4)), np.array([0, 1, 1])
    plain = distillation_loss_grouped(student, teacher, english_of)
    loss, loss_en, loss_xx, dstudent = distillation_loss_grouped(student, teacher, english_of, 2.5)
    assert np.allclose([loss_en, loss_xx], plain[1:3]) and np.isclose(loss, loss_en + 2.5 * loss_xx)
    assert np.allclose(dstudent[:2], plain[3][:2]) and np.allclose(dstudent[2:], 2.5 * plain[3][2:])
    numeric = numerical_gradient(lambda: distillation_loss_grouped(student, teacher, english_of, 2.5)[0], student)
    assert rel_error(dstudent, numeric) < 1e-8


def test_direction_and_length_apart_is_the_gradient_of_its_loss_with_the_direction_held(float64):
    """L = L_grouped(x/|x|) + L_grouped(|x| sg(x/|x|)): checked numerically with the second
    term's direction frozen at the point; along x it is the plain MSE's pull, across x the
    unit-length student's."""
    rng = np.random.default_rng(6)
    student = rng.standard_normal((5, 4)) * rng.uniform(0.3, 2.0, (5, 1))
    teacher = rng.standard_normal((2, 4))
    teacher /= np.linalg.norm(teacher, axis=1, keepdims=True)
    english_of = np.array([0, 1, 1])
    loss, loss_en, loss_xx, dstudent = distillation_loss_direction_length(student, teacher, english_of, 2.0)

    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)
    frozen = unit(student.copy())
    def value():
        length = np.linalg.norm(student, axis=1, keepdims=True)
        return (distillation_loss_grouped(unit(student), teacher, english_of, 2.0)[0]
                + distillation_loss_grouped(length * frozen, teacher, english_of, 2.0)[0])
    assert np.isclose(loss, value())
    assert rel_error(dstudent, numerical_gradient(value, student)) < 1e-8
    plain = distillation_loss_grouped(student, teacher, english_of, 2.0)
    assert np.allclose([loss_en, loss_xx], plain[1:3])                 # the output's MSE, as evaluated
    q = unit(student)
    along = lambda d: (d * q).sum(axis=1)
    assert np.allclose(along(dstudent), along(plain[3]))              # the length: the plain MSE's pull


def test_direction_and_length_apart_is_the_plain_gradient_for_unit_vectors(float64):
    """A unit-length student has no length to learn: its rotating part is the plain loss's, and
    its part along the vector is the plain loss's too (which the normalisation then removes)."""
    rng = np.random.default_rng(8)
    student = rng.standard_normal((5, 4))
    student /= np.linalg.norm(student, axis=1, keepdims=True)
    teacher, english_of = rng.standard_normal((2, 4)), np.array([1, 1, 0])
    apart = distillation_loss_direction_length(student, teacher, english_of, 2.0)
    plain = distillation_loss_grouped(student, teacher, english_of, 2.0)
    np.testing.assert_allclose(apart[3], plain[3], atol=1e-15)


def test_direction_and_length_apart_leaves_a_length_equal_to_the_cosine(float64):
    """At r = cos(x, t) the length has nothing left to learn: the gradient is all rotation."""
    rng = np.random.default_rng(7)
    teacher = rng.standard_normal((3, 6))
    teacher /= np.linalg.norm(teacher, axis=1, keepdims=True)
    english_of = np.array([2, 0, 0])
    direction = rng.standard_normal((6, 6))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    targets = np.concatenate([teacher, teacher[english_of]])
    cosine = (direction * targets).sum(axis=1, keepdims=True)
    direction *= np.sign(cosine)                                       # a positive cosine: a positive length
    student = direction * np.abs(cosine)
    d = distillation_loss_direction_length(student, teacher, english_of)[3]
    assert np.allclose((d * student).sum(axis=1), 0.0)
    assert np.abs(d).max() > 1e-3


def test_retrieval_loss_is_cross_entropy_over_cosines_and_gradient_checked(float64):
    rng = np.random.default_rng(4)
    rows = rng.standard_normal((4, 6)) * rng.uniform(0.5, 3.0, (4, 1))        # any length: it is normalised
    candidates = rng.standard_normal((7, 6))
    candidates /= np.linalg.norm(candidates, axis=1, keepdims=True)
    positive = np.array([0, 3, 3, 6])
    exclude = np.zeros((4, 7), dtype=bool)
    exclude[1, 5] = exclude[3, 0] = True
    loss, drows = retrieval_loss(rows, candidates, positive, scale=5.0, exclude=exclude)

    cos = (rows / np.linalg.norm(rows, axis=1, keepdims=True)) @ candidates.T
    expected = 0.0
    for r in range(4):
        kept = [j for j in range(7) if not exclude[r, j]]
        expected += np.log(np.exp(5.0 * cos[r, kept]).sum()) - 5.0 * cos[r, positive[r]]
    assert np.isclose(loss, expected / 4)
    numeric = numerical_gradient(lambda: retrieval_loss(rows, candidates, positive, 5.0, exclude)[0], rows)
    assert rel_error(drows, numeric) < 1e-8
    assert np.allclose((drows * rows).sum(axis=1), 0.0)     # scale-free: no gradient along a row itself


def test_retrieval_loss_is_small_when_each_row_is_its_own_candidate(float64):
    rng = np.random.default_rng(5)
    candidates = rng.standard_normal((5, 16))
    candidates /= np.linalg.norm(candidates, axis=1, keepdims=True)
    right = retrieval_loss(3.0 * candidates, candidates, np.arange(5), scale=20.0)[0]
    wrong = retrieval_loss(3.0 * candidates, candidates, np.roll(np.arange(5), 1), scale=20.0)[0]
    assert right < 0.1 < 5.0 < wrong


def test_whole_student_with_the_loss_is_gradient_checked(float64):
    """The loss on top of the encoder: the gradient of L itself, through every layer."""
    from tinykd.gradcheck import randomize_parameters
    from tinykd.model import Encoder, EncoderConfig
    model = Encoder(EncoderConfig(vocab_size=17, hidden_size=8, num_layers=1, num_heads=2, intermediate_size=16,
                                  max_position=8, dropout=0.0, output_size=5))
    randomize_parameters(model, 2, std=0.3)
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 17, (4, 5))                  # 2 English + 2 translations
    mask = (np.arange(5)[None] < np.array([[5], [3], [4], [1]])).astype(np.int64)
    teacher = rng.standard_normal((2, 5))
    teacher /= np.linalg.norm(teacher, axis=1, keepdims=True)

    def loss():
        return distillation_loss_stacked(model(ids, mask), teacher)[0]

    model.zero_grad()
    model.backward(distillation_loss_stacked(model(ids, mask), teacher)[3])
    for name, param in model.parameters().items():
        numeric = numerical_gradient(loss, param)
        analytic = model.gradients()[name]
        if name.endswith("key.bias"):
            assert np.abs(analytic).max() < 1e-12
            continue
        assert rel_error(analytic, numeric) < 1e-6, name


# -- the optimiser ------------------------------------------------------------------------

def test_adamw_first_step_by_hand():
    p = {"dense.weight": np.array([1.0, -2.0]), "dense.bias": np.array([0.5])}
    g = {"dense.weight": np.array([0.1, 0.2]), "dense.bias": np.array([-0.3])}
    opt = AdamW(p, lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.5)
    opt.step(g)
    # step 1: m_hat = g, v_hat = g^2, so the Adam update is lr * sign(g); decay on the weight only
    np.testing.assert_allclose(p["dense.weight"], np.array([1.0, -2.0]) * (1 - 0.1 * 0.5) - 0.1, rtol=1e-6)
    np.testing.assert_allclose(p["dense.bias"], [0.5 + 0.1], rtol=1e-6)


def test_adamw_state_round_trip():
    rng = np.random.default_rng(0)
    p = {"w": rng.standard_normal(3)}
    opt = AdamW(p, lr=0.01)
    for _ in range(3):
        opt.step({"w": rng.standard_normal(3)})
    q = {"w": p["w"].copy()}
    again = AdamW(q, lr=0.01)
    again.load_state_dict({k: v.copy() for k, v in opt.state_dict().items()})
    g = {"w": rng.standard_normal(3)}
    opt.step(g)
    again.step(g)
    np.testing.assert_array_equal(p["w"], q["w"])


def test_lazy_adamw_moves_only_the_rows_used_and_those_as_dense_adamw():
    rng = np.random.default_rng(0)
    table = rng.standard_normal((6, 3))
    lazy, dense = {"word.weight": table.copy()}, {"word.weight": table.copy()}
    opt_lazy, opt_dense = AdamW(lazy, lr=0.1, weight_decay=0.5), AdamW(dense, lr=0.1, weight_decay=0.5)
    used = np.array([1, 4])
    for _ in range(3):
        g = np.zeros((6, 3))
        g[used] = rng.standard_normal((2, 3))            # an embedding's gradient: zero off the rows used
        opt_lazy.step({"word.weight": g}, rows={"word.weight": used})
        opt_dense.step({"word.weight": g})
    np.testing.assert_array_equal(lazy["word.weight"][used], dense["word.weight"][used])
    unused = [0, 2, 3, 5]
    np.testing.assert_array_equal(lazy["word.weight"][unused], table[unused])     # no decay, no momentum
    assert not np.allclose(dense["word.weight"][unused], table[unused])          # dense AdamW decays them
    assert not opt_lazy.m["word.weight"][unused].any() and not opt_lazy.v["word.weight"][unused].any()


@pytest.mark.parametrize("lazy", [True, False])
def test_a_step_scale_multiplies_that_parameters_adam_step_and_not_its_decay(lazy):
    rng = np.random.default_rng(1)
    start = {"word.weight": rng.standard_normal((5, 3)), "dense.weight": rng.standard_normal((2, 3))}
    plain = {k: v.copy() for k, v in start.items()}
    scaled = {k: v.copy() for k, v in start.items()}
    opt_plain = AdamW(plain, lr=0.01, weight_decay=0.5)
    opt_scaled = AdamW(scaled, lr=0.01, weight_decay=0.5, step_scales={"word.weight": 3.0})
    used = np.array([0, 3])
    rows = {"word.weight": used} if lazy else None
    for _ in range(4):
        g = {"word.weight": np.zeros((5, 3)), "dense.weight": rng.standard_normal((2, 3))}
        g["word.weight"][used] = rng.standard_normal((2, 3))
        decayed = {k: v * (1 - 0.01 * 0.5) for k, v in plain.items()}        # the decay alone, before the step
        opt_plain.step(g, rows=rows)
        adam_step = {k: decayed[k] - plain[k] for k in plain}                # what the Adam term moved
        expected = {k: v * (1 - 0.01 * 0.5) for k, v in scaled.items()}
        opt_scaled.step(g, rows=rows)
        np.testing.assert_array_equal(scaled["dense.weight"], plain["dense.weight"])    # unscaled: the same
        moved = expected["word.weight"] - scaled["word.weight"]
        np.testing.assert_allclose(moved[used], 3.0 * adam_step["word.weight"][used], rtol=1e-9, atol=1e-15)
    with pytest.raises(ValueError, match="not optimised"):
        AdamW(plain, lr=0.01, step_scales={"words.weight": 2.0})


def test_an_embedding_reports_the_rows_its_backwards_used_until_zero_grad():
    from tinykd.model import Encoder, EncoderConfig
    from tinykd.nn.embedding import Embedding
    emb = Embedding(10, 4)
    emb(np.array([[3, 1, 3]]))
    emb.backward(np.ones((1, 3, 4)))
    emb(np.array([5]))
    emb.backward(np.ones((1, 4)))
    np.testing.assert_array_equal(emb.rows_used, [1, 3, 5])
    assert not emb.grads["weight"][[0, 2, 4, 6, 7, 8, 9]].any()
    emb.zero_grad()
    assert emb.rows_used is None
    model = Encoder(EncoderConfig(vocab_size=20, hidden_size=8, num_layers=1, num_heads=2, intermediate_size=16,
                                  max_position=8))
    ids, mask = np.array([[2, 7, 7, 3], [2, 9, 3, 0]]), np.array([[1, 1, 1, 1], [1, 1, 1, 0]])
    model.backward(np.ones_like(model(ids, mask)))
    rows = model.embedding_rows()
    assert set(rows) == {"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                         "embeddings.token_type_embeddings.weight"}
    # the second sentence's padding (id 0) is not embedded: the encoder carries the real tokens only
    np.testing.assert_array_equal(rows["embeddings.word_embeddings.weight"], [2, 3, 7, 9])
    assert model.embeddings.word_embeddings.grads["weight"][[2, 3, 7, 9]].any()
    model.zero_grad()                                          # zeroes only the rows used, which is all of it
    assert model.embedding_rows() == {}
    assert not any(g.any() for g in model.gradients().values())


def test_no_decay_on_biases_and_layernorm():
    assert no_decay("encoder.layer.0.output.dense.bias") and no_decay("embeddings.LayerNorm.weight")
    assert not no_decay("encoder.layer.0.output.dense.weight")


def test_schedule_warms_up_then_decays_to_zero():
    lrs = [learning_rate(s, 100, 1.0, 10) for s in range(100)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(lrs[9:], lrs[10:])) and lrs[-1] == pytest.approx(1 / 90)


def test_clipping_scales_to_the_max_norm():
    g = {"a": np.array([3.0, 0.0]), "b": np.array([4.0])}
    assert clip_grad_norm(g, 1.0) == pytest.approx(5.0)
    assert math.sqrt(sum((v ** 2).sum() for v in g.values())) == pytest.approx(1.0, rel=1e-5)
    g = {"a": np.array([0.3])}
    clip_grad_norm(g, 1.0)
    assert g["a"][0] == 0.3
    assert math.isnan(clip_grad_norm({"a": np.array([np.nan])}, 1.0))


def test_clipping_a_table_by_its_used_rows_is_clipping_all_of_it():
    """An embedding table's gradient is zero but on the rows a batch used: the norm and the clipped
    gradients read from those rows alone are those of the whole table."""
    rng = np.random.default_rng(0)
    table = np.zeros((50, 4), dtype=np.float32)
    used = np.array([3, 17, 42])
    table[used] = rng.normal(size=(3, 4)).astype(np.float32)
    dense = {"w": table.copy(), "b": rng.normal(size=6).astype(np.float32)}
    lazy = {k: v.copy() for k, v in dense.items()}
    assert clip_grad_norm(lazy, 0.5, rows={"w": used}) == pytest.approx(clip_grad_norm(dense, 0.5), rel=1e-6)
    np.testing.assert_allclose(lazy["w"], dense["w"], rtol=1e-6)
    np.testing.assert_array_equal(lazy["b"], dense["b"])
    assert np.count_nonzero(lazy["w"].any(axis=1)) == 3


# -- the config ---------------------------------------------------------------------------

def test_overrides_are_type_checked_and_unknown_keys_refused():
    assert parse_overrides(["--lr", "3e-4", "--steps=10", "--test_eval", "false"]) == \
        {"lr": 3e-4, "steps": 10, "test_eval": False}
    with pytest.raises(ConfigError, match="unknown option --colour"):
        parse_overrides(["--colour", "red"])
    with pytest.raises(ConfigError, match="--steps expects int"):
        parse_overrides(["--steps", "many"])
    with pytest.raises(ConfigError, match="unknown preset"):
        make_config(["--preset", "huge"])
    with pytest.raises(ConfigError, match="teacher has layers 0..5"):
        make_config(["--teacher_layers", "0,7"])
    with pytest.raises(ConfigError, match="translation_weight must be positive"):
        make_config(["--translation_weight", "0"])


def test_presets_then_overrides():
    c = make_config(["--preset", "tiny", "--steps", "7"])
    assert c.preset == "tiny" and c.steps == 7 and c.batch_size == 8
    assert make_config([]) == TrainConfig()


def test_the_shipped_student_is_the_default_config():
    """The README promises that tinykd/pretrained is what `python -m tinykd.train` produces: a change
    of a default that is not followed by a new shipped run fails here."""
    from tinykd.model import Encoder
    from tinykd.paths import PRETRAINED
    if not (PRETRAINED / "config.json").exists():
        pytest.skip("no shipped student")
    shipped = json.loads((PRETRAINED / "config.json").read_text(encoding="utf-8"))
    assert set(shipped) <= set(TrainConfig().to_dict())
    assert runs.load_config(PRETRAINED).to_dict() == TrainConfig().to_dict()   # a setting added since: as before it
    model = Encoder.load(PRETRAINED / "model.safetensors")
    assert model.config.num_layers == len(TrainConfig().layer_list())


# -- the loop, on a tiny synthetic corpus ----------------------------------------------------

@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """A data dir with the real shipped tokenizer, a small corpus, and a fake teacher store."""
    return make_tiny_data(tmp_path_factory.mktemp("data"))


def _config(data_dir, **kw):
    base = dict(init="random", hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, max_length=16,
                batch_size=8, steps=12, eval_every=6, eval_pairs=10, checkpoint_every=4, log_every=2,
                test_eval=True, lr=3e-3, data_dir=str(data_dir), seed=3, sample_alpha=1.0)
    base.update(kw)
    return make_config([], **base)


def _loss_on_first_batch(trainer):
    from tinykd.data.pairs import stack_batch
    ids, mask, english_index, english_of = stack_batch(trainer.train_items, trainer.batch_for_step(0))
    trainer.model.eval()
    vectors = trainer.model(ids, mask)
    return distillation_loss_grouped(vectors, trainer.teacher_vectors[english_index], english_of)[0]


def test_training_writes_a_complete_run(tiny_data, tmp_path):
    from tinykd.train import Trainer
    run = tmp_path / "run"
    run.mkdir()
    trainer = Trainer(_config(tiny_data), run, progress=False)
    before = _loss_on_first_batch(trainer)
    assert trainer.run() == 0
    assert _loss_on_first_batch(trainer) < 0.97 * before          # it learns (seeded: 7% in 12 steps)
    for name in ("log.jsonl", "checkpoint.safetensors", "model.safetensors", "eval_test.json", "eval_test.md"):
        assert (run / name).exists(), name
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    train = [r for r in records if r["kind"] == "train"]
    assert [r["step"] for r in train] == [2, 4, 6, 8, 10, 12]
    assert {r["kind"] for r in records} == {"train", "dev", "test"}
    try:
        import matplotlib  # noqa: F401  (the plot extra)
    except ImportError:
        return
    assert (run / "curves.png").exists() and (run / "test_by_language.png").exists()   # tinykd.plot at the end


@pytest.mark.parametrize("lazy", [True, False])
def test_lazy_embeddings_leave_the_rows_no_batch_used(tiny_data, tmp_path, lazy):
    from tinykd.train import Trainer
    trainer = Trainer(_config(tiny_data, test_eval=False, lazy_embeddings=lazy), tmp_path, progress=False)
    table = trainer.model.parameters()["embeddings.word_embeddings.weight"]          # (V, C), updated in place
    before = table.copy()
    assert trainer.run() == 0
    changed = (table != before).any(axis=1)
    if lazy:
        assert 0 < changed.sum() < 0.05 * len(table)     # the tiny corpus's pieces, of 49,000
    else:
        assert changed.all()                               # dense AdamW decays every row


def test_adam_beta2_reaches_the_optimizer(tiny_data, tmp_path):
    from tinykd.train import Trainer
    assert Trainer(_config(tiny_data, test_eval=False), tmp_path / "a", progress=False).optimizer.betas == (0.9, 0.999)
    trainer = Trainer(_config(tiny_data, test_eval=False, adam_beta2=0.98), tmp_path / "b", progress=False)
    assert trainer.optimizer.betas == (0.9, 0.98)


def _retrieval_trainer(in_domain: bool):
    """What Trainer.retrieval_term reads: 40 unit teacher rows in three folders (rows 0-9 the help pages,
    10-14 a second folder, 15-39 a third) and the term's settings."""
    from types import MethodType, SimpleNamespace

    from tinykd.train import Trainer
    rng = np.random.default_rng(6)
    teacher = rng.standard_normal((40, 6))
    trainer = SimpleNamespace(folder_bounds=np.array([0, 10, 15, 40]), unit_teacher=teacher / np.linalg.norm(
        teacher, axis=1, keepdims=True), config=TrainConfig(seed=0, retrieval_negatives=8, retrieval_scale=5.0,
                                                          retrieval_in_domain=in_domain))
    for name in ("retrieval_term", "_retrieval", "folder_of"):
        setattr(trainer, name, MethodType(getattr(Trainer, name), trainer))
    return trainer


def test_in_domain_negatives_come_from_each_translations_own_folder(float64):
    """--retrieval_in_domain: the translations of one folder are scored among the batch's English and
    K rows drawn from that folder only; the term is the mean over all the batch's translations, and its
    gradient is checked numerically."""
    trainer = _retrieval_trainer(in_domain=True)
    english_index = np.array([3, 12, 30])                 # the batch's U = 3 English sentences (three folders)
    english_of = np.array([0, 0, 1, 2, 2, 2])             # P = 6 translations
    translations = np.random.default_rng(7).standard_normal((6, 6))
    seen = []
    plain = trainer._retrieval

    def recording(rows, index, of, drawn):
        seen.append((index[of], drawn))
        return plain(rows, index, of, drawn)

    trainer._retrieval = recording
    loss, d = trainer.retrieval_term(5, translations, english_index, english_of)
    assert len(seen) == 3                                 # one call per folder in the batch
    for own, drawn in seen:
        folder = trainer.folder_of(own)
        assert len(set(folder)) == 1 and len(drawn) == 8
        low, high = trainer.folder_bounds[folder[0]], trainer.folder_bounds[folder[0] + 1]
        assert ((drawn >= low) & (drawn < high)).all()
    trainer._retrieval = plain
    parts = [plain(translations[rows], english_index, english_of[rows], drawn)[0] * len(rows) / 6
             for rows, (_, drawn) in zip([[0, 1], [2], [3, 4, 5]], seen)]
    assert np.isclose(loss, sum(parts))
    numeric = numerical_gradient(lambda: trainer.retrieval_term(5, translations, english_index, english_of)[0],
                                 translations)
    assert rel_error(d, numeric) < 1e-8
    again = trainer.retrieval_term(5, translations, english_index, english_of)
    assert again[0] == loss                                # the same step draws the same (a resumed run)


def test_negatives_from_the_whole_training_set_by_default(float64):
    trainer = _retrieval_trainer(in_domain=False)
    seen = []
    plain = trainer._retrieval
    trainer._retrieval = lambda rows, index, of, drawn: seen.append(drawn) or plain(rows, index, of, drawn)
    trainer.retrieval_term(5, np.ones((2, 6)), np.array([3, 12]), np.array([0, 1]))
    assert len(seen) == 1 and len(seen[0]) == 8
    assert np.array_equal(seen[0], np.random.default_rng((0, 5)).integers(0, 40, 8))   # as before the option


@pytest.mark.parametrize("pairs_per_english, retrieval_weight, in_domain",
                         [(1, 0.0, False), (2, 0.0, False), (2, 0.01, False), (2, 0.01, True)])
def test_resume_gives_exactly_the_weights_of_an_uninterrupted_run(tiny_data, tmp_path, pairs_per_english,
                                                                  retrieval_weight, in_domain):
    """With the retrieval term too: its negatives are drawn again, the same, after a resume."""
    from tinykd.model import Encoder
    from tinykd.train import Trainer
    kw = dict(test_eval=False, dropout=0.1, pairs_per_english=pairs_per_english, retrieval_weight=retrieval_weight,
              retrieval_negatives=16, retrieval_in_domain=in_domain)
    straight = tmp_path / "straight"
    straight.mkdir()
    Trainer(_config(tiny_data, **kw), straight, progress=False).run()

    broken = tmp_path / "broken"
    broken.mkdir()
    first = Trainer(_config(tiny_data, **kw), broken, progress=False)
    original = first.train_step

    def crash_in_step_8(step):                            # after steps 1-7: logged up to 6, checkpoint at 4
        if step == 7:
            raise RuntimeError("simulated crash")
        return original(step)

    first.train_step = crash_in_step_8
    with pytest.raises(RuntimeError, match="simulated crash"):
        first.run()
    backend.seed(12345)                                  # whatever the process did meanwhile
    resumed = Trainer(_config(tiny_data, **kw), broken, progress=False)
    resumed.resume()
    assert resumed.step == 4                              # the last checkpoint before the crash
    assert resumed.run() == 0
    # the log reads as one run: the lost steps' records (train and dev at 6) are gone, time goes on
    records = [json.loads(line) for line in (broken / "log.jsonl").read_text().splitlines()]
    seam = [r["kind"] for r in records].index("resume")
    assert records[seam]["step"] == 4 and records[seam]["dropped_records"] == 2
    assert all(r["step"] <= 4 for r in records[:seam])
    train_steps = [r["step"] for r in records if r["kind"] == "train"]
    assert train_steps == sorted(set(train_steps))
    times = [r["time"] for r in records]
    assert times == sorted(times)
    a = Encoder.load(straight / "model.safetensors").state_dict()
    b = Encoder.load(broken / "model.safetensors").state_dict()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_nan_loss_stops_with_the_step_and_keeps_the_last_checkpoint(tiny_data, tmp_path):
    from tinykd.train import Trainer, TrainingDiverged
    trainer = Trainer(_config(tiny_data, test_eval=False), tmp_path, progress=False)
    original = trainer.train_step
    poisoned = {"done": False}

    def poison(step):
        if step == 6 and not poisoned["done"]:
            poisoned["done"] = True
            trainer.model.parameters()["embeddings.LayerNorm.weight"][:] = np.nan
        return original(step)

    trainer.train_step = poison
    with pytest.raises(TrainingDiverged, match="at step 6.*step 4"):
        trainer.run()
    step, _ = runs.load_checkpoint(trainer.run_dir, trainer.model, trainer.optimizer)
    assert step == 4
    assert all(np.isfinite(p).all() for p in trainer.model.parameters().values())


def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(tiny_data, tmp_path):
    from tinykd.train import Trainer
    trainer = Trainer(_config(tiny_data, test_eval=False, checkpoint_every=100), tmp_path, progress=False)
    original = trainer.train_step

    def interrupt(step):
        if step == 2:
            trainer._on_sigint(None, None)                  # as the SIGINT handler would
        return original(step)

    trainer.train_step = interrupt
    assert trainer.run() == 130
    again = Trainer(_config(tiny_data, test_eval=False), tmp_path, progress=False)
    assert runs.load_checkpoint(again.run_dir, again.model, again.optimizer)[0] == 3


def test_sigterm_saves_a_checkpoint_and_exits_cleanly(tiny_data, tmp_path):
    import os
    import signal

    from tinykd.train import Trainer
    trainer = Trainer(_config(tiny_data, test_eval=False, checkpoint_every=100), tmp_path, progress=False)
    original = trainer.train_step

    def killed(step):
        if step == 2:
            os.kill(os.getpid(), signal.SIGTERM)            # a real signal, to this process
        return original(step)

    trainer.train_step = killed
    before = signal.getsignal(signal.SIGTERM)
    assert trainer.run() == 143
    assert signal.getsignal(signal.SIGTERM) is before      # the handler is put back
    again = Trainer(_config(tiny_data, test_eval=False), tmp_path, progress=False)
    assert runs.load_checkpoint(again.run_dir, again.model, again.optimizer)[0] == 3


def test_an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    from tinykd.files import atomic_write, atomic_write_text
    target = tmp_path / "log.jsonl"
    atomic_write_text(target, "old\n")

    def crash_halfway(tmp):
        tmp.write_text("half a fi", encoding="utf-8")
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, crash_halfway)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["log.jsonl"]
    atomic_write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"


def test_cli_refuses_unknown_options_and_lists_them(capsys):
    from tinykd.train import main
    assert main(["--colour", "red"]) == 2
    assert "unknown option --colour" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "--teacher_layers" in capsys.readouterr().out


def test_extra_data_joins_the_training_pairs_with_their_own_teacher_vectors(tiny_data, tmp_path):
    from tinykd.train import Trainer
    plain = Trainer(_config(tiny_data), tmp_path / "plain", progress=False)
    both = Trainer(_config(tiny_data, extra_data=str(tiny_data)), tmp_path / "both", progress=False)
    n, rows = len(plain.train_items.lang), len(plain.teacher_vectors)
    assert len(both.train_items.lang) == 2 * n and len(both.teacher_vectors) == 2 * rows
    np.testing.assert_array_equal(both.train_items.english_index[n:], plain.train_items.english_index + rows)
    np.testing.assert_array_equal(both.teacher_vectors[rows:], plain.teacher_vectors)


def _swedish_folder(root):
    """A corpus folder (train split only has pairs) in a language beyond the 12, with a fake teacher store."""
    from tinykd.data import english_sentences
    from tinykd.data.corpus import Pair, write_corpus
    from tinykd.store import EmbeddingStore
    write_corpus({"train": [Pair("sv", f"open file number {i}.", f"öppna fil nummer {i}") for i in range(40)],
                  "dev": [], "test": []}, str(root))
    sentences = english_sentences(str(root))
    store = EmbeddingStore.create_or_resume(root / "teacher", sentences, "fake", "0", 384)
    store.fill(sentences, lambda b: np.eye(384, dtype=np.float32)[[len(s) % 384 for s in b]], progress=False)
    return root


def test_langs_may_name_a_language_an_extra_folder_brings(tiny_data, tmp_path, capsys):
    from tinykd.train import Trainer
    extra = str(_swedish_folder(tmp_path / "sv"))
    trainer = Trainer(_config(tiny_data, extra_data=extra, langs="sv,de"), tmp_path / "run", progress=False)
    assert set(trainer.train_items.lang) == {"sv", "de"}
    assert {p.lang for p in trainer.dev_pairs} == {"de"}
    swedish = Trainer(_config(tiny_data, extra_data=extra, langs="sv"), tmp_path / "only", progress=False)
    assert set(swedish.train_items.lang) == {"sv"} and swedish.dev_pairs == [] and swedish.test_pairs == []
    assert "no evaluation" in capsys.readouterr().err
    assert swedish.run() == 0                                   # trains, and skips the evaluations
    with pytest.raises(ValueError, match=r"unknown language\(s\) \['xx'\]"):
        Trainer(_config(tiny_data, extra_data=extra, langs="sv,xx"), tmp_path / "bad", progress=False)


def test_missing_extra_data_is_a_clear_error(tiny_data, tmp_path, capsys):
    from tinykd.train import main
    code = main(["--preset", "tiny", "--data_dir", str(tiny_data), "--extra_data", str(tmp_path / "bible"),
                 "--out", str(tmp_path / "run")])
    assert code == 2
    assert "python -m tinykd.data bible" in capsys.readouterr().err


def test_teacher_student_with_aligned_embeddings(tiny_data, tmp_path):
    """The new tokens are fitted to the pairs; the tokens English uses keep the teacher's vectors."""
    from tinykd.train import Trainer
    kw = dict(init="teacher", teacher_layers="0", max_length=32)
    transfer = Trainer(_config(tiny_data, embed_init="transfer", **kw), tmp_path / "t", progress=False)
    aligned = Trainer(_config(tiny_data, embed_init="aligned", **kw), tmp_path / "a", progress=False)
    before = transfer.model.parameters()["embeddings.word_embeddings.weight"]
    after = aligned.model.parameters()["embeddings.word_embeddings.weight"]
    english = np.unique(np.concatenate(aligned.train_items.english_ids))
    translated = np.unique(np.concatenate(aligned.train_items.translation_ids))
    fitted = np.setdiff1d(translated, english)
    assert len(fitted) > 5
    np.testing.assert_array_equal(after[english], before[english])
    assert np.abs(after[fitted] - before[fitted]).max() > 1e-3
    untouched = np.setdiff1d(np.arange(len(before)), translated)
    np.testing.assert_array_equal(after[untouched], before[untouched])


def test_a_resumed_run_does_not_fit_the_start_its_checkpoint_replaces(tiny_data, tmp_path):
    from tinykd.train import Trainer
    kw = dict(init="teacher", teacher_layers="0", max_length=32)
    transfer = Trainer(_config(tiny_data, embed_init="transfer", **kw), tmp_path / "t", progress=False)
    resumed = Trainer(_config(tiny_data, embed_init="aligned", **kw), tmp_path / "r", progress=False, resuming=True)
    name = "embeddings.word_embeddings.weight"
    np.testing.assert_array_equal(resumed.model.parameters()[name], transfer.model.parameters()[name])


@pytest.mark.parametrize("teacher_layers, separate_length", [("0", False), ("", False), ("0", True)])
def test_a_student_of_free_length_starts_at_length_one_on_average_and_trains(tiny_data, tmp_path, teacher_layers,
                                                                              separate_length):
    """--normalize false: no final normalisation; scale_output has set the mean length on the
    first training sentences to 1 (from about 5, the teacher's layers' mean-pooled length)."""
    from tinykd.data.batching import pad
    from tinykd.student import SCALE_SENTENCES
    from tinykd.train import Trainer
    config = _config(tiny_data, init="teacher", teacher_layers=teacher_layers, max_length=32, normalize=False,
                     separate_length=separate_length)
    trainer = Trainer(config, tmp_path / "run", progress=False)
    assert trainer.model.normalize is None
    ids, mask = pad(trainer.train_items.english_ids[:SCALE_SENTENCES])
    vectors = backend.to_numpy(trainer.model.eval()(backend.asarray(ids.astype(np.int64)),
                                                    backend.asarray(mask.astype(np.int64))))
    assert np.linalg.norm(vectors, axis=1).mean() == pytest.approx(1.0, rel=1e-4)
    assert trainer.run() == 0
    assert (tmp_path / "run" / "model.safetensors").exists()


def test_a_unit_length_student_trains_and_answers_with_unit_vectors(tiny_data, tmp_path):
    """--normalize true: the student ends in an L2 normalisation, as the teacher does."""
    from tinykd.runs import load_run
    from tinykd.train import Trainer
    trainer = Trainer(_config(tiny_data, normalize=True, steps=4, test_eval=False), tmp_path / "run", progress=False)
    assert trainer.model.normalize is not None
    assert trainer.run() == 0
    vectors = load_run(tmp_path / "run").encode(["a sentence", "another one, a little longer"], normalize=False)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_every_extra_folder_is_evaluated_as_a_domain_of_its_own(tiny_data, tmp_path):
    """--extra_data folders with dev or test pairs get their own dev curves and test table, with their
    own teacher vectors (a copy of the data folder here, so both domains score the same)."""
    import shutil

    from tinykd.train import Trainer
    shutil.copytree(tiny_data, tmp_path / "copy")
    trainer = Trainer(_config(tiny_data, extra_data=str(tmp_path / "copy"), steps=4, eval_every=2),
                      tmp_path / "run", progress=False)
    assert [d.name for d in trainer.domains] == ["libreoffice", "copy"]
    assert trainer.run() == 0
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    dev = [(r["domain"], r["step"], r["mean_acc"]) for r in records if r["kind"] == "dev"]
    assert [(d, s) for d, s, _ in dev] == [(d, s) for s in (0, 2, 4) for d in ("libreoffice", "copy")]
    assert all(dev[i][2] == dev[i + 1][2] for i in range(0, len(dev), 2))
    results = json.loads((tmp_path / "run" / "eval_test.json").read_text())
    assert list(results) == ["libreoffice", "copy"]
    assert results["copy"][0]["mean_acc"] == results["libreoffice"][0]["mean_acc"]
    assert "| copy |" in (tmp_path / "run" / "eval_test.md").read_text()


def test_temperature_sampling_gives_small_groups_a_larger_share():
    from tinykd.data.pairs import temperature_sample
    groups = np.array(["big"] * 900 + ["mid"] * 90 + ["small"] * 10)
    assert temperature_sample(groups, 1.0, seed=0).tolist() == list(range(1000))      # every pair once
    even = temperature_sample(groups, 0.0, seed=0)
    assert len(even) == 1000 and sorted(np.unique(groups[even], return_counts=True)[1].tolist()) == [333, 333, 334]
    small = np.flatnonzero(groups == "small")
    assert np.isin(small, even).all() and np.bincount(even, minlength=1000)[small].min() >= 33   # repeated
    half = temperature_sample(groups, 0.5, seed=0)
    counts = dict(zip(*np.unique(groups[half], return_counts=True)))
    assert len(half) == 1000 and counts["small"] > 10 and counts["big"] < 900                  # 30^2 : 9.5^2 : 3.2^2
    np.testing.assert_array_equal(half, temperature_sample(groups, 0.5, seed=0))              # the same every time
    assert not np.array_equal(half, temperature_sample(groups, 0.5, seed=1))


def test_temperature_sampling_draws_an_epoch_of_a_given_size():
    """--max_pairs: a run tokenises only the pairs it draws, in the same shares as a full epoch."""
    from tinykd.data.pairs import temperature_sample
    groups = np.array(["big"] * 900 + ["mid"] * 90 + ["small"] * 10)
    part = temperature_sample(groups, 1.0, seed=0, total=100)                      # proportional: 90 / 9 / 1
    assert len(part) == len(set(part.tolist())) == 100
    assert dict(zip(*np.unique(groups[part], return_counts=True))) == {"big": 90, "mid": 9, "small": 1}
    even = temperature_sample(groups, 0.0, seed=0, total=30)
    assert sorted(np.unique(groups[even], return_counts=True)[1].tolist()) == [10, 10, 10]
    more = temperature_sample(groups, 0.0, seed=0, total=3000)                      # more than N: repeats
    assert len(more) == 3000 and np.bincount(more, minlength=1000)[900:].min() >= 1


def test_sample_weights_multiply_a_folders_share_of_the_draw(tiny_data, tmp_path):
    """--sample_weights folder=factor: each of that folder's (folder, language) groups gets factor times
    its temperature share; a name the run does not train on, or a bad factor, is refused."""
    import shutil

    from tinykd.data.pairs import draw_rows, temperature_sample
    from tinykd.trainingset import drawn_training_pairs, extra_folders
    groups = np.array(["a"] * 100 + ["b"] * 100)
    factors = np.array([3.0] * 100 + [1.0] * 100)
    drawn = temperature_sample(groups, 0.5, seed=0, total=100, factors=factors)
    assert dict(zip(*np.unique(groups[drawn], return_counts=True))) == {"a": 75, "b": 25}
    folder_of = np.array([0] * 100 + [1] * 100)
    langs_of = ["de"] * 200
    np.testing.assert_array_equal(draw_rows(langs_of, folder_of, None, 1.0, 0, 0, [1.0, 1.0]), np.arange(200))
    tilted = draw_rows(langs_of, folder_of, None, 1.0, 0, 0, [1.0, 4.0])            # every pair's share x 4 in one
    assert len(tilted) == 200 and (folder_of[tilted] == 1).sum() == 160

    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    _swedish_folder(data / "mine")
    config = _config(data, extra_data="mine", max_pairs=200)
    plain = drawn_training_pairs(config, extra_folders(config))
    more = _config(data, extra_data="mine", max_pairs=200, sample_weights="mine=4")
    weighted = drawn_training_pairs(more, extra_folders(more))
    assert sum(p.lang == "sv" for p in weighted) > sum(p.lang == "sv" for p in plain)
    with pytest.raises(ValueError, match="--sample_weights names gimp, which this run does not train on"):
        drawn_training_pairs(_config(data, extra_data="mine", sample_weights="gimp=2"), extra_folders(config))
    # the default's factors name data/everyday and data/biblepd, which this data directory lacks: skipped
    assert TrainConfig().sample_weights == "everyday=10,biblepd=2.5" == config.sample_weights
    with pytest.raises(ValueError, match="--sample_weights names gimp,"):
        drawn_training_pairs(_config(data, extra_data="mine", sample_weights="everyday=10,gimp=2"),
                             extra_folders(config))
    for bad in ("mine", "mine=0", "mine=x", "=2", "mine=2,mine=3", "mine=inf"):
        with pytest.raises(ConfigError, match="--sample_weights expects folder=factor"):
            _config(data, extra_data="mine", sample_weights=bad)


def test_extra_data_shipped_and_all_name_the_folders_inside_the_data_dir(tiny_data, tmp_path):
    """The default --extra_data shipped: the shipped mix's folders that the data dir has; all: every one."""
    import shutil

    from tinykd.train import extra_folders
    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    _swedish_folder(data / "gimp")                          # a folder of the shipped mix
    _swedish_folder(data / "mine")                          # one of the user's
    names = lambda extra: [f.name for f in extra_folders(_config(data, extra_data=extra))]   # noqa: E731
    assert names("shipped") == ["gimp"] and TrainConfig().extra_data == "shipped"
    assert names("all") == ["gimp", "mine"]
    assert names("") == [] and names("mine") == ["mine"] and names("shipped,mine,gimp") == ["gimp", "mine"]
    assert names("shipped") == [f.name for f in extra_folders(_config(data))]
    assert [f.name for f in extra_folders(_config(tiny_data))] == []            # a data dir without folders


def test_dev_and_test_evaluations_give_each_domains_numbers_of_a_call_per_language(tiny_data, tmp_path):
    """The trainer's evaluations encode every domain's texts in one call (the dev: every domain's in one);
    the numbers are those of an encode call per language, as before."""
    from test_evaluate import per_language_reference

    from tinykd.evaluate import model_output
    from tinykd.train import Trainer
    trainer = Trainer(_config(tiny_data, extra_data=str(tiny_data), eval_pairs=4), tmp_path, progress=False)
    records = []
    trainer.log = lambda **record: records.append(record)
    trainer._dev(None)
    by_domain = trainer._test()
    encode = model_output(trainer.encoder(), progress=False)
    assert len(trainer.domains) == 2 and [r["kind"] for r in records] == ["dev", "dev", "test", "test"]
    for k, domain in enumerate(trainer.domains):
        for split, pairs, max_per_lang, got in (("dev", domain.dev, 4, records[k]["languages"]),
                                                ("test", domain.test, None, by_domain[domain.name][0]["languages"])):
            want = per_language_reference(encode, pairs, domain.vectors, max_per_lang)
            for lang, (acc_en_xx, acc_xx_en, mse_en, mse_xx) in want.items():
                assert (got[lang]["acc_en_xx"], got[lang]["acc_xx_en"]) == (acc_en_xx, acc_xx_en), (split, lang)
                assert (got[lang]["mse_en"], got[lang]["mse_xx"]) == pytest.approx((mse_en, mse_xx), rel=1e-5)


def test_eval_data_folders_are_evaluated_and_not_trained_on(tiny_data, tmp_path):
    """--eval_data: a folder evaluated as a domain of its own (dev curve, test table) whose pairs and
    teacher vectors stay out of the training: the weights are those of the run without it, bit for bit.
    "shipped" and "all" leave it out; naming it in both flags is refused."""
    import shutil

    from safetensors.numpy import load_file

    from tinykd.train import Trainer, eval_folders, extra_folders
    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    _swedish_folder(data / "gimp")                                     # a folder of the shipped mix
    _swedish_folder(data / "mine")
    names = lambda **kw: [f.name for f in extra_folders(_config(data, **kw))]   # noqa: E731
    assert names(extra_data="shipped", eval_data="gimp") == [] and names(extra_data="all", eval_data="gimp") == ["mine"]
    assert [f.name for f in eval_folders(_config(data, eval_data="gimp, gimp"))] == ["gimp"]
    with pytest.raises(ConfigError, match="also in --extra_data"):
        _config(data, extra_data="mine,gimp", eval_data="gimp")
    with pytest.raises(ConfigError, match="or 'shipped', not 'all'"):
        _config(data, eval_data="all")
    with pytest.raises(FileNotFoundError, match="--eval_data .*nowhere: no corpus there"):
        eval_folders(_config(data, eval_data="nowhere"))

    weights = {}
    for name, evaluated in (("alone", ""), ("with", str(tiny_data))):
        trainer = Trainer(_config(data, extra_data="mine", eval_data=evaluated), tmp_path / name, progress=False)
        assert trainer.run() == 0
        weights[name] = load_file(str(tmp_path / name / "model.safetensors"))
        tested = json.loads((tmp_path / name / "eval_test.json").read_text())
        assert list(tested) == ["libreoffice"] + ([tiny_data.name] if evaluated else [])
        table = (tmp_path / name / "eval_test.md").read_text()        # the scored-only domain is marked
        assert (f"| {tiny_data.name} (scored, not trained on) |" in table) == bool(evaluated)
        assert ("mean of the domains trained on" in table) == bool(evaluated)
    assert weights["alone"].keys() == weights["with"].keys()
    assert all(np.array_equal(weights["alone"][k], weights["with"][k]) for k in weights["alone"])
    dev = [json.loads(line) for line in (tmp_path / "with" / "log.jsonl").read_text().splitlines()]
    assert {r["domain"] for r in dev if r["kind"] == "dev"} == {"libreoffice", tiny_data.name}


def test_eval_data_shipped_scores_freedict_and_does_not_train_on_it(tiny_data, tmp_path):
    """The default --eval_data shipped: the shipped folders scored and not trained on (FreeDict's words)
    that the data dir has; --extra_data naming one itself trains on it instead."""
    import shutil

    from tinykd.data.mix import SHIPPED_EVAL_ONLY
    from tinykd.train import eval_folders, extra_folders
    from tinykd.trainingset import evaluated_names
    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    _swedish_folder(data / "gimp")
    _swedish_folder(data / "freedict")
    trained = lambda **kw: [f.name for f in extra_folders(_config(data, **kw))]   # noqa: E731
    scored = lambda **kw: [f.name for f in eval_folders(_config(data, **kw))]     # noqa: E731
    assert TrainConfig().eval_data == "shipped" and SHIPPED_EVAL_ONLY == ("freedict", "freeciv")
    assert trained() == ["gimp"] and scored() == ["freedict"]                     # the defaults
    assert trained(eval_data="") == ["gimp", "freedict"] and scored(eval_data="") == []
    assert trained(extra_data="shipped,freedict") == ["gimp", "freedict"]                # named: trained on
    assert scored(extra_data="shipped,freedict") == []
    assert trained(extra_data="all") == ["gimp"] and scored(eval_data="shipped,gimp") == ["freedict", "gimp"]
    assert [f.name for f in eval_folders(_config(tiny_data))] == []               # a data dir without it
    assert evaluated_names("shipped", "shipped, mine,shipped") == ["freedict", "freeciv", "mine"]
    assert evaluated_names("freedict", "shipped") == ["freeciv"]
    assert evaluated_names("shipped", "shipped", have={"freeciv", "gimp"}) == ["freeciv"]


def test_evaluate_on_a_run_leaves_the_runs_own_test_table(tiny_data, tmp_path):
    """`python -m tinykd.evaluate RUN --domains ...` writes RUN/evaluate_test.json: the table training
    wrote (eval_test.json, which `tinykd.ship` copies beside the model) is left as it was."""
    from tinykd.evaluate import main as evaluate_main
    from tinykd.train import Trainer
    run = tmp_path / "run"
    assert Trainer(_config(tiny_data, steps=4, eval_every=0), run, progress=False).run() == 0
    before = {name: (run / name).read_bytes() for name in ("eval_test.json", "eval_test.md")}
    assert evaluate_main([str(run), "--data-dir", str(tiny_data), "--no-references", "--max-per-lang", "3",
                          "--threads", "1"]) == 0
    assert {name: (run / name).read_bytes() for name in before} == before
    assert json.loads((run / "evaluate_test.json").read_text()) and (run / "evaluate_test.md").is_file()
