"""The layer contract every tinykd layer follows.

A layer (a ``Module``)
  * holds ``params`` (name -> array) and ``grads`` (the same names, same shapes);
  * ``forward(x)`` keeps in ``self.cache`` what the backward will need and returns y;
  * ``backward(dy)`` *adds* dL/dparam into ``grads`` (``+=``, so two backward calls
    accumulate, as in micrograd) and returns dL/dx;
  * ``zero_grad()`` resets the gradients; it is never called implicitly.

Layers made of layers register them in ``children``; their parameters are then
reachable by dotted names such as ``encoder.layer.0.attention.self.query.weight``,
the names BERT checkpoints use, so a checkpoint maps onto our model one to one.
"""

from __future__ import annotations

from collections.abc import Iterator

from tinykd import backend
from tinykd.backend import xp


class Module:
    def __init__(self):
        self.params: dict = {}
        self.grads: dict = {}
        self.children: dict[str, Module] = {}
        self.cache = None
        self.training = False

    # -- building ------------------------------------------------------------
    def add_param(self, name: str, value):
        """Register a parameter (already on the backend) and its zero gradient."""
        self.params[name] = value
        self.grads[name] = xp.zeros_like(value)
        return value

    def add(self, name: str, module: Module) -> Module:
        """Register a sub-layer under ``name`` and return it."""
        self.children[name] = module
        return module

    # -- the contract ----------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError

    def backward(self, dy):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def zero_grad(self) -> None:
        for g in self.grads.values():
            g.fill(0)
        for child in self.children.values():
            child.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Training mode switches dropout on; ``eval()`` switches it off."""
        self.training = mode
        for child in self.children.values():
            child.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def clear_cache(self) -> None:
        """Forget what the backward would need, here and in every sub-layer.

        Inference calls it to keep one block's activations at a time instead of
        all of them; there is no backward after it until the next forward.
        """
        self.cache = None
        for child in self.children.values():
            child.clear_cache()

    # -- walking the tree ------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, child in self.children.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def named_parameters(self) -> Iterator[tuple[str, Module, str]]:
        """Yield ``(dotted_name, owning_module, key)`` for every parameter."""
        for prefix, module in self.named_modules():
            for key in module.params:
                yield (f"{prefix}.{key}" if prefix else key), module, key

    def parameters(self) -> dict:
        """dotted name -> parameter array (the arrays themselves, not copies)."""
        return {name: m.params[k] for name, m, k in self.named_parameters()}

    def gradients(self) -> dict:
        """dotted name -> gradient array (the arrays themselves, not copies)."""
        return {name: m.grads[k] for name, m, k in self.named_parameters()}

    def embedding_rows(self) -> dict:
        """dotted name -> the rows of each embedding table that a backward since ``zero_grad`` used (the
        only rows with a gradient), for the optimiser's lazy update (``tinykd.optim.AdamW.step``)."""
        return {name: m.rows_used for name, m, k in self.named_parameters()
                if getattr(m, "rows_used", None) is not None}

    def num_parameters(self) -> int:
        return sum(int(p.size) for p in self.parameters().values())

    # -- state -----------------------------------------------------------------
    def state_dict(self) -> dict:
        """dotted name -> NumPy copy of the parameter (on the host)."""
        return {name: backend.to_numpy(p).copy() for name, p in self.parameters().items()}

    def load_state_dict(self, state: dict, strict: bool = True) -> None:
        """Copy arrays into the parameters, checking names and shapes.

        With ``strict`` every parameter must be present and no extra name is
        allowed; a mismatch names exactly what is missing, extra or misshapen.
        """
        own = {name: (m, k) for name, m, k in self.named_parameters()}
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if strict and (missing or unexpected):
            raise KeyError(f"state does not fit the model: missing {missing[:10]}"
                           f"{' ...' if len(missing) > 10 else ''}, unexpected {unexpected[:10]}"
                           f"{' ...' if len(unexpected) > 10 else ''}")
        for name, (module, key) in own.items():
            if name not in state:
                continue
            value = state[name]
            target = module.params[key]
            if tuple(value.shape) != tuple(target.shape):
                raise ValueError(f"{name}: checkpoint has shape {tuple(value.shape)}, "
                                 f"model expects {tuple(target.shape)}")
            target[...] = backend.asarray(value, dtype=target.dtype)

    def astype(self, dtype) -> Module:
        """Cast every parameter (and gradient) to ``dtype`` in place of the old arrays."""
        for _, module, key in self.named_parameters():
            module.params[key] = module.params[key].astype(dtype)
            module.grads[key] = xp.zeros_like(module.params[key])
        return self
