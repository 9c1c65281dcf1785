"""Recurrent layers, as ``torch.nn``: cells ``RNNCell``, ``LSTMCell``, ``GRUCell`` (one step)
and layers ``RNN``, ``LSTM``, ``GRU`` (whole sequences, stacked, optionally bidirectional).

Parameters carry torch's names and layouts, so a torch state dict loads as is:
``weight_ih_l{k}`` (gates·H, in), ``weight_hh_l{k}`` (gates·H, H), ``bias_ih_l{k}``,
``bias_hh_l{k}`` (gates·H,), with ``_reverse`` for the backward direction; gates are LSTM
(i, f, g, o), GRU (r, z, n). All start U(−1/√H, 1/√H). The math is in
``chainrule.functions.recurrent``.

Variable-length batches: pass ``lengths`` (B,) to ``forward``. Padded steps leave the states
and the gradients unchanged and give zero outputs, as torch's ``pack_padded_sequence`` /
``pad_packed_sequence(total_length=T)`` pair does.
"""

from __future__ import annotations

import math
import warnings

from .. import backend
from ..functions import recurrent as R
from ..functions.dropout import dropout as _dropout
from ..functions.shape import cat, stack
from ..tensor import Tensor, as_tensor
from . import init
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence, packed_rows, pad_packed_sequence


def _empty(shape, dtype):
    dtype = backend.as_dtype(dtype) or backend.DEFAULT_FLOAT
    return backend.np.empty(shape, dtype=dtype)


def _check_shape(name, op, t, expected):
    if tuple(t.shape) != tuple(expected):
        raise ValueError(f"{op}: expected {name} of shape {tuple(expected)}, got {tuple(t.shape)}")


# ------------------------------------------------------------------ cells
class _CellBase(Module):
    gates = 1

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        G = self.gates * hidden_size
        self.weight_ih = Parameter(_empty((G, input_size), dtype))
        self.weight_hh = Parameter(_empty((G, hidden_size), dtype))
        if bias:
            self.bias_ih = Parameter(_empty((G,), dtype))
            self.bias_hh = Parameter(_empty((G,), dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()
        self._place(device)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _prepare(self, input, hx):
        """Check shapes; return (x (B, in), hx tuple of (B, H) or None, batched)."""
        op = type(self).__name__
        x = as_tensor(input)
        if x.ndim not in (1, 2):
            raise ValueError(
                f"{op}: expected input to be 1-D or 2-D, got {x.ndim}-D with shape {x.shape}"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{op}: input has {x.shape[-1]} features (last dim), expected input_size "
                f"{self.input_size} (shape {x.shape})"
            )
        batched = x.ndim == 2
        if not batched:
            x = x.unsqueeze(0)
        B = x.shape[0]
        if hx is None:
            return x, None, batched
        hs = hx if isinstance(hx, tuple) else (hx,)
        out = []
        for name, h in zip(("hx", "cx"), hs):
            h = as_tensor(h)
            _check_shape(name, op, h, (B, self.hidden_size) if batched else (self.hidden_size,))
            out.append(h if batched else h.unsqueeze(0))
        return x, tuple(out), batched

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        return s

    def _zeros(self, x):
        xp = backend.get_array_module(x.data)
        return Tensor(xp.zeros((x.shape[0], self.hidden_size), dtype=x.dtype))


class RNNCell(_CellBase):
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), act = tanh or relu.
    input (B, in) or (in,), hx (B, H) or (H,) or None (zeros) → h' of hx's shape."""

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: unknown nonlinearity {nonlinearity!r}, expected 'tanh' or 'relu'"
            )
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity
        self._place(device)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, hs, batched = self._prepare(input, hx)
        h = self._zeros(x) if hs is None else hs[0]
        cell = R.rnn_tanh_cell if self.nonlinearity == "tanh" else R.rnn_relu_cell
        h = cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(_CellBase):
    """One LSTM step: (h', c') from input (B, in) and (h, c), each (B, H) (or unbatched)."""

    gates = 4

    def forward(self, input: Tensor, hx=None):
        x, hs, batched = self._prepare(input, hx)
        if hs is not None and len(hs) != 2:
            raise ValueError("LSTMCell: hx must be a tuple (h, c)")
        h, c = (self._zeros(x), self._zeros(x)) if hs is None else hs
        h, c = R.lstm_cell(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_CellBase):
    """One GRU step: h' from input (B, in) and h (B, H) (or unbatched)."""

    gates = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, hs, batched = self._prepare(input, hx)
        h = self._zeros(x) if hs is None else hs[0]
        h = R.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)


# ------------------------------------------------------------------ layers
class RNNBase(Module):
    """Shared body of RNN, LSTM and GRU: parameters, checks, and the layer/direction loop."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ):
        super().__init__()
        name = "RNN" if mode.startswith("RNN") else mode
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(f"{name}: dropout should be a number in [0, 1], got {dropout}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{name}: dropout={dropout} and num_layers=1: dropout acts between layers "
                "only, so it has no effect here",
                stacklevel=2,
            )
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive int, got {hidden_size!r}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive int, got {num_layers!r}")
        if not isinstance(proj_size, int) or proj_size < 0:
            raise ValueError(
                f"{name}: proj_size must be a non-negative int (0: no projections), got "
                f"{proj_size!r}"
            )
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size is only supported for LSTM, got {proj_size}")
        if proj_size >= hidden_size:
            raise ValueError(
                f"{name}: proj_size ({proj_size}) must be smaller than hidden_size ({hidden_size})"
            )
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        G = R.GATES[mode] * hidden_size
        D = 2 if bidirectional else 1
        out = proj_size or hidden_size  # the size of h, and of each direction's output
        self._names = []  # per (layer, direction): the 2 or 4 parameter names
        self._proj_names = []  # per (layer, direction): weight_hr's name, with projections
        for layer in range(num_layers):
            n_in = input_size if layer == 0 else out * D
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                names = [f"weight_ih{sfx}", f"weight_hh{sfx}"]
                setattr(self, names[0], Parameter(_empty((G, n_in), dtype)))
                setattr(self, names[1], Parameter(_empty((G, out), dtype)))
                if bias:
                    names += [f"bias_ih{sfx}", f"bias_hh{sfx}"]
                    setattr(self, names[2], Parameter(_empty((G,), dtype)))
                    setattr(self, names[3], Parameter(_empty((G,), dtype)))
                self._names.append(names)
                if proj_size:
                    self._proj_names.append(f"weight_hr{sfx}")
                    setattr(
                        self, f"weight_hr{sfx}", Parameter(_empty((proj_size, hidden_size), dtype))
                    )
        self.reset_parameters()
        self._place(device)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    @property
    def _op(self):
        return type(self).__name__

    def _weights(self, k):
        ws = [getattr(self, n) for n in self._names[k]]
        return ws if len(ws) == 4 else ws + [None, None]

    def _mask(self, lengths, T, B, x):
        """lengths (B,) → a 0/1 mask (T, B, 1) in x's dtype on x's device, or None when every
        sequence is full. The lengths are checked on the host (torch wants them on the CPU)."""
        op = self._op
        L = backend.to_host(lengths.data if isinstance(lengths, Tensor) else lengths)
        L = backend.np.asarray(L)
        if L.ndim != 1 or L.shape[0] != B:
            raise ValueError(
                f"{op}: lengths must have one entry per sequence: expected shape ({B},), "
                f"got {tuple(L.shape)}"
            )
        if L.dtype.kind not in "iu" and not (L.dtype.kind == "f" and (L == L.round()).all()):
            raise TypeError(f"{op}: lengths must be integers, got dtype {L.dtype}")
        if B and (L.max() > T or L.min() < 0):
            bad = int(L.max()) if L.max() > T else int(L.min())
            raise ValueError(f"{op}: lengths must lie in [0, {T}] (the sequence length), got {bad}")
        if (L == T).all():
            return None
        mask = (backend.np.arange(T)[:, None] < L[None, :]).astype(x.dtype)[..., None]
        return backend.to_device(mask, x.device)

    def _check_hidden(self, h, name, D_L, B, batched):
        h = as_tensor(h)
        H = (self.proj_size or self.hidden_size) if name == "h0" else self.hidden_size
        expected = (D_L, B, H) if batched else (D_L, H)
        _check_shape(name, self._op, h, expected)
        return h if batched else h.unsqueeze(1)

    def forward(self, input: Tensor, hx=None, lengths=None):
        """input (T, B, in) ((B, T, in) if batch_first, or (T, in) unbatched); hx (h0 or
        (h0, c0) for LSTM) each (D·num_layers, B, H) or None (zeros); lengths (B,) or None.
        Returns output (T, B, D·H) and h_n (D·num_layers, B, H) (or (h_n, c_n) for LSTM)."""
        op = self._op
        if isinstance(input, PackedSequence):  # run padded, with lengths; pack the output alike
            return self._forward_packed(input, hx)
        x = as_tensor(input)
        if x.ndim not in (2, 3):
            raise ValueError(
                f"{op}: expected input of 2 dims (unbatched) or 3 dims (batched), got "
                f"{x.ndim} dims with shape {x.shape}"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{op}: input.size(-1) must be equal to input_size: expected "
                f"{self.input_size}, got {x.shape[-1]} (input shape {x.shape})"
            )
        batched = x.ndim == 3
        if not batched:
            if lengths is not None:
                raise ValueError(f"{op}: lengths needs a batched (3-D) input, got {x.shape}")
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        T, B = x.shape[0], x.shape[1]
        D = 2 if self.bidirectional else 1
        lstm = self.mode == "LSTM"
        h0 = c0 = None
        if hx is not None:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise ValueError(f"{op}: hx must be a tuple (h0, c0), got {type(hx).__name__}")
                h0 = self._check_hidden(hx[0], "h0", D * self.num_layers, B, batched)
                c0 = self._check_hidden(hx[1], "c0", D * self.num_layers, B, batched)
            else:
                h0 = self._check_hidden(hx, "hx", D * self.num_layers, B, batched)
        mask = None if lengths is None else self._mask(lengths, T, B, x)
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                if self.proj_size:
                    y, h, c = R.projected_lstm_layer(
                        x,
                        *self._weights(k),
                        getattr(self, self._proj_names[k]),
                        None if h0 is None else h0[k],
                        None if c0 is None else c0[k],
                        mask=mask,
                        reverse=bool(d),
                    )
                    outs.append(y)
                    hs.append(h)
                    cs.append(c)
                    continue
                y = R.fused_layer(
                    self.mode,
                    x,
                    *self._weights(k),
                    None if h0 is None else h0[k],
                    None if c0 is None else c0[k],
                    mask=mask,
                    reverse=bool(d),
                )
                outs.append(y[:T])
                hs.append(y[T])
                if lstm:
                    cs.append(y[T + 1])
            x = outs[0] if D == 1 else cat(outs, 2)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        h_n = hs[0].unsqueeze(0) if len(hs) == 1 else stack(hs, 0)
        if lstm:
            c_n = cs[0].unsqueeze(0) if len(cs) == 1 else stack(cs, 0)
        if not batched:
            x, h_n = x.squeeze(1), h_n.squeeze(1)
            if lstm:
                c_n = c_n.squeeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        return (x, (h_n, c_n)) if lstm else (x, h_n)

    def _forward_packed(self, packed, hx):
        """``forward`` on a PackedSequence: output as a PackedSequence with the input's batch
        sizes and order; h_n (and c_n) in the caller's batch order, as torch."""
        x, lengths = pad_packed_sequence(packed, batch_first=self.batch_first)
        out, state = self.forward(x, hx, lengths=lengths)
        if self.batch_first:
            out = out.transpose(0, 1)
        T, B = out.shape[0], out.shape[1]
        order = packed.sorted_indices
        order = backend.np.arange(B) if order is None else backend.to_host(order.data)
        sizes = backend.to_host(packed.batch_sizes.data)
        rows = packed_rows(sizes, order, B)
        data = out.reshape((T * B,) + out.shape[2:])[Tensor(rows)]
        return packed._replace(data=data), state

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:  # torch prints it here, second
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN, h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), act tanh or relu.
    Arguments as torch: (input_size, hidden_size, num_layers=1, nonlinearity='tanh',
    bias=True, batch_first=False, dropout=0.0, bidirectional=False)."""

    def __init__(self, *args, **kwargs):
        args = list(args)
        nl = kwargs.pop("nonlinearity", None)
        if nl is None:
            nl = args.pop(3) if len(args) > 3 else "tanh"
        if nl not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nl!r}, expected 'tanh' or 'relu'")
        super().__init__("RNN_TANH" if nl == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nl


class LSTM(RNNBase):
    """Long short-term memory, gates (i, f, g, o); returns output, (h_n, c_n).
    Arguments as torch: (input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0). With ``proj_size`` P > 0 each step's
    h = (o ⊙ tanh c) W_hrᵀ has size P (``weight_hr_l{k}``, (P, H)): the outputs and h_n are
    P wide, c_n stays H (a composed path, step by step, rather than the fused layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit, gates (r, z, n); returns output, h_n.
    Arguments as torch: (input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)."""

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", *args, **kwargs)


__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNNBase", "RNN", "LSTM", "GRU"]
