"""Checks of the text corpus, the character vocabulary and the splits."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.datasets import CharVocab, batchify, pydoc_corpus, text_file, train_val_split


def test_pydoc_corpus_is_the_stdlib_help_text():
    from pydoc_data.topics import topics

    text = pydoc_corpus()
    assert isinstance(text, str) and len(text) > 100_000
    assert text == pydoc_corpus()  # the same string every call
    for key in ("assert", "while"):
        assert topics[key] in text
    assert "The “while” statement" in text or 'The "while" statement' in text


def test_vocab_round_trip_and_order():
    text = "hello, world!\nünïcode ok"
    vocab = CharVocab(text)
    assert vocab.itos == sorted(set(text)) and len(vocab) == len(set(text))
    ids = vocab.encode(text)
    assert ids.dtype == cr.int64 and ids.shape == (len(text),)
    assert vocab.decode(ids) == text
    assert vocab.decode(ids.numpy().tolist()) == text
    assert [vocab.stoi[c] for c in "lo"] == ids.numpy()[3:5].tolist()
    assert "ü" in vocab and "Z" not in vocab


def test_vocab_round_trip_on_the_corpus():
    text = pydoc_corpus()[:50_000]
    vocab = CharVocab(text)
    assert vocab.decode(vocab.encode(text)) == text


def test_vocab_errors_name_the_problem():
    vocab = CharVocab("abc")
    with pytest.raises(KeyError, match="'z'"):
        vocab.encode("abz")
    with pytest.raises(IndexError, match="index 3"):
        vocab.decode([0, 3])
    with pytest.raises(ValueError, match="empty"):
        CharVocab("")


def test_counts_match_the_text():
    vocab = CharVocab("abracadabra")
    np.testing.assert_array_equal(vocab.counts("abracadabra").numpy(), [5, 2, 1, 1, 2])
    np.testing.assert_array_equal(vocab.counts(vocab.encode("aab")).numpy(), [2, 1, 0, 0, 0])


def test_text_file_reads_utf8(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("naïve café\nline two", encoding="utf-8")
    assert text_file(path) == "naïve café\nline two"
    assert text_file(str(path)) == "naïve café\nline two"


def test_train_val_split_keeps_order():
    train, val = train_val_split("abcdefghij", 0.2)
    assert (train, val) == ("abcdefgh", "ij")
    ids = cr.arange(100)
    tr, va = train_val_split(ids, 0.1)
    assert tr.shape == (90,) and va.shape == (10,)
    assert va.numpy()[0] == 90
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split("abc", 1.0)


def test_batchify_lays_rows_contiguously():
    rows = batchify(cr.arange(23), 4)
    assert rows.shape == (4, 5)
    np.testing.assert_array_equal(rows.numpy(), np.arange(20).reshape(4, 5))
    with pytest.raises(ValueError, match="can't fill"):
        batchify(np.arange(3), 4)
