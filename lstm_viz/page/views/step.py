"""One step: the step player with the cell diagram, the prediction and the equations of the unit shown."""

from __future__ import annotations

from ..common import layer_and_unit, step_player


def render(ctx):
    layer_and_unit(ctx)
    step_player(ctx, compact=False)
