"""lstm_viz: see inside a recurrent network (RNN, LSTM, GRU) step by step, with real numbers.

Data flows one way: typed text -> tokens -> model input -> Trace -> GradientFlow -> figures -> page.
"""

__version__ = "3.0.0.dev0"

from lstm_viz.engine.cells import build_module, parameter_count
from lstm_viz.engine.gradients import GradientFlow, gradient_flow, gradient_flows, intervene
from lstm_viz.engine.run import Clamp
from lstm_viz.engine.trace import Trace, trace

from .checks import MAX_PARAMETERS, MAX_STEPS


def show(*args, **kwargs):
    """The step player in a notebook (an anywidget), or another view in a frame: see lstm_viz.notebook.show."""
    from lstm_viz.notebook import show as player

    return player(*args, **kwargs)


__all__ = [
    "Clamp", "GradientFlow", "__version__", "MAX_PARAMETERS", "MAX_STEPS", "Trace", "build_module", "gradient_flow",
    "gradient_flows", "intervene", "parameter_count", "show", "trace",
]
