"""One module per view, each with one ``render(ctx)`` that draws only the controls it uses."""

from . import export, grad, intervene, params, step, time, train

VIEWS = {"step": step, "time": time, "grad": grad, "intervene": intervene, "train": train, "params": params,
         "export": export}
