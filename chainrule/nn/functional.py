"""``cr.nn.functional`` (import as ``F``): the layers' math as functions, with torch's names.

Each name is defined once, in ``chainrule/functions/``; this module only gathers them.
"""

from ..functions.activation import (
    elu,
    elu_,
    gelu,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    relu,
    relu_,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from ..functions.activation_extra import (
    celu,
    celu_,
    glu,
    gumbel_softmax,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    logsigmoid,
    mish,
    prelu,
    relu6,
    rrelu,
    rrelu_,
    selu,
    selu_,
    silu,
    softmin,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
    threshold_,
)
from ..functions.adaptive_pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
)
from ..functions.attention import multi_head_attention_forward, scaled_dot_product_attention
from ..functions.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ..functions.conv3d import conv3d, conv_transpose3d
from ..functions.ctc import ctc_loss
from ..functions.distance import cosine_similarity, normalize, pairwise_distance, pdist
from ..functions.dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from ..functions.embedding import embedding, one_hot
from ..functions.embedding_bag import embedding_bag
from ..functions.fold import fold, unfold
from ..functions.grid_sample import affine_grid, grid_sample
from ..functions.linear import bilinear, linear
from ..functions.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    triplet_margin_with_distance_loss,
)
from ..functions.normalization import (
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    rms_norm,
)
from ..functions.pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from ..functions.pooling3d import (
    adaptive_avg_pool3d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
    avg_pool3d,
    fractional_max_pool2d,
    fractional_max_pool3d,
    lp_pool3d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    max_pool3d,
    max_pool3d_with_indices,
    max_unpool3d,
)
from ..functions.pooling_extra import lp_pool1d, lp_pool2d, max_unpool1d, max_unpool2d
from ..functions.ranking import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from ..functions.resampling import (
    channel_shuffle,
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from ..functions.shape import pad

__all__ = [
    "elu", "gelu", "leaky_relu", "log_softmax", "relu", "sigmoid", "softmax", "softplus",
    "tanh", "conv1d", "conv2d", "conv_transpose2d", "dropout", "dropout1d", "dropout2d",
    "embedding", "linear", "bilinear", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "huber_loss", "kl_div", "l1_loss",
    "mse_loss", "nll_loss", "smooth_l1_loss", "batch_norm", "group_norm", "layer_norm",
    "adaptive_avg_pool2d", "avg_pool2d", "max_pool2d", "pad",
    "instance_norm", "rms_norm", "local_response_norm",
    "scaled_dot_product_attention", "multi_head_attention_forward",
    "max_pool1d", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d",
    "adaptive_max_pool2d", "interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle",
    "unfold", "fold",
    "cosine_similarity", "normalize", "pairwise_distance", "pdist", "one_hot",
    "gaussian_nll_loss", "poisson_nll_loss",
    "cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss", "multi_margin_loss",
    "multilabel_margin_loss", "multilabel_soft_margin_loss", "soft_margin_loss",
    "triplet_margin_loss",
    "celu", "celu_", "glu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "hardtanh_",
    "logsigmoid", "mish", "prelu", "relu6", "rrelu", "rrelu_", "selu", "selu_", "silu",
    "softmin", "softshrink", "softsign", "tanhshrink", "threshold", "threshold_",
    "relu_", "elu_", "leaky_relu_",
    "channel_shuffle", "upsample_nearest", "upsample_bilinear", "gumbel_softmax",
    "conv_transpose1d",
    "lp_pool1d", "lp_pool2d", "max_unpool1d", "max_unpool2d",
    "affine_grid", "grid_sample", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
    "adaptive_max_pool3d", "lp_pool3d", "max_unpool3d", "max_pool1d_with_indices",
    "max_pool2d_with_indices", "max_pool3d_with_indices", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices",
    "fractional_max_pool2d", "fractional_max_pool3d",
    "ctc_loss", "triplet_margin_with_distance_loss",
    "alpha_dropout", "feature_alpha_dropout", "dropout3d", "embedding_bag",
    "conv3d", "conv_transpose3d",
]  # fmt: skip
