"""PNG plots of a run: loss and metric curves, a confusion matrix, a grid of samples.

matplotlib is imported on first use, with the non-interactive Agg backend, so importing
chainrule never needs it and plotting works without a display.
"""

from __future__ import annotations

import math
import os

from . import backend

np = backend.np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(history: list[dict], path, metric: str) -> None:
    """Two panels over epochs: train/val loss, and train/val ``metric``."""
    plt = _pyplot()
    epochs = [r["epoch"] for r in history]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for ax, key in zip(axes, ("loss", metric)):
        for split in ("train", "val"):
            name = f"{split}_{key}"
            if all(name in r for r in history):
                ax.plot(epochs, [r[name] for r in history], marker=".", label=split)
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_yscale("log" if all(r.get("train_loss", 0) > 0 for r in history) else "linear")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(confusion, path, classes=None) -> None:
    """Counts of (true class, predicted class) as a heat map with the numbers written in."""
    plt = _pyplot()
    cm = np.asarray(confusion)
    k = cm.shape[0]
    labels = [str(c) for c in (classes if classes is not None else range(k))][:k]
    fig, ax = plt.subplots(figsize=(1.2 + 0.45 * k, 1 + 0.45 * k))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(k), labels, rotation=45 if max(map(len, labels)) > 2 else 0)
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    accuracy = np.trace(cm) / max(cm.sum(), 1)
    ax.set_title(f"test accuracy {accuracy:.4f}")
    for i in range(k):
        for j in range(k):
            if cm[i, j]:
                color = "white" if cm[i, j] > cm.max() / 2 else "black"
                ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=7, color=color)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _as_images(x):
    """(n, H, W) images from (n, H, W), (n, 1|3, H, W) or (n, D) with D a perfect square."""
    if x.ndim == 4 and x.shape[1] in (1, 3):
        return x[:, 0] if x.shape[1] == 1 else x.transpose(0, 2, 3, 1)
    if x.ndim == 3:
        return x
    if x.ndim == 2 and math.isqrt(x.shape[1]) ** 2 == x.shape[1] and x.shape[1] >= 16:
        side = math.isqrt(x.shape[1])
        return x.reshape(len(x), side, side)
    return None


def plot_samples(samples, path, reference=None) -> None:
    """Generated samples: a grid of images, or a scatter of 2-D points over ``reference``."""
    plt = _pyplot()
    x = np.asarray(samples.numpy() if hasattr(samples, "numpy") else samples, dtype=np.float64)
    if x.ndim == 2 and x.shape[1] == 2:
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        if reference is not None:
            ref = np.asarray(reference.numpy() if hasattr(reference, "numpy") else reference)
            ax.scatter(ref[:, 0], ref[:, 1], s=2, alpha=0.3, color="gray", label="data")
        ax.scatter(x[:, 0], x[:, 1], s=2, alpha=0.6, color="C3", label="samples")
        ax.set_aspect("equal")
        ax.legend(loc="upper right", markerscale=4)
    else:
        images = _as_images(x)
        if images is None:
            raise ValueError(
                f"plot_samples: can't draw samples of shape {x.shape}; expected 2-D points "
                f"(n, 2) or images (n, H, W), (n, C, H, W), (n, side*side)"
            )
        n = len(images)
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 0.9), squeeze=False)
        for i, ax in enumerate(axes.flat):
            ax.axis("off")
            if i < n:
                ax.imshow(images[i], cmap="gray" if images[i].ndim == 2 else None)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def save_run_plots(run_dir, history: list[dict], metric: str, confusion=None, classes=None):
    """Write curves.png (and confusion.png for classifiers) into ``run_dir``; return the paths."""
    paths = [os.path.join(run_dir, "curves.png")]
    plot_curves(history, paths[0], metric)
    if confusion is not None:
        paths.append(os.path.join(run_dir, "confusion.png"))
        plot_confusion(confusion, paths[1], classes)
    return paths


def plot_history(history: list[dict], path) -> None:
    """One small panel per numeric entry of the per-epoch records (a model's own loop)."""
    plt = _pyplot()
    keys = [k for k in history[0] if k not in ("epoch", "seconds")
            and all(isinstance(r.get(k), (int, float)) for r in history)][:6]  # fmt: skip
    if not keys:
        return
    epochs = [r["epoch"] for r in history]
    fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 3), squeeze=False)
    for ax, key in zip(axes[0], keys):
        ax.plot(epochs, [r[key] for r in history], marker=".")
        ax.set_title(key)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
