"""Every optimizer and LR scheduler on "cuda" (the real GPU, else the CuPy test double):
the same steps give the same parameters as on the CPU, and state lives on the parameter's
device, also after ``load_state_dict``."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import backend

OPTIMIZERS = {
    "sgd": lambda ps: cr.optim.SGD(ps, lr=0.1),
    "sgd-momentum-wd": lambda ps: cr.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "sgd-nesterov": lambda ps: cr.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda ps: cr.optim.Adam(ps, lr=0.05),
    "adam-amsgrad-wd": lambda ps: cr.optim.Adam(ps, lr=0.05, amsgrad=True, weight_decay=0.1),
    "adamw": lambda ps: cr.optim.AdamW(ps, lr=0.05, maximize=False),
    "rmsprop": lambda ps: cr.optim.RMSprop(ps, lr=0.01),
    "rmsprop-centered-momentum": lambda ps: cr.optim.RMSprop(
        ps, lr=0.01, centered=True, momentum=0.5, weight_decay=0.01
    ),
    "adagrad": lambda ps: cr.optim.Adagrad(
        ps, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1
    ),
}

SCHEDULERS = {
    "step": lambda o: cr.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    "multistep": lambda o: cr.optim.lr_scheduler.MultiStepLR(o, milestones=[1, 3], gamma=0.5),
    "exponential": lambda o: cr.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    "cosine": lambda o: cr.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4),
    "linear": lambda o: cr.optim.lr_scheduler.LinearLR(o, start_factor=0.5, total_iters=3),
    "lambda": lambda o: cr.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e)),
    "onecycle": lambda o: cr.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10),
    "plateau": lambda o: cr.optim.lr_scheduler.ReduceLROnPlateau(o, patience=0, factor=0.5),
}


def tol(gpu):
    """Exact on the test double (NumPy underneath); a real GPU rounds sqrt and sums its way."""
    return dict(rtol=1e-5, atol=1e-6) if gpu == "fake" else dict(rtol=1e-4, atol=1e-5)


START = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
TARGET = np.random.default_rng(1).standard_normal((2, 5, 3)).astype(np.float32)


def _params(device):
    return [
        cr.tensor(START[i], requires_grad=True).to(device).detach().requires_grad_()
        for i in range(2)
    ]


def _loss_and_grads(params):
    """Loss Σ(p - target)² (as a Tensor on the parameters' device) and its exact gradient,
    set by hand so that this test exercises the optimizers alone."""
    total = 0.0
    for i, p in enumerate(params):
        target = backend.to_device(TARGET[i], p.device)
        diff = p.data - target
        p.grad = cr.Tensor(2 * diff)
        total += float((diff * diff).sum())
    return cr.tensor(total).to(params[0].device)


def _run(device, make_opt, make_sched=None, steps=5):
    params = _params(device)
    opt = make_opt(params)
    sched = make_sched(opt) if make_sched else None
    for _ in range(steps):
        opt.zero_grad()
        loss = _loss_and_grads(params)
        opt.step()
        if sched is not None:
            if isinstance(sched, cr.optim.lr_scheduler.ReduceLROnPlateau):
                sched.step(loss)  # a device tensor, as a training loop passes it
            else:
                sched.step()
    return params, opt


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_on_cuda_matches_cpu(gpu, name):
    cpu_params, _ = _run("cpu", OPTIMIZERS[name])
    gpu_params, opt = _run("cuda", OPTIMIZERS[name])
    for c, g in zip(cpu_params, gpu_params):
        assert g.device == "cuda:0"
        np.testing.assert_allclose(g.detach().numpy(), c.detach().numpy(), **tol(gpu))
    for p in gpu_params:
        for key, value in opt.state[p].items():
            if isinstance(value, cr.Tensor) and key != "step":
                assert value.device == p.device, (name, key)


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_on_cuda_matches_cpu(gpu, name):
    cpu_params, cpu_opt = _run("cpu", OPTIMIZERS["sgd-momentum-wd"], SCHEDULERS[name])
    gpu_params, gpu_opt = _run("cuda", OPTIMIZERS["sgd-momentum-wd"], SCHEDULERS[name])
    assert gpu_opt.param_groups[0]["lr"] == pytest.approx(cpu_opt.param_groups[0]["lr"])
    for c, g in zip(cpu_params, gpu_params):
        np.testing.assert_allclose(g.detach().numpy(), c.detach().numpy(), **tol(gpu))


@pytest.mark.parametrize(
    "name", ["adam-amsgrad-wd", "sgd-momentum-wd", "rmsprop-centered-momentum"]
)
@pytest.mark.parametrize("source", ["cpu", "cuda"])
def test_load_state_dict_puts_state_on_the_parameters_device(gpu, name, source):
    """As torch: state loaded from either device follows the parameters (here on cuda); the
    continued run matches an uninterrupted CPU run."""
    reference, _ = _run("cpu", OPTIMIZERS[name], steps=6)
    saved_params, saved_opt = _run(source, OPTIMIZERS[name], steps=3)
    params = [p.detach().to("cuda").requires_grad_() for p in saved_params]
    opt = OPTIMIZERS[name](params)
    opt.load_state_dict(saved_opt.state_dict())
    for p in params:
        for key, value in opt.state[p].items():
            if isinstance(value, cr.Tensor) and key != "step":
                assert value.device == p.device, key
    for _ in range(3):
        opt.zero_grad()
        _loss_and_grads(params)
        opt.step()
    for r, p in zip(reference, params):
        np.testing.assert_allclose(p.detach().numpy(), r.detach().numpy(), **tol(gpu))


def test_load_state_dict_from_cuda_onto_cpu_parameters(gpu):
    _, gpu_opt = _run("cuda", OPTIMIZERS["adam"], steps=2)
    params = _params("cpu")
    opt = OPTIMIZERS["adam"](params)
    opt.load_state_dict(gpu_opt.state_dict())
    for p in params:
        assert all(v.device == "cpu" for v in opt.state[p].values() if isinstance(v, cr.Tensor))


def test_find_lr_on_cuda_matches_cpu(gpu):
    """The range test moves the loader's CPU batches to the model's GPU; its sweep and the
    restored weights equal the CPU run's."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 5)).astype(np.float32)
    y = (x @ rng.standard_normal((5, 1)).astype(np.float32)).astype(np.float32)
    loader = cr.data.DataLoader(cr.data.TensorDataset(x, y), batch_size=16)
    results = {}
    for device in ("cpu", "cuda"):
        cr.manual_seed(0)
        model = cr.nn.Linear(5, 1).to(device)
        before = model.weight.detach().numpy().copy()
        opt = cr.optim.SGD(model.parameters(), lr=0.1)
        results[device] = cr.optim.find_lr(
            model, opt, cr.nn.functional.mse_loss, loader, start_lr=1e-4, end_lr=1, num_iter=20
        )
        np.testing.assert_array_equal(model.weight.detach().numpy(), before)
        assert model.weight.device == (device if device == "cpu" else "cuda:0")
    np.testing.assert_allclose(results["cuda"].lrs, results["cpu"].lrs)
    np.testing.assert_allclose(results["cuda"].raw_losses, results["cpu"].raw_losses, rtol=1e-4)
