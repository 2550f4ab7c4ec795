"""The model interface, every model by name, and device hygiene on device="meta" (nnrnn_edu.models.registry, .base)."""

import pytest
import torch

from nnrnn_edu import tasks
from nnrnn_edu.models import MODELS, RecurrentModel, build_model, default_nonlinearity, model_nonlinearities
from nnrnn_edu.training import preset
from nnrnn_edu.training.trainees import make_trainee


def _nl(model, task):
    return default_nonlinearity(model, tasks.task_spec(task).nonlinearity)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("task", ["copy", "addition"])
def test_every_model_implements_the_interface(model, task):
    spec = tasks.task_spec(task)
    m = build_model(model, spec.input_size, 12, spec.output_size, _nl(model, task), "chain", 1.0, spec.readout, seed=0)
    assert isinstance(m, RecurrentModel) and m.hidden_size == 12
    x, y = tasks.sample_batch(task, 3, 25, torch.Generator().manual_seed(0))
    out = m(x)
    assert out.shape == ((3, 25, spec.output_size) if spec.readout == "all" else (3, spec.output_size))
    assert torch.isfinite(tasks.task_loss(task, out, y))
    assert m.recurrent_matrix().shape == (12, 12)
    groups = m.param_groups(1e-3)
    ids = [id(p) for g in groups for p in g["params"]]
    assert sorted(ids) == sorted(id(p) for p in m.parameters()) and all(g["lr"] == 1e-3 for g in groups)
    assert m.extra_loss() is None


def test_nonlinearities_per_model():
    assert model_nonlinearities("vanilla") == ("elu", "relu", "tanh")
    assert model_nonlinearities("torch-rnn") == ("tanh", "relu") and model_nonlinearities("lstm") == ()
    assert default_nonlinearity("vanilla", "elu") == "elu" and default_nonlinearity("torch-rnn", "elu") == "tanh"
    assert default_nonlinearity("lstm", "relu") is None
    with pytest.raises(ValueError, match="model"):
        build_model("gru", 1, 4, 1, None, "chain", 1.0, "last")
    with pytest.raises(ValueError, match="nonlinearity"):
        build_model("lstm", 1, 4, 1, "tanh", "chain", 1.0, "last")


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("task", ["copy", "addition"])
@pytest.mark.parametrize("together", [False, True])
def test_training_step_runs_on_meta_device(model, task, together):
    """Forward, loss, backward, clipping and the optimiser step of every trainee on device="meta".

    Any tensor created on another device (a CPU constant, a buffer without ``device=``) makes the
    step raise, so this keeps the GPU path honest without a GPU.
    """
    spec = tasks.task_spec(task)
    cfgs = [preset(task, quick=True, model=model, init=i, lr=lr) for i, lr in [("chain", 1e-3), ("identity", 3e-4)]]
    t = make_trainee(cfgs if together else cfgs[:1], spec, 12, _nl(model, task), "meta", together)
    x, y = tasks.sample_batch(task, 4, 24, torch.Generator().manual_seed(0))
    losses = t.step(x.to("meta"), y.to("meta"), task)
    assert losses.device.type == "meta" and losses.shape == ((2,) if together else (1,))
    state = t.state_dict()
    models = state["model"] if isinstance(state["model"], list) else [state["model"]]
    assert all(v.device.type == "meta" for sd in models for v in sd.values())
    opts = state["optimizer"] if isinstance(state["optimizer"], list) else [state["optimizer"]]
    for o in opts:
        avgs = o["square_avg"] if "square_avg" in o else [s["square_avg"] for s in o["state"].values()]
        assert avgs and all(a.device.type == "meta" for a in avgs)


@pytest.mark.parametrize("model", MODELS)
def test_input_of_another_dtype_or_shape_is_a_clear_error(model):
    m = build_model(model, 2, 12, 1, _nl(model, "addition"), "chain", 1.0, "last", seed=0)
    with pytest.raises(ValueError, match=r"x must have the model's dtype torch.float32, got torch.float64"):
        m(torch.zeros(3, 5, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, 2\)"):
        m(torch.zeros(3, 5, 3))
