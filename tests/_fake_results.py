"""Synthetic result records for tests that read results (summaries, chapters): complete, tiny, no training."""

from nnrnn_edu import training


def fake_result(task, init, scale, lr, seed, final, status="completed", thr=0.1):
    """A complete result record of a two-evaluation run ending at validation loss ``final``."""
    cfg = training.TrainConfig(task=task, init=init, init_scale=scale, lr=lr, seed=seed)
    vals = [1.0, final]
    return {
        "version": 1, "name": cfg.run_name(), "config": cfg.to_dict(), "seed": seed, "status": status,
        "history": {"update": [10, 20], "epoch": [0.5, 1.0], "train_loss": [1.1, final], "val_loss": vals},
        "best_val_loss": min(vals), "final_val_loss": final, "baseline_loss": 2 * thr, "success_threshold": thr,
        "success": bool(status != "running" and final < thr), "updates": 20,
        "dataset": {"name": "psDigits" if task == "psmnist" else task},
    }
