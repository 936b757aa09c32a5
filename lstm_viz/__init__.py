"""lstm_viz: see inside a recurrent network (RNN, LSTM, GRU) step by step, with real numbers.

Data flows one way: typed text -> tokens -> model input -> Trace -> GradientFlow -> figures -> page.
"""

from .cells import build_module, parameter_count
from .checks import MAX_PARAMETERS, MAX_STEPS
from .gradients import GradientFlow, gradient_flow, intervene
from .trace import Clamp, Trace, trace

__all__ = [
    "Clamp", "GradientFlow", "MAX_PARAMETERS", "MAX_STEPS", "Trace", "build_module", "gradient_flow",
    "intervene", "parameter_count", "trace",
]
