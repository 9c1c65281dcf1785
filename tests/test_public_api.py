"""The public names a PyTorch user reaches for, checked present in chainrule where PyTorch has
them: top-level functions, ``nn.functional``, ``nn`` layers and Tensor methods (their values
are tested against PyTorch in the op families' own test files)."""

import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F

TOP = """
    abs absolute acos acosh addbmm addcdiv addcmul addmm addmv addr aminmax arccosh arcsinh
    arctanh argsort argwhere asinh atan2 atanh atleast_1d atleast_2d atleast_3d baddbmm
    bernoulli bilinear bincount bitwise_and bitwise_left_shift bitwise_not bitwise_or
    bitwise_right_shift bitwise_xor block_diag broadcast_shapes broadcast_tensors bucketize
    cartesian_prod cat cdist chain_matmul channel_shuffle clamp_max clamp_min clip clone
    column_stack combinations concatenate conj conv_transpose1d conv1d conv2d conv_transpose2d
    copysign corrcoef cosine_similarity count_nonzero cov cross cummax cummin cumprod cumsum
    deg2rad det detach diag diag_embed diagflat diagonal diagonal_scatter diff digamma dist
    divide dsplit dstack einsum erfc erfinv exp2 float_power fliplr flipud fmax fmin gather gcd
    greater greater_equal heaviside histc hsplit hstack hypot index_add index_copy index_fill
    index_put index_select inference_mode inner get_default_dtype set_default_dtype inverse
    is_complex is_floating_point is_nonzero is_same_size is_signed isclose isin isneginf
    isposinf isreal kron kthvalue lcm ldexp less less_equal lgamma logaddexp logaddexp2
    logcumsumexp logdet logit logspace masked_fill masked_scatter masked_select matrix_power
    meshgrid mode msort multinomial multiply nanmean nanmedian nanquantile nansum narrow_copy
    negative normal not_equal outer pairwise_distance pdist pinverse pixel_shuffle
    pixel_unshuffle poisson polygamma positive put quantile rad2deg ravel real relu_
    repeat_interleave resolve_conj resolve_neg rot90 row_stack scatter scatter_add
    scatter_reduce searchsorted select select_scatter selu sgn signbit sinc slice_scatter
    slogdet sort split_with_sizes std_mean subtract swapaxes swapdims t take tensor_split
    tensordot threshold topk tril_indices triu_indices true_divide unique unique_consecutive
    vander var_mean vdot vsplit vstack xlogy
""".split()

FUNCTIONAL = """
    adaptive_avg_pool1d adaptive_max_pool1d adaptive_max_pool2d avg_pool1d celu celu_
    channel_shuffle conv_transpose1d cosine_embedding_loss cosine_similarity elu_ fold
    gaussian_nll_loss glu gumbel_softmax hardshrink hardsigmoid hardswish hardtanh hardtanh_
    hinge_embedding_loss instance_norm interpolate leaky_relu_ local_response_norm logsigmoid
    margin_ranking_loss lp_pool1d lp_pool2d max_pool1d max_unpool1d max_unpool2d mish
    multi_head_attention_forward multi_margin_loss multilabel_margin_loss
    multilabel_soft_margin_loss normalize one_hot pairwise_distance pdist pixel_shuffle
    pixel_unshuffle poisson_nll_loss prelu relu6 relu_ rms_norm rrelu rrelu_
    scaled_dot_product_attention selu selu_ silu soft_margin_loss softmin softshrink softsign
    tanhshrink threshold threshold_ triplet_margin_loss unfold upsample upsample_bilinear
    upsample_nearest
""".split()

NN = """
    AdaptiveAvgPool1d AdaptiveMaxPool1d AdaptiveMaxPool2d AvgPool1d CELU ChannelShuffle
    CircularPad1d CircularPad2d ConstantPad1d ConvTranspose1d ConstantPad2d CosineEmbeddingLoss
    CosineSimilarity Fold GLU GaussianNLLLoss Hardshrink Hardsigmoid Hardswish Hardtanh
    HingeEmbeddingLoss InstanceNorm1d InstanceNorm2d InstanceNorm3d LocalResponseNorm
    LogSigmoid LPPool1d LPPool2d MarginRankingLoss MaxPool1d MaxUnpool1d MaxUnpool2d Mish
    MultiLabelMarginLoss MultiLabelSoftMarginLoss MultiMarginLoss MultiheadAttention PReLU
    PairwiseDistance ParameterDict ParameterList PixelShuffle PixelUnshuffle PoissonNLLLoss
    RMSNorm RReLU ReLU6 ReflectionPad1d ReflectionPad2d ReplicationPad1d ReplicationPad2d SELU
    SiLU SoftMarginLoss Softmax2d Softmin Softshrink Softsign Tanhshrink Threshold Transformer
    TransformerDecoder TransformerDecoderLayer TransformerEncoder TransformerEncoderLayer
    TripletMarginLoss Unfold Upsample UpsamplingBilinear2d UpsamplingNearest2d ZeroPad1d
    ZeroPad2d
""".split()

TENSOR = """
    H abs_ absolute acosh addbmm addbmm_ addcdiv addcdiv_ addcmul addcmul_ addmm addmm_ addmv
    addmv_ addr addr_ adjoint aminmax arccosh asinh atanh baddbmm baddbmm_ bernoulli bernoulli_
    bincount bitwise_and bitwise_and_ bitwise_not bitwise_or bitwise_xor byte cauchy_ char
    clamp_max clamp_max_ clamp_min clamp_min_ conj copysign corrcoef cov cross cummax cummin
    cumsum_ det diag_embed diagflat diagonal diagonal_scatter digamma dist divide dsplit erfc
    erfinv exp2 exp_ exponential_ fill_diagonal_ fliplr flipud fmax fmin gcd geometric_
    get_device greater gt_ heaviside histc hsplit hypot index_add index_add_ index_copy
    index_copy_ index_fill index_fill_ index_put index_put_ inner inverse is_complex
    is_floating_point is_nonzero is_same_size is_signed isclose isneginf isposinf isreal
    itemsize kthvalue lcm ldexp lerp_ less lgamma log_ log_normal_ logaddexp logcumsumexp
    logdet logit mH masked_fill_ masked_scatter masked_scatter_ matrix_power mode msort
    multinomial multiply nanmean nanmedian nanquantile nansum narrow_copy nbytes ndimension
    negative new_empty not_equal pinverse positive pow_ put put_ quantile rad2deg random_ ravel
    relu_ repeat_interleave resolve_conj retains_grad rot90 scatter_ scatter_add_
    scatter_reduce scatter_reduce_ select select_scatter sgn short sigmoid_ signbit sinc
    slice_scatter slogdet split_with_sizes sqrt_ stride subtract sum_to_size take tanh_
    tensor_split true_divide unfold unique unique_consecutive vdot vsplit xlogy
    squeeze_ unsqueeze_ t_ transpose_ swapaxes_ swapdims_ resize_ resize_as_ storage_offset
    data_ptr register_post_accumulate_grad_hook fix fix_ erf_
""".split()

LINALG = """
    cholesky cross det eigh eigvalsh inv matrix_norm matrix_power multi_dot norm pinv qr
    slogdet solve svd svdvals vector_norm
""".split()


# added in the session of 2026-11-29 (seventh)
TOP_7 = """
    abs_ acos_ acosh_ addmv_ affine_grid_generator arccos_ arccosh_ arcsin_ arcsinh_ arctan_
    arctanh_ asarray asin_ asinh_ atan_ atanh_ bartlett_window blackman_window can_cast ceil_
    cholesky cholesky_inverse cholesky_solve clamp_ clamp_max_ clamp_min_ clip_ conv3d
    conv_transpose3d cos_ cosh_ cumulative_trapezoid deg2rad_ detach_ erf_ erfc_ exp2_ exp_
    expm1_ fill_ finfo fix_ floor_ frac_ frexp frombuffer func gcd_ get_rng_state gradient
    grid_sampler hamming_window hann_window histogram histogramdd i0 igamma igammac iinfo
    index_put_ initial_seed kaiser_window lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ lu
    lu_solve lu_unpack matrix_exp max_pool1d_with_indices max_pool3d mvlgamma nan_to_num_ neg_
    negative_ nextafter promote_types qr rad2deg_ random range reciprocal_ renorm resize_as_
    result_type round_ rsqrt_ scalar_tensor seed set_rng_state sigmoid_ sin_ sinc_ sinh_ sqrt_
    square_ svd tan_ tanh_ trapezoid trapz triangular_solve trunc_ unravel_index vmap xlogy_
    zero_
""".split()

FUNCTIONAL_7 = """
    adaptive_avg_pool3d adaptive_max_pool1d_with_indices adaptive_max_pool2d_with_indices
    adaptive_max_pool3d adaptive_max_pool3d_with_indices affine_grid alpha_dropout avg_pool3d
    conv3d conv_transpose3d ctc_loss dropout3d embedding_bag feature_alpha_dropout
    fractional_max_pool2d fractional_max_pool3d grid_sample lp_pool3d max_pool1d_with_indices
    max_pool2d_with_indices max_pool3d max_pool3d_with_indices max_unpool3d
    triplet_margin_with_distance_loss
""".split()

NN_7 = """
    AdaptiveAvgPool3d AdaptiveLogSoftmaxWithLoss AdaptiveMaxPool3d AlphaDropout AvgPool3d
    CTCLoss CircularPad3d ConstantPad3d Conv3d ConvTranspose3d Dropout3d EmbeddingBag
    FeatureAlphaDropout FractionalMaxPool2d FractionalMaxPool3d LPPool3d LazyBatchNorm1d
    LazyBatchNorm2d LazyBatchNorm3d LazyConv1d LazyConv2d LazyConv3d LazyConvTranspose1d
    LazyConvTranspose2d LazyConvTranspose3d LazyInstanceNorm1d LazyInstanceNorm2d
    LazyInstanceNorm3d LazyLinear MaxPool3d MaxUnpool3d ReflectionPad3d ReplicationPad3d
    TripletMarginWithDistanceLoss UninitializedBuffer UninitializedParameter ZeroPad3d
""".split()

TENSOR_7 = """
    cholesky_inverse cholesky_solve data_ptr erf_ fix fix_ frexp histogram i0 i0_ igamma igamma_
    igammac igammac_ lu lu_solve matrix_exp mvlgamma mvlgamma_ nextafter nextafter_ qr
    register_post_accumulate_grad_hook renorm renorm_ resize_ resize_as_ squeeze_ storage_offset
    svd swapaxes_ swapdims_ t_ transpose_ triangular_solve unsqueeze_
""".split()

LINALG_7 = """
    LinAlgError cholesky_ex cond inv_ex lstsq lu lu_factor lu_factor_ex lu_solve matrix_exp
    matrix_rank solve_ex solve_triangular tensorinv tensorsolve vander vecdot
""".split()

OPTIM_7 = """
    Adadelta Adamax NAdam RAdam Rprop ASGD LBFGS
""".split()

LR_SCHEDULER_7 = """
    ConstantLR MultiplicativeLR PolynomialLR CosineAnnealingWarmRestarts CyclicLR SequentialLR
    ChainedScheduler
""".split()

FUNC_7 = """
    grad grad_and_value vjp jvp jacrev jacfwd hessian functional_call vmap
""".split()

NN_UTILS_7 = """
    parameters_to_vector vector_to_parameters clip_grad_norm_ clip_grad_value_ weight_norm
    remove_weight_norm spectral_norm remove_spectral_norm
""".split()

PARAMETRIZE_7 = """
    register_parametrization is_parametrized remove_parametrizations cached
    type_before_parametrizations ParametrizationList
""".split()

PARAMETRIZATIONS_7 = """
    weight_norm spectral_norm
""".split()

RNN_UTILS_7 = """
    PackedSequence pack_padded_sequence pad_packed_sequence pad_sequence unpad_sequence
    pack_sequence unpack_sequence
""".split()

AUTOGRAD_FUNCTION_7 = """
    Function FunctionCtx once_differentiable
""".split()

AUTOGRAD_FUNCTIONAL_7 = """
    jacobian hessian vjp jvp hvp vhp
""".split()


@pytest.mark.parametrize(
    "ours,theirs,names",
    [
        (cr, torch, TOP),
        (F, torch.nn.functional, FUNCTIONAL),
        (cr.nn, torch.nn, NN),
        (cr.Tensor, torch.Tensor, TENSOR),
        (cr.linalg, torch.linalg, LINALG),
        (cr, torch, TOP_7),
        (F, torch.nn.functional, FUNCTIONAL_7),
        (cr.nn, torch.nn, NN_7),
        (cr.Tensor, torch.Tensor, TENSOR_7),
        (cr.linalg, torch.linalg, LINALG_7),
        (cr.optim, torch.optim, OPTIM_7),
        (cr.optim.lr_scheduler, torch.optim.lr_scheduler, LR_SCHEDULER_7),
        (cr.func, torch.func, FUNC_7),
        (cr.autograd.functional, torch.autograd.functional, AUTOGRAD_FUNCTIONAL_7),
        (cr.autograd.function, torch.autograd.function, AUTOGRAD_FUNCTION_7),
        (cr.nn.utils, torch.nn.utils, NN_UTILS_7),
        (cr.nn.utils.rnn, torch.nn.utils.rnn, RNN_UTILS_7),
        (cr.nn.utils.parametrize, torch.nn.utils.parametrize, PARAMETRIZE_7),
        (cr.nn.utils.parametrizations, torch.nn.utils.parametrizations, PARAMETRIZATIONS_7),
    ],
    ids=[
        "cr",
        "F",
        "nn",
        "Tensor",
        "linalg",
        "cr-7",
        "F-7",
        "nn-7",
        "Tensor-7",
        "linalg-7",
        "optim-7",
        "lr_scheduler-7",
        "func-7",
        "autograd.functional-7",
        "autograd.function-7",
        "nn.utils-7",
        "nn.utils.rnn-7",
        "parametrize-7",
        "parametrizations-7",
    ],  # fmt: skip
)
def test_pytorch_names_are_there(ours, theirs, names):
    assert not [n for n in names if not hasattr(theirs, n)], "not PyTorch names"
    assert not [n for n in names if not hasattr(ours, n)], "missing"
