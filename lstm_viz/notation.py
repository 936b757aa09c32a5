"""One home for the notation: gate order, names, LaTeX, one-line meanings and colours.

Gate order is PyTorch's chunk order in ``weight_ih_l{k}``:
LSTM ``i, f, g, o`` (``g`` is the candidate c̃_t), GRU ``r, z, n``; the vanilla RNN has no gates.

GRU convention (PyTorch's, used everywhere in this project):
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}        (z near 1 keeps the past)
Many textbooks write h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t instead: the same model with z and 1 - z swapped.
"""

from __future__ import annotations

from dataclasses import dataclass

CELLS = ("rnn", "gru", "lstm")  # in the order the page lists and compares them
DIRECTION_SUFFIXES = ("", "_reverse")  # parameter name endings of the forward and the reverse direction

GATE_ORDER: dict[str, tuple[str, ...]] = {
    "rnn": (),
    "lstm": ("i", "f", "g", "o"),
    "gru": ("r", "z", "n"),
}

# Number of stacked weight blocks per cell: weight_ih_l{k} has GATE_BLOCKS * hidden_size rows.
GATE_BLOCKS: dict[str, int] = {"rnn": 1, "lstm": 4, "gru": 3}


@dataclass(frozen=True)
class GateInfo:
    name: str  # the letter used in code and PyTorch's chunk order
    latex: str  # symbol shown in figures
    activation: str  # "sigmoid" or "tanh": fixes the colour range [0, 1] or [-1, 1]
    colour: str  # one colour per gate, colour-blind-safe (Okabe–Ito palette)
    meaning: dict[str, str]  # one line, per language


GATES: dict[str, dict[str, GateInfo]] = {
    "lstm": {
        "i": GateInfo("i", r"i_t", "sigmoid", "#0072B2",
                      {"en": "input gate: how much of the candidate is written to the cell",
                       "zh": "输入门：候选值中有多少写入细胞状态"}),
        "f": GateInfo("f", r"f_t", "sigmoid", "#D55E00",
                      {"en": "forget gate: how much of each cell entry is kept (1 keep, 0 erase)",
                       "zh": "遗忘门：细胞状态每一项保留多少（1 全部保留，0 清除）"}),
        "g": GateInfo("g", r"\tilde{c}_t", "tanh", "#009E73",
                      {"en": "candidate c̃: the new content proposed for the cell",
                       "zh": "候选值 c̃：提议写入细胞的新内容"}),
        "o": GateInfo("o", r"o_t", "sigmoid", "#CC79A7",
                      {"en": "output gate: how much of tanh(c) is exposed as h",
                       "zh": "输出门：tanh(c) 中有多少作为隐藏状态 h 输出"}),
    },
    "gru": {
        "r": GateInfo("r", r"r_t", "sigmoid", "#E69F00",
                      {"en": "reset gate: how much of the past state enters the candidate",
                       "zh": "重置门：过去的状态有多少进入候选值"}),
        "z": GateInfo("z", r"z_t", "sigmoid", "#56B4E9",
                      {"en": "update gate (PyTorch): z near 1 keeps the past, z near 0 takes the candidate",
                       "zh": "更新门（PyTorch 约定）：z 接近 1 保留过去，接近 0 采用候选值"}),
        "n": GateInfo("n", r"n_t", "tanh", "#009E73",
                      {"en": "candidate n (h̃ in many texts): the proposed new state",
                       "zh": "候选状态 n（许多教材记作 h̃）：提议的新状态"}),
    },
    "rnn": {},
}

STATES: dict[str, dict[str, str]] = {
    "h": {"latex": r"h_t", "colour": "#000000", "en": "hidden state", "zh": "隐藏状态"},
    "c": {"latex": r"c_t", "colour": "#882255", "en": "cell state (long-term memory line)",
          "zh": "细胞状态（长期记忆线）"},
    "pre": {"latex": r"W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}", "colour": "#555555",
            "en": "pre-activation of the vanilla RNN", "zh": "普通 RNN 的激活前值"},
}

# Every other colour of every figure and of the step player (Okabe–Ito where a hue carries meaning).
SEQ_SCALE = "Cividis"  # sigmoid gates, [0, 1]
DIV_SCALE = "RdBu_r"  # tanh values, h, c: symmetric about 0
COLOURS: dict[str, str] = {
    "x": "#009E73",  # the input x_t and ‖∂L/∂x_t‖
    "jacobian": "#0072B2",  # ‖∂h_T/∂h_t‖
    "rnn": "#E69F00", "gru": "#009E73", "lstm": "#0072B2",  # a cell type in comparisons
    "original": "#0072B2", "clamped": "#D55E00",  # interventions
    "shut": "#0072B2", "open": "#E69F00",  # saturation: < 0.1 and > 0.9
    # the current step on every over-time chart and the unit outlined: 5.9:1 on white, 4.8:1 on Cividis' yellow; a
    # white halo beside it (≥ 3:1 on any fill) where it crosses the dark end of a colour scale
    "cursor": "#C2185B", "halo": "#FFFFFF",
    "black": "#000000",  # value text on a fill where neither ink reaches 4.5:1
    "clip": "#D55E00",  # gradients after clipping
    "limit": "#999999",  # underflow / overflow marks
    "loss": "#0072B2", "accuracy": "#E69F00",
    "bar": "#0072B2",  # prediction bars
    "wire": "#777777", "ink": "#222222", "paper": "#FFFFFF", "light_ink": "#FFFFFF",
    "question": "#EEF4FB",  # the handout's question box
    "selected": "#A3283A",  # a pressed button in a file (the page's primary colour; white on it 7.3:1)
}
UNIT_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


def colour_of(name: str, cell: str | None = None) -> str:
    """The colour of a gate ('f'), a state ('h', 'c', 'pre') or a named role ('x', 'cursor', 'lstm', ...)."""
    if cell and name in GATES.get(cell, {}):
        return GATES[cell][name].colour
    if name in STATES:
        return STATES[name]["colour"]
    return COLOURS[name]


GRU_CONVENTION = {
    "en": "PyTorch's GRU: hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ h₍ₜ₋₁₎ (z near 1 keeps the past). "
          "Many texts write hₜ = (1 − zₜ) ⊙ h₍ₜ₋₁₎ + zₜ ⊙ h̃ₜ: the same model with z and 1 − z swapped.",
    "zh": "PyTorch 的 GRU：hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ h₍ₜ₋₁₎（z 接近 1 时保留过去）。"
          "许多教材写作 hₜ = (1 − zₜ) ⊙ h₍ₜ₋₁₎ + zₜ ⊙ h̃ₜ：同一个模型，只是 z 与 1 − z 互换。",
}


def gate_range(cell: str, gate: str) -> tuple[float, float]:
    """The value range of a gate's activation: [0, 1] for sigmoid gates, [-1, 1] for tanh ones."""
    info = GATES[cell][gate]
    return (0.0, 1.0) if info.activation == "sigmoid" else (-1.0, 1.0)
