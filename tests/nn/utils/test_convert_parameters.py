"""parameters_to_vector / vector_to_parameters against torch's."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.utils import parameters_to_vector, vector_to_parameters


def test_round_trip_matches_torch():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)).double()
    ours = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Linear(4, 2)).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    v, vt = (
        parameters_to_vector(ours.parameters()),
        torch.nn.utils.parameters_to_vector(theirs.parameters()),
    )
    np.testing.assert_array_equal(v.data, vt.detach().numpy())
    (v * cr.arange(v.numel(), dtype=cr.float64)).sum().backward()
    np.testing.assert_array_equal(ours[1].bias.grad.data, np.arange(v.numel() - 2, v.numel()))
    new = np.linspace(-1, 1, v.numel())
    vector_to_parameters(cr.tensor(new), ours.parameters())
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs.parameters())
    for a, b in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(a.data, b.detach().numpy())


def test_errors():
    p = [cr.nn.Parameter(cr.zeros(2, 3))]
    with pytest.raises(ValueError, match=r"expected a vector of 6 values .* got shape \(5,\)"):
        vector_to_parameters(cr.zeros(5), p)
    with pytest.raises(TypeError, match="expected a Tensor"):
        vector_to_parameters(np.zeros(6), p)
    with pytest.raises(ValueError, match="got no parameters"):
        parameters_to_vector([])
