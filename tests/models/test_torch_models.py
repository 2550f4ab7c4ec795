"""TorchRNN and LSTM: torch.nn layers initialised like the paper's networks (nnrnn_edu.models.torch_models)."""

import numpy as np
import pytest
import torch

from nnrnn_edu import connectivity
from nnrnn_edu.models import LSTM, TorchRNN, VanillaRNN, lstm_initial_weights
from nnrnn_edu.models.torch_models import LSTM_GATES


@pytest.mark.parametrize("readout", ["all", "last"])
@pytest.mark.parametrize("nl", ["tanh", "relu"])
def test_torch_rnn_is_the_vanilla_rnn_on_torch_kernels(readout, nl):
    kw = dict(init="orthogonal", init_scale=0.9, readout=readout, seed=3)
    a = TorchRNN(3, 7, 2, nonlinearity=nl, **kw).double()
    b = VanillaRNN(3, 7, 2, nonlinearity=nl, **kw).double()
    assert torch.equal(a.recurrent_matrix(), b.recurrent_matrix())  # same seeded W
    x = torch.randn(4, 9, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(a(x), b(x), rtol=1e-12, atol=1e-12)
    assert a(x).shape == ((4, 9, 2) if readout == "all" else (4, 2))


def test_lstm_gates_are_initialised_like_vanilla_rnns():
    w = lstm_initial_weights("chain", 2, 6, 1, init_scale=1.02, seed=0)
    assert w["weight_hh"].shape == (24, 6) and w["weight_ih"].shape == (24, 2)
    for g in range(len(LSTM_GATES)):
        np.testing.assert_array_equal(w["weight_hh"][6 * g : 6 * (g + 1)], connectivity.chain(6, 1.02))
    m = LSTM(2, 6, 1, init="chain", init_scale=1.02, seed=0)
    np.testing.assert_allclose(m.recurrent_matrix().detach().numpy(), connectivity.chain(6, 1.02), rtol=1e-7)
    assert torch.equal(m.recurrent_matrix(), m.gate_matrix("update"))
    assert not m.lstm.bias_ih_l0.detach().any() and not m.lstm.bias_hh_l0.detach().any()
    o = lstm_initial_weights("orthogonal", 2, 6, 1, seed=0)["weight_hh"]
    assert not np.allclose(o[:6], o[6:12])  # each gate its own orthogonal draw
    np.testing.assert_allclose(o[:6] @ o[:6].T, np.eye(6), atol=1e-12)


def test_lstm_forward_shapes_and_seed():
    x = torch.randn(5, 11, 10)
    a, b = LSTM(10, 12, 9, readout="all", seed=1), LSTM(10, 12, 9, readout="all", seed=1)
    assert a(x).shape == (5, 11, 9) and torch.equal(a(x), b(x))
    assert LSTM(10, 12, 9, readout="last", seed=1)(x).shape == (5, 9)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: TorchRNN(1, 4, 1, nonlinearity="elu"), "nonlinearity"),
        (lambda: TorchRNN(1, 4, 1, init="nope"), "init"),
        (lambda: LSTM(1, 4, 1, readout="middle"), "readout"),
        (lambda: LSTM(1, 0, 1), "hidden_size"),
        (lambda: LSTM(1, 4, 1).gate_matrix("cell"), "gate"),
    ],
)
def test_bad_inputs_name_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
