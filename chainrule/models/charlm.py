"""A character-level language model (seed program 7): Embedding → LSTM → Linear.

    ids (B, T) → Embedding (B, T, embed) → LSTM (B, T, hidden) → Linear → logits (B, T, V)

It trains on the first 200 000 characters of Python's own documentation text
(``pydoc_data.topics``) with truncated backpropagation through time: the text is laid out as
``batch_size`` parallel rows, each step reads the next ``bptt`` characters of every row, and
the LSTM state carries over between steps with its history cut (``detach``). ``sample`` draws
text from the trained model; the model holds its vocabulary, so it needs nothing else.
"""

from __future__ import annotations

import math

from .. import backend, nn, optim
from ..autograd import no_grad
from ..creation import tensor
from ..data import TensorDataset
from ..datasets import CharVocab, batchify, pydoc_corpus, train_val_split
from ..datasets.registry import Splits
from ..nn import functional as F
from ..nn.recurrent import LSTM
from ..train import model_device
from ._loop import Loop

np = backend.np

DEFAULTS = {
    "dataset": "pydoc",  # Python's documentation text, not in the registry: see ``data``
    "epochs": 4,
    "steps_per_epoch": 50,  # an epoch here is 50 BPTT steps, not a pass over the text
    "batch_size": 32,
    "bptt": 64,
    "lr": 1e-2,
    "optimizer": "adam",
    "clip_grad_norm": 1.0,
    "loss": "cross_entropy",
    "metric": "val_nats_per_char",  # lower is better; the unigram baseline is ≈ 3.3
    "target": None,
    "embed": 32,
    "hidden": 128,
    "temperature": 0.8,
}
N_CHARS = 200_000


class CharLM(nn.Module):
    """Next-character logits (B, T, V) and the LSTM state, from ids (B, T)."""

    def __init__(self, vocab: CharVocab, embed: int = 32, hidden: int = 128):
        super().__init__()
        self.vocab = vocab
        self.embed = nn.Embedding(len(vocab), embed)
        self.lstm = LSTM(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, len(vocab))

    def forward(self, ids, state=None):
        h, state = self.lstm(self.embed(ids), state)
        return self.out(h), state


def data(seed: int = 0) -> Splits:
    """The corpus's first 200 000 characters, the first 90% for training and the rest for
    validation, each as a TensorDataset of one row of character ids (``seed`` is unused: the
    split is in text order). ``info['chars']`` is the vocabulary."""
    text = pydoc_corpus()[:N_CHARS]
    vocab = CharVocab(text)
    train_text, val_text = train_val_split(text, 0.1)
    rows = lambda s: TensorDataset(vocab.encode(s).reshape(1, -1))  # noqa: E731
    info = {"name": "pydoc", "task": "language_model", "chars": "".join(vocab.itos)}
    return Splits(rows(train_text), rows(val_text), info)


def build(info: dict, embed=None, hidden=None, **hparams) -> nn.Module:
    """A CharLM over ``info['chars']``, the vocabulary's characters in sorted order."""
    if hparams:
        raise ValueError(f"charlm: unknown hyperparameters {sorted(hparams)}; valid: embed, hidden")
    if not info.get("chars"):
        raise ValueError(f"charlm: needs a text dataset with info['chars'], got {sorted(info)}")
    return CharLM(
        CharVocab(info["chars"]),
        DEFAULTS["embed"] if embed is None else embed,
        DEFAULTS["hidden"] if hidden is None else hidden,
    )


def nats_per_char(model, rows) -> float:
    """Mean cross-entropy of predicting rows[:, t+1] from rows[:, :t+1], in nats per char."""
    was_training = model.training
    model.eval()
    with no_grad():
        logits, _ = model(rows[:, :-1])
        V = logits.shape[-1]
        value = F.cross_entropy(logits.reshape(-1, V), rows[:, 1:].reshape(-1)).item()
    model.train(was_training)
    return value


def fit(model, splits, config: dict, log=None, loop=None) -> dict:
    """Adam (gradient norm clipped) with truncated BPTT over the training text; after each
    epoch of ``steps_per_epoch`` steps, ``log(epoch, {'train_loss', 'val_nats_per_char'})``.
    ``loop`` (a ``Loop``) checkpoints the model, the optimizer, the position in the text and
    the LSTM state carried to the next step, so a resumed run continues exactly."""
    cfg = {**DEFAULTS, **config}
    batch_size, bptt, V = cfg["batch_size"], cfg["bptt"], len(model.vocab)
    per_epoch = cfg["steps_per_epoch"]
    device = model_device(model)  # the text follows the model
    train_rows = batchify(splits.train.tensors[0].reshape(-1), batch_size).to(device)
    val_rows = batchify(splits.test.tensors[0].reshape(-1), 50).to(device)
    if train_rows.shape[1] < bptt + 1:
        raise ValueError("charlm: the training text is too short for batch_size × bptt + 1")
    params = list(model.parameters())
    opt = {"adam": optim.Adam, "sgd": optim.SGD, "adamw": optim.AdamW}[cfg["optimizer"]](
        params, lr=cfg["lr"]
    )
    loop = Loop() if loop is None else loop
    run = loop.start(
        cfg.get("seed") or 0,
        {"model": model, "optimizer": opt},
        state={"pos": 0, "hidden": None, "losses": [], "result": {}},
    )
    model.train()
    for epoch, step in loop.steps(cfg["epochs"], per_epoch):
        if step == 1:
            run["losses"] = []
        if run["pos"] + bptt + 1 > train_rows.shape[1]:  # wrap around: start the rows afresh
            run["hidden"], run["pos"] = None, 0
        pos, hidden = run["pos"], run["hidden"]
        x = train_rows[:, pos : pos + bptt]
        target = train_rows[:, pos + 1 : pos + bptt + 1]
        if hidden is not None:  # truncated BPTT: keep the state's value, cut its history
            hidden = tuple(s.detach().to(device) for s in hidden)  # (a resume loads it on cpu)
        logits, run["hidden"] = model(x, hidden)
        run["pos"] = pos + bptt
        loss = F.cross_entropy(logits.reshape(-1, V), target.reshape(-1))
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(
                f"charlm: the loss became {value} at epoch {epoch}; try a smaller --lr"
            )
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, cfg["clip_grad_norm"])
        opt.step()
        run["losses"].append(value)
        if step == per_epoch:
            run["result"] = {
                "train_loss": float(np.mean(run["losses"])),
                "val_nats_per_char": nats_per_char(model, val_rows),
            }
            if log is not None:
                log(epoch, dict(run["result"]))
    return run["result"]


def objective(model, splits, n: int = 4, seed: int = 0, length: int = 8):
    """``(loss_fn, ids)`` for ``check_model``: the next-character cross-entropy on ``n`` rows of
    ``length + 1`` training characters from random positions."""
    text = splits.train.tensors[0].reshape(-1).numpy()
    starts = np.random.default_rng(seed).integers(0, len(text) - length - 1, n)
    ids = tensor(np.stack([text[s : s + length + 1] for s in starts]))

    def loss(m, rows):
        logits, _ = m(rows[:, :-1])
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), rows[:, 1:].reshape(-1))

    return loss, ids


def sample(model, n: int = 200, seed: int = 0, prime: str = "The ", temperature=None) -> str:
    """``prime`` followed by ``n`` characters drawn from softmax(logits / temperature)."""
    temperature = DEFAULTS["temperature"] if temperature is None else temperature
    rng = np.random.default_rng(seed)
    vocab, out = model.vocab, []
    prime = "".join(ch for ch in prime if ch in vocab) or vocab.itos[0]
    was_training = model.training
    device = model_device(model)
    model.eval()
    with no_grad():
        logits, state = model(vocab.encode(prime).reshape(1, -1).to(device))
        for _ in range(n):
            z = logits[0, -1].numpy().astype(np.float64) / temperature
            p = np.exp(z - z.max())
            i = int(rng.choice(len(p), p=p / p.sum()))
            out.append(i)
            logits, state = model(tensor([[i]], device=device), state)
    model.train(was_training)
    return prime + vocab.decode(out)
