"""Chapter 3 plots (nnrnn_edu.plotting.ch03): task examples, training history, Figure 3 from a sweep summary."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnrnn_edu import data, plotting, tasks, training


def test_task_examples_show_the_three_tasks():
    cx, cy = tasks.copy_task(1, seq_len=40, generator=0)
    ax_, ay = tasks.addition_task(1, seq_len=40, generator=0)
    d = data.psmnist("test", source="digits")
    pix = (d.inputs[0, :, 0].numpy(), d.permutation, int(d.labels[0]), d.name)
    fig = plotting.plot_task_examples((cx[0].numpy(), cy[0].numpy()), (ax_[0].numpy(), float(ay[0])), pix)
    assert isinstance(fig, Figure)
    titles = [a.get_title() for a in fig.axes]
    assert plotting.legibility_problems(fig) == []
    assert titles[0].startswith("copy, T = 40") and "cue 9 at t = 29" in titles[0]
    assert titles[1].startswith("addition, T = 40") and f"{float(ay[0]):.3f}" in titles[1]
    assert titles[2].startswith("psDigits, T = 64")
    # the inset undoes the permutation: it shows the digit image itself
    inset = fig.axes[2].child_axes[0].images[0].get_array()
    np.testing.assert_allclose(np.asarray(inset).ravel()[d.permutation], d.inputs[0, :, 0].numpy())
    with pytest.raises(ValueError, match="addition_example"):
        plotting.plot_task_examples((cx[0].numpy(), cy[0].numpy()), (np.zeros((5, 3)), 1.0), pix)


def _fake(task, init, scale, lr, seed, vals):
    cfg = training.TrainConfig(task=task, init=init, init_scale=scale, lr=lr, seed=seed)
    return {
        "name": cfg.run_name(), "config": cfg.to_dict(), "seed": seed, "status": "completed",
        "history": {"update": [10, 20], "epoch": [0.5, 1.0], "train_loss": list(vals), "val_loss": list(vals)},
        "best_val_loss": min(vals), "final_val_loss": vals[-1], "baseline_loss": 0.4, "success_threshold": 0.2,
        "success": vals[-1] < 0.2, "updates": 20, "dataset": {"name": task},
    }


def test_figure3_curves_are_seed_means_and_bars_count_successes():
    from nnrnn_edu.chapters import ch03

    runs = [
        _fake("copy", "chain", 1.0, 1e-3, 1, [0.5, 0.1]),
        _fake("copy", "chain", 1.0, 1e-3, 2, [0.3, 0.15]),
        _fake("copy", "orthogonal", 1.0, 1e-3, 1, [0.5, 0.39]),
        _fake("copy", "orthogonal", 1.0, 1e-3, 2, [0.5, 0.41]),
    ]
    summary = training.summarize(runs)
    curves = plotting.plot_figure3_curves(summary)
    (top,) = curves.axes
    lines = {ln.get_label(): ln for ln in top.lines}
    np.testing.assert_allclose(lines["chain"].get_ydata(), [0.4, 0.125])  # mean over the two seeds
    np.testing.assert_allclose(lines["random orthogonal"].get_ydata(), [0.5, 0.4])
    assert top.get_xlabel() == "parameter updates" and top.get_yscale() == "log"
    assert [t.get_text() for t in curves.legends[0].get_texts()][:2] == ["random orthogonal", "chain"]
    counts = plotting.plot_figure3_counts(summary)
    (bottom,) = counts.axes
    assert [p.get_width() for p in bottom.patches] == [0, 2]  # orthogonal 0/2, chain 2/2
    assert [t.get_text() for t in bottom.texts] == ["0/2", "2/2"]
    assert [t.get_text() for t in bottom.get_yticklabels()] == ["random orthogonal", "chain"]
    for draw in (plotting.plot_figure3_curves, plotting.plot_figure3_counts):
        assert plotting.legibility_problems(draw(summary)) == []
        with pytest.raises(ValueError, match="summary"):
            draw({})
    ps_run = {**_fake("psmnist", "chain", 1.0, 1e-3, 1, [2.0, 0.5]), "dataset": {"name": "psDigits"}}
    ps = plotting.plot_figure3_curves(training.summarize([ps_run]))
    assert ps.axes[0].get_title() == "psDigits"  # the data set the psMNIST slot used, never called psMNIST
    # beside the paper's counts: fractions, ours and the paper's
    fig = plotting.plot_figure3_counts(summary, reference={"copy": {"chain": (46, 462), "orthogonal": (0, 594)}})
    bottom = fig.axes[0]
    np.testing.assert_allclose([p.get_width() for p in bottom.patches], [0.0, 1.0, 0.0, 46 / 462])
    assert [t.get_text() for t in bottom.texts] == ["paper 0/594", "paper 46/462", "0/2", "2/2"]
    assert bottom.get_xlabel() == "fraction successful"
    assert plotting.legibility_problems(fig) == []
    blown = runs + [_fake("copy", "chain", 1.0, 1e-3, 3, [0.5, 3e19])]
    table = ch03.best_settings_text(training.summarize(blown)).splitlines()
    chain = next(line for line in table if " chain " in line).split()
    assert chain[:6] == ["copy", "chain", "1", "0.001", "2", "1"]  # 2 seeds averaged, 1 blew up
    all_blown = training.summarize([_fake("copy", "chain", 1.0, 1e-3, 1, [0.5, float("nan")])])
    fig = plotting.plot_figure3_curves(all_blown)
    assert not fig.axes[0].lines[:-2] and "no run trained" in fig.axes[0].texts[0].get_text()


def test_training_history():
    runs = [_fake("copy", "chain", 1.0, 1e-3, 1, [0.5, 0.1])]
    fig = plotting.plot_training_history(runs)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.5, 0.1])
    assert ax.get_ylabel() == "loss" and plotting.legibility_problems(fig) == []
    with pytest.raises(ValueError, match="results"):
        plotting.plot_training_history(runs[0])
