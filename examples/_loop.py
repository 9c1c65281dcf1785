"""The training loop the examples share: forward, loss, backward, step, one epoch at a time."""

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.data import DataLoader, Generator

LOSSES = {
    "cross_entropy": F.cross_entropy,
    "bce_with_logits": lambda out, y: F.binary_cross_entropy_with_logits(out[:, 0], y.float()),
    "mse": F.mse_loss,
}
OPTIMIZERS = {"sgd": cr.optim.SGD, "adam": cr.optim.Adam}


def fit(model, splits, cfg, seed=0, every=5):
    opt = OPTIMIZERS[cfg["optimizer"]](
        model.parameters(), lr=cfg["lr"], weight_decay=cfg.get("weight_decay", 0.0)
    )
    sched = None
    if cfg.get("schedule") == "cosine":
        sched = cr.optim.lr_scheduler.CosineAnnealingLR(opt, cfg["epochs"])
    loader = DataLoader(splits.train, cfg["batch_size"], shuffle=True, generator=Generator(seed))
    for epoch in range(1, cfg["epochs"] + 1):
        model.train()
        for X, y in loader:
            loss = LOSSES[cfg["loss"]](model(X), y)  # forward and loss
            opt.zero_grad()
            loss.backward()  # the chain rule
            opt.step()  # w ← w − α·∇
        if sched is not None:
            sched.step()
        if epoch % every == 0 or epoch == cfg["epochs"]:
            score = evaluate(model, splits.test, cfg["metric"])
            print(f"epoch {epoch:3d}  loss {loss.item():.4f}  test {cfg['metric']} {score:.4f}")
    return evaluate(model, splits.test, cfg["metric"])


def evaluate(model, dataset, metric):
    X, y = dataset.tensors
    model.eval()
    with cr.no_grad():
        out = model(X)
    if metric == "r2":
        return (1 - ((y - out) ** 2).sum() / ((y - y.mean()) ** 2).sum()).item()
    pred = (out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(1)
    return (pred == y).float().mean().item()
