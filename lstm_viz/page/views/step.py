"""One step: the step player with the cell diagram, the prediction and the equations of the unit shown."""

from __future__ import annotations

from ..common import boxes, layer_and_unit, step_player


def render(ctx):
    figs, ctrls = boxes(ctx)
    with ctrls:
        layer_and_unit(ctx)
    with figs:
        step_player(ctx, compact=False)
