"""chainrule: a readable deep-learning framework on NumPy whose heart is backpropagation.

import chainrule as cr
x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
loss = (x * x).sum()
loss.backward()          # the chain rule over the recorded graph
x.grad                   # tensor([2., 4., 6.])
"""

from . import (
    autograd,
    backend,
    cuda,
    data,
    datasets,
    diagnostics,
    distributed,
    func,
    linalg,
    models,
    nn,
    optim,
    random,
    train,
    viz,
)
from .aliases import (
    clone,
    conj,
    detach,
    is_complex,
    is_floating_point,
    is_nonzero,
    is_same_size,
    is_signed,
    masked_fill,
    narrow_copy,
    positive,
    real,
    resolve_conj,
    resolve_neg,
    split_with_sizes,
)
from .autograd import (
    enable_grad,
    grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .backend import (
    Device,
    bool_,
    float16,
    float32,
    float64,
    get_array_module,
    get_default_dtype,
    get_num_threads,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    set_num_threads,
    uint8,
)
from .backend import Device as device
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import can_cast, finfo, iinfo, promote_types, result_type
from .explainer import Explanation, explain
from .func import vmap
from .functions.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    relu_,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from .functions.activation_extra import (
    celu,
    celu_,
    hardshrink,
    prelu,
    rrelu,
    rrelu_,
    selu,
    selu_,
    threshold,
    threshold_,
)
from .functions.adaptive_pooling import adaptive_avg_pool1d, adaptive_max_pool1d
from .functions.arithmetic import (
    abs,
    absolute,
    acos,
    add,
    arccos,
    arcsin,
    arctan,
    arctan2,
    asin,
    atan,
    atan2,
    ceil,
    clamp,
    clip,
    cos,
    cosh,
    erf,
    exp,
    expm1,
    fix,
    floor,
    floor_divide,
    fmod,
    frac,
    lerp,
    log,
    log1p,
    log2,
    log10,
    maximum,
    minimum,
    mul,
    nan_to_num,
    neg,
    negative,
    pow,
    reciprocal,
    remainder,
    round,
    rsqrt,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    sub,
    tan,
    trunc,
    where,
)
from .functions.bitwise import (
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    gcd,
    heaviside,
    isclose,
    isneginf,
    isposinf,
    isreal,
    lcm,
    sgn,
    signbit,
)
from .functions.comparison import (
    allclose,
    eq,
    equal,
    ge,
    gt,
    isfinite,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
)
from .functions.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from .functions.conv3d import conv3d, conv_transpose3d
from .functions.counting import (
    bincount,
    bucketize,
    histc,
    isin,
    kthvalue,
    mode,
    msort,
    searchsorted,
    unique,
    unique_consecutive,
)
from .functions.cumulative import cummax, cummin, cumprod, cumsum, diff, logcumsumexp
from .functions.decomposition import det, inverse, logdet, matrix_power, pinverse, slogdet
from .functions.distance import cdist, cosine_similarity, dist, pairwise_distance, pdist
from .functions.einsum import einsum, kron, tensordot
from .functions.grid_sample import affine_grid_generator, grid_sampler
from .functions.histogram import histogram, histogramdd
from .functions.integration import cumulative_trapezoid, gradient, trapezoid, trapz
from .functions.joining import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_shapes,
    broadcast_tensors,
    cartesian_prod,
    column_stack,
    combinations,
    diagonal_scatter,
    dsplit,
    dstack,
    fliplr,
    flipud,
    hsplit,
    hstack,
    ravel,
    repeat_interleave,
    rot90,
    row_stack,
    select,
    select_scatter,
    slice_scatter,
    swapaxes,
    swapdims,
    t,
    take,
    tensor_split,
    tril_indices,
    triu_indices,
    vander,
    vsplit,
    vstack,
)
from .functions.linalg import (
    addbmm,
    addmm,
    addmv,
    addr,
    baddbmm,
    block_diag,
    bmm,
    chain_matmul,
    cross,
    diag,
    diag_embed,
    diagflat,
    diagonal,
    dot,
    inner,
    matmul,
    mm,
    mv,
    outer,
    trace,
    vdot,
)
from .functions.linalg_legacy import cholesky, lu, lu_solve, qr, svd
from .functions.linear import bilinear
from .functions.lu import lu_unpack
from .functions.matrix_functions import matrix_exp, renorm
from .functions.numeric import (
    asarray,
    frexp,
    frombuffer,
    i0,
    igamma,
    igammac,
    mvlgamma,
    nextafter,
    range,
    scalar_tensor,
    unravel_index,
)
from .functions.pooling import avg_pool1d, max_pool1d
from .functions.pooling3d import max_pool1d_with_indices, max_pool3d
from .functions.reduction import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    median,
    min,
    norm,
    prod,
    std,
    sum,
    var,
)
from .functions.resampling import channel_shuffle, pixel_shuffle, pixel_unshuffle
from .functions.scatter import (
    argwhere,
    count_nonzero,
    index_add,
    index_copy,
    index_fill,
    index_put,
    masked_scatter,
    masked_select,
    meshgrid,
    nonzero,
    put,
    scatter,
    scatter_add,
)
from .functions.scatter_reduce import scatter_reduce
from .functions.selection import argsort, gather, index_select, sort, take_along_dim, topk
from .functions.shape import (
    broadcast_to,
    cat,
    chunk,
    concat,
    concatenate,
    expand,
    flatten,
    flip,
    moveaxis,
    movedim,
    narrow,
    pad,
    permute,
    reshape,
    roll,
    split,
    squeeze,
    stack,
    tile,
    transpose,
    tril,
    triu,
    unbind,
    unflatten,
    unsqueeze,
)
from .functions.special import (
    acosh,
    addcdiv,
    addcmul,
    arccosh,
    arcsinh,
    arctanh,
    asinh,
    atanh,
    clamp_max,
    clamp_min,
    copysign,
    deg2rad,
    digamma,
    divide,
    erfc,
    erfinv,
    exp2,
    float_power,
    fmax,
    fmin,
    greater,
    greater_equal,
    hypot,
    ldexp,
    less,
    less_equal,
    lgamma,
    logaddexp,
    logaddexp2,
    logit,
    multiply,
    not_equal,
    polygamma,
    rad2deg,
    sinc,
    subtract,
    true_divide,
    xlogy,
)
from .functions.special import divide as div
from .functions.statistics import (
    aminmax,
    corrcoef,
    cov,
    nanmean,
    nanmedian,
    nanquantile,
    nansum,
    quantile,
    std_mean,
    var_mean,
)
from .functions.triangular import cholesky_inverse, cholesky_solve, triangular_solve
from .functions.windows import (
    bartlett_window,
    blackman_window,
    hamming_window,
    hann_window,
    kaiser_window,
)
from .random import fork_rng, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .sampling import bernoulli, multinomial, normal, poisson
from .serialization import CheckpointError, load, save
from .tensor import Tensor

bool = bool_  # noqa: A001 - torch's dtype names
float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001
half = float16


def is_tensor(x) -> "builtins.bool":  # noqa: F821
    return isinstance(x, Tensor)


def numel(x) -> "builtins.int":  # noqa: F821
    return x.numel()


__version__ = "0.1.0"

# the top-level in-place spellings (cr.exp_, ...), generated in aliases.py
from . import aliases as _aliases  # noqa: E402

globals().update({_n: getattr(_aliases, _n) for _n in _aliases.INPLACE})
