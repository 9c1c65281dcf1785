"""Built-in datasets, generated or shipped with Python, so nothing is downloaded.

from chainrule.datasets import adding_problem, pydoc_corpus, CharVocab
X, y = adding_problem(1000, seq_len=50, seed=0)     # (1000, 50, 2), (1000, 1)
"""

from .idx import load_mnist, read_idx
from .registry import Splits, data_root, load, names
from .synthetic import adding_problem, forecast_windows, noisy_sine
from .text import CharVocab, batchify, pydoc_corpus, text_file, train_val_split

__all__ = [
    "Splits",
    "data_root",
    "load",
    "load_mnist",
    "names",
    "read_idx",
    "CharVocab",
    "adding_problem",
    "batchify",
    "forecast_windows",
    "noisy_sine",
    "pydoc_corpus",
    "text_file",
    "train_val_split",
]
