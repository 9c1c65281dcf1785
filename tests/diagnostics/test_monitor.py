"""GradientMonitor against independent references (numpy norms, torch, the SGD closed form)
and its warnings."""

import math
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import diagnostics, nn
from chainrule.diagnostics import GradientMonitor, GradientWarning
from chainrule.nn import functional as F


def small_net(seed=0):
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))


def batch(seed=0, n=8):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype(np.float32)
    y = rng.integers(0, 3, n)
    return x, y


def layer_norm(module) -> float:
    """‖∇‖ of a module's own parameters, straight from .grad, in float64."""
    return math.sqrt(
        sum(float((p.grad.data.astype(np.float64) ** 2).sum()) for p in module.parameters())
    )


def test_layers_are_the_modules_owning_parameters():
    m = small_net()
    with GradientMonitor(m) as mon:
        assert mon.layers == ["0", "2"]
        assert [len(ps) for ps in mon.params.values()] == [2, 2]


def test_grad_norms_match_torch():
    m = small_net()
    x, y = batch()
    tm = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))
    tm.load_state_dict({k: torch.tensor(v.data) for k, v in m.state_dict().items()})
    torch.nn.functional.cross_entropy(tm(torch.tensor(x)), torch.tensor(y)).backward()
    mon = GradientMonitor(m)
    F.cross_entropy(m(cr.tensor(x)), cr.tensor(y)).backward()
    mon.step()
    for name, i in (("0", 0), ("2", 2)):
        ref = math.sqrt(sum(float(p.grad.double().pow(2).sum()) for p in tm[i].parameters()))
        assert mon.grad_norms(name)[0] == pytest.approx(ref, rel=1e-5)
    assert mon.grad_norms().shape == (1, 2)
    assert mon.ratio() == pytest.approx(mon.grad_norms("0")[0] / mon.grad_norms("2")[0])


def test_update_ratio_is_lr_times_grad_over_weight_for_sgd():
    m = small_net()
    x, y = batch()
    lr = 0.1
    opt = cr.optim.SGD(m.parameters(), lr=lr)
    mon = GradientMonitor(m)
    for _ in range(3):
        w_before = {
            n: [p.data.astype(np.float64).copy() for p in m[i].parameters()]
            for n, i in (("0", 0), ("2", 2))
        }
        opt.zero_grad()
        F.cross_entropy(m(cr.tensor(x)), cr.tensor(y)).backward()
        g = {"0": layer_norm(m[0]), "2": layer_norm(m[2])}
        opt.step()
        rec = mon.step()
        for n in ("0", "2"):
            w = math.sqrt(sum(float((a**2).sum()) for a in w_before[n]))
            # plain SGD: ΔW = −lr·g, so ‖ΔW‖/‖W‖ = lr·‖g‖/‖W‖
            assert rec["update_ratio"][n] == pytest.approx(lr * g[n] / w, rel=1e-4)
            assert rec["grad_norm"][n] == pytest.approx(g[n], rel=1e-5)
    assert mon.update_ratios().shape == (3, 2)


def test_two_backwards_in_a_step_sum_and_clipping_does_not_hide_the_raw_norm():
    m = small_net()
    x, y = batch()
    mon = GradientMonitor(m)
    for half in (slice(0, 4), slice(4, 8)):
        F.cross_entropy(m(cr.tensor(x[half])), cr.tensor(y[half])).backward()
    raw = {"0": layer_norm(m[0]), "2": layer_norm(m[2])}  # .grad holds g₁ + g₂
    total = float(nn.utils.clip_grad_norm_(m.parameters(), 1e-3))
    assert math.hypot(*raw.values()) == pytest.approx(total, rel=1e-5)
    assert layer_norm(m[0]) < raw["0"]  # clipped in place
    rec = mon.step()
    for n in raw:
        assert rec["grad_norm"][n] == pytest.approx(raw[n], rel=1e-5)


def test_vanishing_warns_naming_the_first_layer_and_matches_torch():
    depth = 20
    cr.manual_seed(0)
    m = diagnostics.build_mlp("sigmoid, naive init", depth=depth, width=32, n_in=5, n_out=3)
    x, y = batch(n=16)
    tm = torch.nn.ModuleList([torch.nn.Linear(l.in_features, l.out_features) for l in m.layers])
    for tl, l in zip(tm, m.layers):
        tl.weight.data[:] = torch.tensor(l.weight.data)
        tl.bias.data[:] = torch.tensor(l.bias.data)
    h = torch.tensor(x)
    for tl in tm[:-1]:
        h = torch.sigmoid(tl(h))
    torch.nn.functional.cross_entropy(tm[-1](h), torch.tensor(y)).backward()
    ref = [
        math.sqrt(float(tl.weight.grad.double().pow(2).sum() + tl.bias.grad.double().pow(2).sum()))
        for tl in tm
    ]

    mon = GradientMonitor(m, layers=[f"layers.{i}" for i in range(depth)])
    F.cross_entropy(m(cr.tensor(x)), cr.tensor(y)).backward()
    with pytest.warns(GradientWarning, match=r"layer 'layers\.0'.*'layers\.19'.*vanishing") as rec:
        mon.step()
    assert len(rec) == 1
    np.testing.assert_allclose(mon.grad_norms()[0], ref, rtol=1e-3)
    assert mon.ratio() == pytest.approx(ref[0] / ref[-1], rel=1e-3)
    assert mon.ratio() < 1e-4
    assert [a["kind"] for a in mon.alerts] == ["vanishing"]


def test_warns_once_per_layer_and_kind_but_records_every_step():
    cr.manual_seed(0)
    m = diagnostics.build_mlp("sigmoid, naive init", depth=12, width=16, n_in=5, n_out=3)
    x, y = batch()
    mon = GradientMonitor(m, layers=[f"layers.{i}" for i in range(12)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            F.cross_entropy(m(cr.tensor(x)), cr.tensor(y)).backward()
            mon.step()
            m.zero_grad()
    assert sum(issubclass(w.category, GradientWarning) for w in caught) == 1
    assert [a["step"] for a in mon.alerts] == [0, 1, 2]


def test_exploding_warns_naming_the_layer_over_the_threshold():
    m = small_net()
    x, y = batch()
    (1e4 * m(cr.tensor(x)).sum()).backward()
    norms = {"0": layer_norm(m[0]), "2": layer_norm(m[2])}
    loud, quiet = sorted(norms, key=norms.get, reverse=True)
    threshold = math.sqrt(norms[loud] * norms[quiet])  # between the two
    assert norms[quiet] < threshold < norms[loud]
    mon = GradientMonitor(m, explode_threshold=threshold)
    m.zero_grad()
    (1e4 * m(cr.tensor(x)).sum()).backward()
    with pytest.warns(GradientWarning, match=rf"layer '{loud}'.*exceeds explode_threshold"):
        mon.step()
    assert [(a["kind"], a["layer"]) for a in mon.alerts] == [("exploding", loud)]


def test_non_finite_gradient_warns():
    m = small_net()
    x, _ = batch()
    mon = GradientMonitor(m)
    (m(cr.tensor(x)) * float("nan")).sum().backward()
    with pytest.warns(GradientWarning) as rec:
        mon.step()
    assert [str(w.message).split(":")[0] for w in rec] == ["layer '0'", "layer '2'"]
    assert "gradient norm is nan at step 0 (non-finite" in str(rec[0].message)
    assert rec[0].filename == __file__  # points at the caller's mon.step()
    assert {(a["kind"], a["layer"]) for a in mon.alerts} == {("nonfinite", "0"), ("nonfinite", "2")}


def test_a_healthy_net_does_not_warn_and_an_unused_layer_is_nan_not_an_alarm():
    cr.manual_seed(0)
    m = diagnostics.build_mlp("relu, He init", depth=8, width=32, n_in=5, n_out=3)
    m.spare = nn.Linear(3, 3)  # never called: no gradient
    x, y = batch()
    opt = cr.optim.SGD(m.parameters(), lr=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradientWarning)
        with GradientMonitor(m) as mon:
            for _ in range(5):
                opt.zero_grad()
                F.cross_entropy(m(cr.tensor(x)), cr.tensor(y)).backward()
                opt.step()
                mon.step()
    assert mon.alerts == []
    assert mon.layers[-1] == "spare"
    assert np.isnan(mon.grad_norms("spare")).all()
    assert (mon.update_ratios("spare") == 0).all()
    assert 1e-2 < mon.ratio(first="layers.0", last="layers.7") < 1e2


def test_remove_detaches_the_hooks():
    m = small_net()
    x, y = batch()
    before = [len(p._hooks or []) for p in m.parameters()]
    with GradientMonitor(m) as mon:
        assert [len(p._hooks or []) for p in m.parameters()] == [b + 1 for b in before]
        F.cross_entropy(m(cr.tensor(x)), cr.tensor(y)).backward()
        mon.step()
    assert [len(p._hooks or []) for p in m.parameters()] == before
    F.cross_entropy(m(cr.tensor(x)), cr.tensor(y)).backward()
    assert mon._grads == {}  # nothing recorded after removal
    with pytest.raises(RuntimeError, match="removed"):
        mon.step()
    assert len(mon.history) == 1  # the history stays


def test_bad_arguments_name_the_problem():
    m = small_net()
    with pytest.raises(ValueError, match=r"no layer named 'fc1'.*0, 2"):
        GradientMonitor(m, layers=["fc1"])
    with pytest.raises(ValueError, match="vanish_ratio"):
        GradientMonitor(m, vanish_ratio=2)
    with pytest.raises(RuntimeError, match="no steps"):
        GradientMonitor(m).ratio()
    with pytest.raises(ValueError, match="unknown variant"):
        diagnostics.build_mlp("tanh, magic init")


def test_plot_writes_a_png(tmp_path):
    m = small_net()
    x, y = batch()
    opt = cr.optim.SGD(m.parameters(), lr=0.1)
    with GradientMonitor(m) as mon:
        for _ in range(4):
            opt.zero_grad()
            F.cross_entropy(m(cr.tensor(x)), cr.tensor(y)).backward()
            opt.step()
            mon.step()
    path = tmp_path / "gradients.png"
    assert mon.plot(path, title="small net") == str(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_model_on_the_gpu_gives_the_cpu_norms_and_ratios(gpu):
    """The norms are taken on the gradients' own device; they match the same step on the CPU."""
    x, y = batch()
    records = {}
    for device in ("cpu", "cuda"):
        m = small_net().to(device)
        opt = cr.optim.SGD(m.parameters(), lr=0.1)
        with GradientMonitor(m) as mon:
            F.cross_entropy(m(cr.tensor(x, device=device)), cr.tensor(y, device=device)).backward()
            opt.step()
            records[device] = mon.step()
    for key in ("grad_norm", "update_ratio"):
        for name in ("0", "2"):
            got, want = records["cuda"][key][name], records["cpu"][key][name]
            assert got == pytest.approx(want, rel=1e-5), (key, name)
