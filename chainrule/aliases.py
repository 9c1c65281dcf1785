"""torch's top-level spellings of Tensor methods: ``cr.clone(x)`` is ``x.clone()``, and so on
for the ones PyTorch code calls that way."""

from __future__ import annotations

from .tensor import as_tensor


def clone(input):  # noqa: A002 - torch's names
    return as_tensor(input).clone()


def detach(input):  # noqa: A002
    return as_tensor(input).detach()


def masked_fill(input, mask, value):  # noqa: A002
    return as_tensor(input).masked_fill(mask, value)


def narrow_copy(input, dim, start, length):  # noqa: A002
    return as_tensor(input).narrow_copy(dim, start, length)


def split_with_sizes(input, split_sizes, dim=0):  # noqa: A002
    return as_tensor(input).split_with_sizes(split_sizes, dim)


def is_floating_point(input) -> bool:  # noqa: A002
    return as_tensor(input).is_floating_point()


def is_complex(input) -> bool:  # noqa: A002
    return as_tensor(input).is_complex()


def is_signed(input) -> bool:  # noqa: A002
    return as_tensor(input).is_signed()


def is_nonzero(input) -> bool:  # noqa: A002
    return as_tensor(input).is_nonzero()


def is_same_size(input, other) -> bool:  # noqa: A002
    return as_tensor(input).is_same_size(other)


def conj(input):  # noqa: A002 - real tensors: conjugation is the identity
    return as_tensor(input)


resolve_conj = resolve_neg = positive = real = conj


# torch's top-level spellings of the in-place methods: ``cr.exp_(x)`` is ``x.exp_()``
INPLACE = """
    abs_ acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_
    atan_ atanh_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ detach_ erf_
    erfc_ exp2_ exp_ expm1_ fill_ fix_ floor_ frac_ gcd_ index_put_ lcm_ ldexp_ log10_ log1p_
    log2_ log_ logit_ nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ relu_ round_ rsqrt_
    resize_as_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ xlogy_ zero_
""".split()


def _method_call(name):
    def function(input, *args, **kwargs):  # noqa: A002
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name}(...)``: in place."
    return function


for _name in INPLACE:
    globals()[_name] = _method_call(_name)
