"""Reverse-mode automatic differentiation: the graph engine, grad mode and gradient checks."""

from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .check_model import ModelCheckReport, ParamCheck, check_model
from .function import Function
from .functional import grad
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Function",
    "grad",
    "no_grad",
    "inference_mode",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "check_model",
    "ModelCheckReport",
    "ParamCheck",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
]
