"""``DistributedDataParallel``: the same model on every rank, each on its share of the batch.

    cr.distributed.init()
    model = cr.nn.parallel.DistributedDataParallel(Net())
    loss = F.cross_entropy(model(x_shard), y_shard)   # mean over this rank's samples
    loss.backward()        # when it returns, every rank holds the gradients averaged over ranks
    opt.step()

Why averaging is enough: with a loss that is a mean over samples, the mean of the ranks'
gradients on equal shards is the gradient of the whole batch, so every rank takes the step a
single process would take on the whole batch, and the replicas stay identical.

How the gradients travel. The parameters are packed, in reverse registration order (backward
makes the last layers' gradients first), into a few flat buffers of about ``bucket_cap_mb``
each, so a step makes a few large Allreduce calls instead of one per tensor. During the
forward each parameter is passed once through ``_GradReady``, an identity op; all the
parameter's uses hang below that one node, so the engine reaches it only when the
parameter's whole gradient is summed, in the middle of the backward walk. Its backward copies
the gradient into its bucket and, when the bucket is full, starts a non-blocking
``Iallreduce`` on it; the walk goes on to earlier layers while the bytes move. Each
parameter's leaf hook then runs after the walk: the last one waits for the buckets, divides by
the number of ranks and writes the averages into every ``.grad``.
"""

from __future__ import annotations

from contextlib import contextmanager

from .. import backend, distributed
from ..autograd.function import Function, bump_version
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from .module import Module
from .normalization import _BatchNorm

np = backend.np


class _GradReady(Function):
    """Identity in the forward; its backward receives a parameter's whole gradient of this
    backward pass (every use of the parameter sums into this one node) and hands it to DDP."""

    is_view = True

    def forward(self, x):
        return x

    def backward(self, gy):
        self.ddp._via_tap[self.index] = gy
        self.ddp._fill(self.index, gy, during_walk=True)
        return gy


class _Bucket:
    """Parameters whose gradients travel together in one flat buffer."""

    def __init__(self, indices, sizes, dtype):
        self.indices = indices  # positions in DDP's parameter list
        self.offsets = np.cumsum([0, *sizes])
        self.buffer = np.empty(int(self.offsets[-1]), dtype=dtype)
        self.filled = 0
        self.request = None


class DistributedDataParallel(Module):
    """Wrap ``module`` so ``backward`` averages its gradients over all MPI ranks.

    At wrap time: checks that every rank's model has the same parameter and buffer names and
    shapes (raising on the first difference) and copies rank 0's values to all ranks.
    ``bucket_cap_mb``: the size of the flat gradient buffers. ``overlap``: start each bucket's
    Allreduce during backward (True) or only once backward has made every gradient (False).
    ``broadcast_buffers``: copy rank 0's buffers (BatchNorm's running statistics) to all ranks
    at each training forward, as PyTorch does; batch statistics stay per rank.

    ``last_sync`` reports the last averaging: how many buckets, how many of them started
    while backward was still walking the graph, the gradient bytes each rank contributed, and
    how many of the parameters' gradients had arrived when each bucket started.

    Every parameter that requires grad must get a gradient in each synchronised backward;
    one that does not is reported at the next forward (there is no find_unused_parameters).
    """

    def __init__(
        self,
        module: Module,
        bucket_cap_mb: float = 1.0,
        overlap: bool = True,
        broadcast_buffers: bool = True,
    ):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: expected a Module, got {type(module).__name__}"
            )
        if not (isinstance(bucket_cap_mb, (int, float)) and bucket_cap_mb > 0):
            raise ValueError(
                f"DistributedDataParallel: bucket_cap_mb must be positive, got {bucket_cap_mb!r}"
            )
        self.world = distributed.world_size()  # raises if init() was not called
        self.module = module
        d = self.__dict__  # plain attributes, kept out of the Module registries
        d["overlap"] = overlap
        d["broadcast_buffers"] = broadcast_buffers
        d["_sync"] = True
        _check_same_structure(module)
        for t in (*module.parameters(), *module.buffers()):
            distributed.broadcast(t, src=0)
        names = [n for n, p in module.named_parameters() if p.requires_grad]
        params = [p for p in module.parameters() if p.requires_grad]
        d["_names"], d["_params"] = names, params
        d["_slot"] = [None] * len(params)  # parameter index -> (bucket, position in it)
        d["_buckets"] = self._make_buckets(bucket_cap_mb * 2**20)
        d["_owners"] = self._owners()
        d["_owned"] = {}  # id(module) -> indices of the parameters it holds
        for m, _, i in self._owners:
            d["_owned"].setdefault(id(m), []).append(i)
        d["_taps"] = None  # during a synchronised forward: each parameter's _GradReady output
        d["_via_tap"] = {}  # parameter index -> the gradient array its _GradReady passed on
        for m in {id(m): m for m, _, _ in self._owners}.values():
            m.register_forward_pre_hook(self._tap_before_forward)
        d["_hooked"] = 0  # leaf hooks run in this backward
        d["_filled"] = set()  # parameters whose bucket slot holds this backward's gradient
        d["_started"] = 0  # buckets whose Allreduce started during the backward walk
        d["_arrived_at_start"] = []  # per bucket: how many gradients had arrived when it started
        d["last_sync"] = None  # what the last averaging did (see the class docstring)
        for i, p in enumerate(params):
            p.register_hook(self._leaf_hook(i))

    # ------------------------------------------------------------------ setup
    def _make_buckets(self, cap_bytes: float) -> list[_Bucket]:
        buckets, cur, size = [], [], 0
        for i in reversed(range(len(self._params))):
            p = self._params[i]
            if cur and p.dtype != self._params[cur[0]].dtype:  # one dtype per flat buffer
                buckets.append(cur)
                cur, size = [], 0
            cur.append(i)
            size += p.data.nbytes
            if size >= cap_bytes:
                buckets.append(cur)
                cur, size = [], 0
        if cur:
            buckets.append(cur)
        made = []
        for idx in buckets:
            bucket = _Bucket(
                idx, [self._params[i].data.size for i in idx], self._params[idx[0]].dtype
            )
            for k, i in enumerate(idx):
                self._slot[i] = (bucket, k)
            made.append(bucket)
        return made

    def _owners(self) -> list[tuple[Module, str, int]]:
        """(module, attribute name, parameter index) for every place a parameter is held."""
        index = {id(p): i for i, p in enumerate(self._params)}
        return [
            (m, name, index[id(p)])
            for m in self.module.modules()
            for name, p in m._parameters.items()
            if p is not None and id(p) in index
        ]

    # ------------------------------------------------------------------ forward
    def forward(self, *args, **kwargs):
        self._check_finished()
        training = self.training and is_grad_enabled()
        if training and self.broadcast_buffers and self.world > 1:
            for b in self.module.buffers():
                distributed.broadcast(b, src=0)
        if not (training and self._sync and self.overlap and self.world > 1):
            return self.module(*args, **kwargs)
        self.__dict__["_taps"] = [None] * len(self._params)  # filled by _tap_before_forward
        try:
            return self.module(*args, **kwargs)
        finally:
            self.__dict__["_taps"] = None
            for m, name, i in self._owners:
                object.__setattr__(m, name, self._params[i])

    def _tap_before_forward(self, module, args):
        """A forward pre-hook on each module holding parameters: pass each of its parameters,
        the first time it is used in this forward, through ``_GradReady``, and let every module
        holding it read the result instead. Made here, just before the layer's ops, the node
        sits just below them in recording order, so backward reaches it right after the
        layer's own backward, before the earlier layers'."""
        taps = self._taps
        if taps is None:
            return None
        for i in self._owned.get(id(module), ()):
            if taps[i] is None:
                fn = _GradReady()
                fn.ddp, fn.index = self, i
                taps[i] = fn(self._params[i])
                for m, name, j in self._owners:
                    if j == i:
                        object.__setattr__(m, name, taps[i])
        return None

    @contextmanager
    def no_sync(self):
        """Inside this block backward only accumulates local gradients (no communication);
        the first synchronised backward after it averages the accumulated sums."""
        old = self._sync
        self.__dict__["_sync"] = False
        try:
            yield
        finally:
            self.__dict__["_sync"] = old

    # ------------------------------------------------------------------ backward
    def _fill(self, i: int, g, during_walk: bool = False) -> None:
        """Parameter ``i``'s gradient of this backward is ``g``: put (its .grad so far + g)
        into its bucket slot; start the bucket's Allreduce once its last slot is filled."""
        if not (self._sync and self.world > 1):
            return
        bucket, k = self._slot[i]
        slot = bucket.buffer[bucket.offsets[k] : bucket.offsets[k + 1]]
        if i in self._filled:
            raise RuntimeError(
                f"DistributedDataParallel: parameter {self._names[i]!r} got a second gradient "
                "before the first was averaged; run one forward per backward (a second backward "
                "through the same forward needs no_sync())"
            )
        prior = self._params[i].grad
        g = np.asarray(g).reshape(-1)
        if prior is None:
            slot[:] = g
        else:
            np.add(prior.data.reshape(-1), g, out=slot)
        bucket.filled += 1
        self._filled.add(i)
        if bucket.filled == len(bucket.indices):
            bucket.request = distributed._iallreduce_sum(bucket.buffer)
            self._started += during_walk
            self._arrived_at_start.append(len(self._filled))
        distributed._progress([b.request for b in self._buckets if b.request is not None])

    def _leaf_hook(self, i: int):
        def hook(grad):
            if not (self._sync and self.world > 1):
                return None
            if i not in self._filled:  # no _GradReady saw it (overlap=False): fill it now
                self._fill(i, grad.data)
            elif self._via_tap.pop(i) is not grad.data:
                raise RuntimeError(
                    f"DistributedDataParallel: parameter {self._names[i]!r} got gradient from a "
                    "use outside the forward of the module holding it (read before that module "
                    "ran), after its bucket may have been sent; use overlap=False for this model"
                )
            self.__dict__["_hooked"] = self._hooked + 1
            if self._hooked < len(self._params):
                return None
            return self._finish(i)  # the last parameter: every bucket has been started

        return hook

    def _finish(self, last: int) -> Tensor:
        """Wait for every bucket, average, and write each parameter's .grad; returns the
        gradient the engine stores for parameter ``last`` (whose hook is running now)."""
        out = None
        for bucket in self._buckets:
            if bucket.request is None:
                missing = [self._names[i] for i in bucket.indices]
                raise RuntimeError(
                    f"DistributedDataParallel: a bucket was never sent (parameters {missing})"
                )
            bucket.request.Wait()
            bucket.buffer /= self.world
            for k, i in enumerate(bucket.indices):
                p = self._params[i]
                avg = bucket.buffer[bucket.offsets[k] : bucket.offsets[k + 1]].reshape(p.shape)
                if i == last:
                    p.grad = None  # the engine stores the returned tensor as .grad
                    out = Tensor(avg.copy())
                else:
                    p.grad = Tensor(avg.copy())
            bucket.filled, bucket.request = 0, None
        self.__dict__["last_sync"] = {
            "buckets": len(self._buckets),
            "started_during_backward": self._started,
            "bytes": sum(b.buffer.nbytes for b in self._buckets),
            "gradients_arrived_at_each_start": list(self._arrived_at_start),
        }
        self._arrived_at_start.clear()
        self.__dict__["_hooked"] = self.__dict__["_started"] = 0
        self._filled.clear()
        return out

    def _check_finished(self) -> None:
        """Raise if the last backward left a reduction half done (a parameter got no
        gradient), naming the parameters whose gradients never arrived."""
        if self._hooked == 0 and not self._filled:
            return
        missing = [n for i, n in enumerate(self._names) if i not in self._filled]
        self.__dict__["_hooked"] = 0
        self._filled.clear()
        for bucket in self._buckets:
            bucket.filled, bucket.request = 0, None
        raise RuntimeError(
            "DistributedDataParallel: the last backward did not give every parameter a "
            f"gradient, so the gradients were not averaged; missing: {missing[:5]}"
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            + ". Every parameter that requires grad must take part in the loss (or set "
            "requires_grad=False on the unused ones)"
        )

    # ------------------------------------------------------------------ state
    def state_dict(self, *args, **kwargs):
        """The wrapped module's state (without a 'module.' prefix), so checkpoints load into
        the plain model."""
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, *args, **kwargs):
        return self.module.load_state_dict(*args, **kwargs)


def _check_same_structure(module: Module) -> None:
    """Raise on every rank, naming the first difference, if the ranks' models differ in
    parameter or buffer names, shapes or dtypes."""
    mine = [
        (kind, name, tuple(t.shape), str(t.dtype))
        for kind, items in (
            ("parameter", module.named_parameters()),
            ("buffer", module.named_buffers()),
        )
        for name, t in items
    ]
    everyone = distributed.all_gather_object(mine)
    ref = everyone[0]
    for r, theirs in enumerate(everyone[1:], start=1):
        for a, b in zip(ref, theirs):
            if a != b:
                raise ValueError(
                    f"DistributedDataParallel: rank {r}'s model differs from rank 0's: rank 0 has "
                    f"{a[0]} {a[1]!r} of shape {a[2]} ({a[3]}), rank {r} has {b[0]} {b[1]!r} of "
                    f"shape {b[2]} ({b[3]})"
                )
        if len(ref) != len(theirs):
            longer, n = (0, len(ref)) if len(ref) > len(theirs) else (r, len(theirs))
            extra = (ref if longer == 0 else theirs)[min(len(ref), len(theirs))]
            raise ValueError(
                f"DistributedDataParallel: rank {r}'s model differs from rank 0's: rank {longer} "
                f"has an extra {extra[0]} {extra[1]!r} of shape {extra[2]} ({n} tensors against "
                f"{min(len(ref), len(theirs))})"
            )


class _AllReduceSum(Function):
    """y = Σ over ranks of x. Every rank's loss depends on y, so ∂(Σ losses)/∂x is the sum over
    ranks of ∂loss/∂y: the backward is the same all-reduce, applied to the gradient."""

    def forward(self, x):
        return distributed._allreduce_array(x.copy())

    def backward(self, gy):
        return distributed._allreduce_array(np.array(gy, copy=True))


class SyncBatchNorm(_BatchNorm):
    """Batch norm whose training statistics are taken over the whole batch of all ranks.

    With it, N ranks on slices of a batch normalise exactly as one process on the whole batch
    would: μ and σ² are all-reduced sums divided by the global count (two collectives, for the
    mean and then the centred squares, which keeps float32 accurate). Gradients flow through
    the all-reduces. In eval mode, or outside an MPI job, it is plain batch norm.
    Build one with ``SyncBatchNorm.convert_sync_batchnorm(model)``.
    """

    _ranks = (2, 3, 4, 5)
    _layout = "input (N, C, ...)"

    @classmethod
    def convert_sync_batchnorm(cls, module: Module) -> Module:
        """Replace, in place, every BatchNorm1d/2d/3d inside ``module`` (or ``module`` itself) by
        a SyncBatchNorm holding the same Parameters and buffers; returns the result."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            sync = cls.__new__(cls)
            sync.__dict__.update(module.__dict__)
            object.__setattr__(sync, "_ranks", module._ranks)
            object.__setattr__(sync, "_layout", module._layout)
            return sync
        for name, child in list(module._modules.items()):
            if child is not None:
                converted = cls.convert_sync_batchnorm(child)
                if converted is not child:
                    module.add_module(name, converted)
        return module

    def forward(self, input: Tensor) -> Tensor:
        world = distributed.world_size() if distributed.is_initialized() else 1
        if not self.training or world == 1:
            return super().forward(input)
        name = type(self).__name__
        if input.ndim not in self._ranks or input.shape[1] != self.num_features:
            raise ValueError(
                f"{name}: expected {self._layout} with {self.num_features} channels, got shape "
                f"{tuple(input.shape)}"
            )
        axes = (0, *range(2, input.ndim))
        n = distributed.all_gather_object(input.numel() // self.num_features)
        n = sum(n)
        mean = _AllReduceSum.apply(input.sum(dim=axes, keepdim=True)) / n
        xc = input - mean
        var = _AllReduceSum.apply((xc * xc).sum(dim=axes, keepdim=True)) / n
        y = xc * (var + self.eps).rsqrt()
        if self.affine:
            shape = (1, self.num_features) + (1,) * (input.ndim - 2)
            y = y * self.weight.reshape(shape) + self.bias.reshape(shape)
        if self.track_running_stats:
            self.num_batches_tracked.data += 1
            f = self.momentum
            if f is None:
                f = 1.0 / float(self.num_batches_tracked.data)
            unbiased = var.data.reshape(-1) * (n / max(n - 1, 1))
            for buf, value in (
                (self.running_mean, mean.data.reshape(-1)),
                (self.running_var, unbiased),
            ):
                buf.data[...] = (1 - f) * buf.data + f * value
                bump_version(buf)
        return y
