"""``Loop``: the epochs and steps of a model's own training loop (the GANs, charlm, the neuron),
checkpointed as ``chainrule.train.fit`` checkpoints its run folders.

    loop = Loop("runs/gan")                 # Loop() keeps no checkpoints
    run = loop.start(seed, {"model": model, "optimizer": opt}, rngs={"z": rng}, state={"pos": 0})
    with loop:                              # Ctrl-C: stop at the next step boundary
        for epoch, step in loop.steps(epochs, steps_per_epoch):
            ...                             # one step; at the last, the epoch's metrics and log

``start`` seeds chainrule's global generator for a new run, or, with ``Loop(run_dir,
resume=True)``, loads everything back from the run's checkpoint. The checkpoint
(checkpoint.safetensors, written atomically at the start, after every epoch and on Ctrl-C)
holds each object's ``state_dict()``, the global generator's state and the ``rngs``' states,
the ``state`` dict (whatever else the loop carries from one step to the next: a position in the
data, an RNN's hidden state, the epoch's running losses) and ``epoch`` / ``step``: the whole
epochs done, and the steps done of the next one. A resumed run draws the same random numbers and
takes the same steps as one never stopped, so it ends on the same weights, bit for bit.

Inside ``with loop:`` a first Ctrl-C (or ``request_stop()``) asks the loop to stop; it does so
before the next step, saving a checkpoint there and raising KeyboardInterrupt. A second Ctrl-C
interrupts at once, mid-step, and the last checkpoint stays as it was.
"""

from __future__ import annotations

import os

from .. import backend
from ..serialization import save
from ..train import CHECKPOINT, _Interrupt, load_checkpoint

_OWN_KEYS = ("epoch", "step", "rng", "rngs", "state")


class Loop:
    """Epoch and step counters with checkpoints; see the module docstring."""

    def __init__(self, run_dir=None, resume: bool = False):
        self.run_dir = None if run_dir is None else os.fspath(run_dir)
        self.epoch = self.step = 0  # whole epochs done; steps done of the next epoch
        self.state: dict = {}
        if self.run_dir is not None and not resume:
            os.makedirs(self.run_dir, exist_ok=True)
        self._saved = load_checkpoint(self.run_dir) if resume else None
        if self._saved is not None:
            self.epoch, self.step = int(self._saved["epoch"]), int(self._saved.get("step", 0))
        self.saved_at = (self.epoch, self.step) if resume else None  # the checkpoint's place
        self._objects: dict = {}
        self._rngs: dict = {}
        self._sigint = None
        self._stop = False

    def start(self, seed: int | None, objects: dict, rngs: dict | None = None, state=None) -> dict:
        """Track ``objects`` (name → anything with ``state_dict`` / ``load_state_dict``; the
        model under 'model'), the NumPy Generators ``rngs`` and the ``state`` dict.

        A new run seeds chainrule's generator with ``seed`` (unless None) and saves the starting
        checkpoint; a resumed one loads them all from the checkpoint instead. Returns the state
        dict, which the loop then updates in place and is saved with every checkpoint.
        """
        clash = sorted(set(objects) & set(_OWN_KEYS))
        if clash:
            raise ValueError(f"Loop.start: object names {clash} are the checkpoint's own keys")
        self._objects, self._rngs, self.state = dict(objects), dict(rngs or {}), dict(state or {})
        if self._saved is None:
            if seed is not None:
                backend.manual_seed(seed)
            self.save()
            return self.state
        ckpt, self._saved = self._saved, None
        missing = [k for k in (*self._objects, "rng") if k not in ckpt]
        missing += [f"rngs.{k}" for k in self._rngs if k not in ckpt.get("rngs", {})]
        if missing:
            raise ValueError(
                f"resume: the checkpoint in {self.run_dir} has no {', '.join(missing)} (saved by "
                f"an older chainrule?); start a new run instead"
            )
        for name, obj in self._objects.items():
            obj.load_state_dict(ckpt[name])
        backend.rng().bit_generator.state = ckpt["rng"]
        for name, g in self._rngs.items():
            g.bit_generator.state = ckpt["rngs"][name]
        self.state.update(ckpt.get("state", {}))
        return self.state

    def steps(self, epochs: int, per_epoch: int):
        """Yield (epoch, step), both from 1, from where the run stands to the end of epoch
        ``epochs``. The checkpoint is saved after each epoch's last step (once the body has
        logged it); a stop asked for is honoured before the next step."""
        while self.epoch < epochs:
            epoch = self.epoch + 1
            while self.step < per_epoch:
                if self._stop or (self._sigint is not None and self._sigint.requested):
                    self.save()
                    raise KeyboardInterrupt(f"stopped at epoch {epoch}, step {self.step}")
                yield epoch, self.step + 1
                self.step += 1
            self.epoch, self.step = epoch, 0
            self.save()

    def request_stop(self) -> None:
        """Stop before the next step, as a first Ctrl-C does (with a checkpoint there)."""
        self._stop = True

    def save(self) -> None:
        """Write the checkpoint now (nothing without a run folder)."""
        if self.run_dir is None:
            return
        ckpt = {name: obj.state_dict() for name, obj in self._objects.items()}
        ckpt.update(
            epoch=self.epoch,
            step=self.step,
            rng=backend.rng().bit_generator.state,
            rngs={name: g.bit_generator.state for name, g in self._rngs.items()},
            state=self.state,
        )
        save(ckpt, os.path.join(self.run_dir, CHECKPOINT))
        self.saved_at = (self.epoch, self.step)

    def __enter__(self) -> Loop:
        self._sigint = _Interrupt().__enter__()
        return self

    def __exit__(self, *exc) -> bool:
        self._sigint.__exit__(*exc)
        self._sigint = None
        return False
