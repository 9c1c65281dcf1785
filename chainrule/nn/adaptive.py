"""``AdaptiveLogSoftmaxWithLoss``: the adaptive softmax of Grave et al. (2017), as torch's.

The classes are split by ``cutoffs`` c₀ < c₁ < … into a shortlist [0, c₀), scored by the head
together with one logit per cluster, and clusters [cᵢ₋₁, cᵢ), each scored by its own small
tail (in_features → in_features // div_valueⁱ → cluster size). For class y in cluster i,

    ln p(y | x) = ln softmax(head(x))[c₀ + i − 1] + ln softmax(tailᵢ(x))[y − cᵢ₋₁],

and for y in the shortlist ln softmax(head(x))[y]. Composed of differentiable ops, so gradients
come for free; the tails run only on the rows whose targets fall in their cluster. Parameter
names and shapes are torch's (``head.weight``, ``tail.0.0.weight``, …): a torch state dict
loads.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence

from ..autograd.grad_mode import no_grad
from ..backend import get_array_module
from ..functions.activation import log_softmax
from ..functions.joining import cat
from ..tensor import Tensor, as_tensor
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax over ``n_classes`` for inputs (N, in_features) or (in_features,).

    ``forward(input, target)`` returns ``(output, loss)``: output (N,) the log-probability of
    each target, loss the mean of −output. ``log_prob(input)`` gives all (N, n_classes)
    log-probabilities, ``predict(input)`` the most likely class of each row.
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Sequence[int],
        div_value: float = 4.0,
        head_bias: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = "AdaptiveLogSoftmaxWithLoss"
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError(f"{name}: cutoffs must hold at least one value, got []")
        if (
            cutoffs != sorted(cutoffs)
            or min(cutoffs) <= 0
            or max(cutoffs) > n_classes - 1
            or len(set(cutoffs)) != len(cutoffs)
            or any(int(c) != c for c in cutoffs)
        ):
            raise ValueError(
                f"{name}: cutoffs must be unique positive integers in increasing order, each "
                f"between 1 and n_classes - 1 = {n_classes - 1}, got {cutoffs}"
            )
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = [int(c) for c in cutoffs] + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    Linear(in_features, hsz, bias=False, dtype=dtype),
                    Linear(hsz, osz, bias=False, dtype=dtype),
                )
            )
        self._place(device)

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input: Tensor, target: Tensor) -> _ASMoutput:
        name = "AdaptiveLogSoftmaxWithLoss"
        x, t = as_tensor(input), as_tensor(target)
        xs, ts = tuple(x.shape), tuple(t.shape)
        if t.ndim == 1:
            if x.ndim != 2:
                raise ValueError(f"{name}: a 1-D target needs a 2-D input, got input shape {xs}")
            if xs[0] != ts[0]:
                raise ValueError(
                    f"{name}: input and target must have the same batch size, got input shape "
                    f"{xs} and target shape {ts}"
                )
        elif t.ndim == 0:
            if x.ndim != 1:
                raise ValueError(f"{name}: a 0-d target needs a 1-D input, got input shape {xs}")
        else:
            raise ValueError(f"{name}: target must be 0-d or 1-D, got shape {ts}")
        if t.dtype.kind not in "iu":
            raise TypeError(f"{name}: target must hold class indices, got dtype {t.dtype}")
        batched = t.ndim == 1
        if not batched:
            x, t = x.reshape(1, -1), t.reshape(1)
        td = t.data
        xp = get_array_module(td)
        if td.size and (int(td.min()) < 0 or int(td.max()) >= self.n_classes):
            raise IndexError(
                f"{name}: target values must be in [0, {self.n_classes - 1}], got values in "
                f"[{int(td.min())}, {int(td.max())}]"
            )
        cutoffs = xp.asarray(self.cutoffs)
        cluster = xp.searchsorted(cutoffs, td, side="right")  # 0: the shortlist
        head_index = xp.where(cluster == 0, td, self.shortlist_size + cluster - 1)
        head_logprob = log_softmax(self.head(x), 1)
        output = head_logprob.gather(1, head_index.reshape(-1, 1)).reshape(-1)
        for i in range(1, self.n_clusters + 1):
            rows = xp.nonzero(cluster == i)[0]
            if rows.size == 0:
                continue
            local = td[rows] - self.cutoffs[i - 1]
            logprob = log_softmax(self.tail[i - 1](x.index_select(0, rows)), 1)
            output = output.index_add(0, rows, logprob.gather(1, local.reshape(-1, 1)).reshape(-1))
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.reshape(()), loss)

    def _full_log_prob(self, x: Tensor, head_output: Tensor) -> Tensor:
        """All n_classes log-probabilities: the head's shortlist, then each cluster's tail
        log-softmax plus the head's log-probability of that cluster."""
        head_logprob = log_softmax(head_output, 1)
        s = self.shortlist_size
        parts = [head_logprob[:, :s]]
        for i, tail in enumerate(self.tail):
            parts.append(log_softmax(tail(x), 1) + head_logprob[:, s + i : s + i + 1])
        return cat(parts, 1)

    def log_prob(self, input: Tensor) -> Tensor:
        """ln p(c | x) for every class c: (N, in_features) → (N, n_classes)."""
        x = as_tensor(input)
        if x.ndim != 2:
            raise ValueError(
                f"AdaptiveLogSoftmaxWithLoss.log_prob: input must be (N, {self.in_features}), "
                f"got shape {tuple(x.shape)}"
            )
        return self._full_log_prob(x, self.head(x))

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each row, (N,) int64: log_prob(input).argmax(1), with the
        tails run only for rows whose best head entry is a cluster."""
        x = as_tensor(input)
        if x.ndim != 2:
            raise ValueError(
                f"AdaptiveLogSoftmaxWithLoss.predict: input must be (N, {self.in_features}), "
                f"got shape {tuple(x.shape)}"
            )
        with no_grad():
            head_output = self.head(x)
            best = head_output.data.argmax(axis=1)
            xp = get_array_module(best)
            rows = xp.nonzero(best >= self.shortlist_size)[0]
            if rows.size:
                x, head_output = x.index_select(0, rows), head_output.index_select(0, rows)
                best[rows] = self._full_log_prob(x, head_output).data.argmax(axis=1)
        return Tensor(best)


__all__ = ["AdaptiveLogSoftmaxWithLoss"]
