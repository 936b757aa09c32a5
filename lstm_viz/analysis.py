"""What the page needs beyond trace and gradient_flow, without Streamlit: the loss of a typed sequence,
predictions, knob-derived models, vocabularies for fresh models, and export tables."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .cells import copy_module
from .checks import MAX_STEPS, as_inputs, check_module, npy_header
from .tasks import Task
from .tokenize import UNK, Encoded, encode_text, tokenize

MAX_VOCAB = 512  # a fresh model's vocabulary is built from the typed text, capped here


@dataclass(frozen=True)
class Bundle:
    """A model as the page sees it: the recurrent module, an optional readout head and task."""

    rnn: nn.Module
    head: nn.Linear | None = None
    task: Task | None = None
    vocab: tuple[str, ...] | None = None
    mode: str = "chars"
    embedding: torch.Tensor | None = None  # [V, input_size] of an uploaded model: token id -> input vector
    labels: tuple[str, ...] | None = None  # names of the head's outputs (a task's classes, or the file's own)
    own_vocab: bool = False  # ``vocab`` is the model's own (an uploaded vocabulary file), not slots
    # [T, input_size] read from a features file: the input, whatever is typed
    features: np.ndarray | None = field(default=None, compare=False)

    def encode(self, text: str) -> Encoded:
        if self.features is not None:
            T = self.features.shape[0]
            return Encoded(tuple(f"#{t}" for t in range(T)), np.zeros(T, np.int64), np.zeros(T, bool), self.features)
        if self.task is not None:
            return self.task.encode(text)
        if self.own_vocab:
            return encode_own_vocab(text, self.vocab, self.mode, self.rnn.input_size, self.embedding)
        enc = encode_text(text, None if self.vocab is None else list(self.vocab), self.mode)
        if self.mode == "numbers":  # each number goes to every input feature of the model
            return replace(enc, x=np.repeat(enc.x, self.rnn.input_size, axis=1))
        return enc


def read_features(data: bytes, name: str, input_size: int) -> np.ndarray:
    """Input features [T, input_size] from an uploaded ``.npy`` (never unpickled) or ``.csv`` (numbers separated
    by commas, tabs or semicolons, one step per row, an optional header row), checked like any input: ValueError
    otherwise. The limits (MAX_STEPS rows, ``input_size`` columns) are checked as the file is read, before the
    whole of it is: a .npy from its header, a CSV row by row."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    shape_error = (f"{name}: this model reads [T, {input_size}] (one row per step, {input_size} features, at most "
                   f"{MAX_STEPS:,} steps)")
    if suffix == "npy":
        shape, _ = npy_header(io.BytesIO(data), name)
        if not (len(shape) == 2 and shape[1] == input_size or len(shape) == 1 and input_size == 1) or \
                not 0 < shape[0] <= MAX_STEPS:
            raise ValueError(f"{name} holds an array of shape {list(shape)}; " + shape_error.split(": ", 1)[1])
        try:
            a = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError):
            raise ValueError(f"{name} is not a readable .npy file") from None
    elif suffix == "csv":
        a = _csv_rows(data, name, input_size, shape_error)
    else:
        raise ValueError(f"{name}: features come as .npy or .csv")
    if a.ndim == 1 and input_size == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[1] != input_size:
        raise ValueError(f"{name} holds an array of shape {list(a.shape)}; " + shape_error.split(": ", 1)[1])
    return as_inputs(a, input_size).numpy()


def _csv_rows(data: bytes, name: str, input_size: int, shape_error: str) -> np.ndarray:
    """The numbers of a CSV, read row by row and stopped at the first row past the limits."""
    import csv

    try:
        lines = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
        first = lines.readline()
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not UTF-8 text") from None
    delimiter = max(",\t;", key=first.count) if any(c in first for c in ",\t;") else ","
    rows = []
    try:
        for n, row in enumerate(csv.reader(itertools.chain([first], lines), delimiter=delimiter), start=1):
            if not any(v.strip() for v in row):
                continue
            try:
                values = [float(v) for v in row]
            except ValueError:
                if n == 1:
                    continue  # a header row
                raise ValueError(f"{name}, row {n}: every cell must be a number (one step per row, features "
                                 f"separated by commas)") from None
            if len(rows) == MAX_STEPS:
                raise ValueError(f"{name} has more than {MAX_STEPS:,} rows; the limit is {MAX_STEPS:,} steps")
            if len(values) != input_size:
                raise ValueError(f"{name}, row {n}: {len(values)} values; " + shape_error.split(": ", 1)[1])
            rows.append(values)
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not UTF-8 text") from None
    except csv.Error:
        raise ValueError(f"{name} is not a readable CSV file") from None
    if not rows:
        raise ValueError(f"{name} has no rows of numbers")
    return np.array(rows, dtype=np.float64)


UNK_NAMES = ("<unk>", "<UNK>", "[UNK]", "<oov>", "UNK")


def encode_own_vocab(text: str, vocab: tuple[str, ...], mode: str, input_size: int,
                     embedding: torch.Tensor | None = None) -> Encoded:
    """Typed text through a model's own vocabulary: each token to its index (case kept unless every token of the
    vocabulary is lower case), a token outside it to the vocabulary's unknown symbol when it has one (else a zero
    input), then the embedding's row for that index, or a one-hot vector of input_size."""
    if embedding is None and len(vocab) > input_size:
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the model reads {input_size} one-hot inputs")
    if embedding is not None and len(vocab) > embedding.shape[0]:
        raise ValueError(f"the vocabulary has {len(vocab)} tokens but the embedding has {embedding.shape[0]} rows")
    tokens = tokenize(text, mode, lower=all(t == t.lower() for t in vocab))
    index = {s: i for i, s in enumerate(vocab)}
    unk = next((index[u] for u in UNK_NAMES if u in index), None)
    ids = np.array([index.get(t, -1) for t in tokens], dtype=np.int64)
    unknown = ids < 0
    if unk is not None:
        ids[unknown] = unk
    x = np.zeros((len(tokens), input_size), dtype=np.float32)
    known = ids >= 0
    if embedding is not None:
        x[known] = embedding[torch.from_numpy(ids[known])].numpy()
    else:
        x[np.flatnonzero(known), ids[known]] = 1.0
    return Encoded(tuple(tokens), np.maximum(ids, 0), unknown, x)


def vocab_from_text(text: str, mode: str) -> tuple[str, ...]:
    """<unk> plus the distinct tokens of the text, in order of first appearance (capped at MAX_VOCAB)."""
    seen: dict[str, None] = {}
    for t in tokenize(text, mode):
        seen.setdefault(t, None)
    return (UNK, *list(seen)[: MAX_VOCAB - 1])


def upload_vocab(input_size: int, text: str, mode: str) -> tuple[str, ...]:
    """For an uploaded state_dict: one-hot slots for the first input_size-1 distinct typed symbols."""
    return vocab_from_text(text, mode)[:input_size]


def _candidate_block(cell: str) -> int:
    return {"rnn": 0, "lstm": 2, "gru": 2}[cell]


def spectral_radius(module: nn.Module) -> float:
    """ρ of the top layer's recurrent matrix of the candidate block (W_hh for the RNN, W_hg, W_hn; the larger of
    the two directions of a bidirectional layer): the number the spectral-radius knob sets."""
    cell = check_module(module)
    H, k = module.hidden_size, module.num_layers - 1
    b = _candidate_block(cell)
    return max(float(torch.linalg.eigvals(getattr(module, f"weight_hh_l{k}{sfx}").detach()[b * H:(b + 1) * H]
                                          .double()).abs().max()) for sfx in _suffixes(module))


def _suffixes(module: nn.Module) -> tuple[str, ...]:
    """Parameter name endings of each direction (a bidirectional layer's reverse one ends in _reverse)."""
    return ("", "_reverse") if module.bidirectional else ("",)


def mean_forget_bias(module: nn.Module) -> float | None:
    """Mean of b_if + b_hf over the units of every layer and direction (LSTM with biases), else None."""
    if check_module(module) != "lstm" or not module.bias:
        return None
    H = module.hidden_size
    with torch.no_grad():
        runs = [(k, sfx) for k in range(module.num_layers) for sfx in _suffixes(module)]
        return float(sum((getattr(module, f"bias_ih_l{k}{sfx}")[H:2 * H] + getattr(module, f"bias_hh_l{k}{sfx}")
                          [H:2 * H]).mean() for k, sfx in runs) / len(runs))


def derive(module: nn.Module, radius: float | None = None, forget_bias: float | None = None) -> nn.Module:
    """A changed copy of ``module`` for the knobs (the original is never touched).

    ``radius``: every W_hh is scaled so that the spectral radius of its candidate block (W_hh itself for
    the RNN, W_hg for the LSTM, W_hn for the GRU) equals it. ``forget_bias``: LSTM b_if + b_hf.
    """
    cell = check_module(module)
    twin = copy_module(module)
    H = module.hidden_size
    block = _candidate_block(cell)
    with torch.no_grad():
        for k in range(module.num_layers):
            for sfx in _suffixes(module):
                w = getattr(twin, f"weight_hh_l{k}{sfx}")
                if radius is not None:
                    rho = float(torch.linalg.eigvals(w[block * H:(block + 1) * H].double()).abs().max())
                    if rho > 0:
                        w.mul_(radius / rho)
                if forget_bias is not None and cell == "lstm" and module.bias:
                    getattr(twin, f"bias_ih_l{k}{sfx}")[H:2 * H] = forget_bias
                    getattr(twin, f"bias_hh_l{k}{sfx}")[H:2 * H] = 0.0
    return twin.eval()


def tile(enc: Encoded, length: int) -> Encoded:
    """The typed sequence repeated or cut to ``length`` steps (for the sequence-length knob)."""
    idx = np.arange(length) % len(enc.tokens)
    return Encoded(tuple(enc.tokens[i] for i in idx), enc.ids[idx], enc.unknown[idx], enc.x[idx])


PROBE_DESC = {"en": "probe: L = Σ h_T (sum of the top layer's last hidden state)",
              "zh": "探针损失：L = Σ h_T（顶层最后一步隐藏状态之和）"}


@dataclass(frozen=True, eq=False)
class HeadLoss:
    """A loss on the top layer's outputs [T, D·H] through the model's output layer (logits = out·Wᵀ + b).
    A plain object rather than a closure, so that it pickles: the page runs long gradients in a worker
    process. ``target``: a float (mse_last_step) or class ids (-1: no target at that step)."""

    name: str  # cross_entropy_next_token | cross_entropy_every_step | cross_entropy_last_step | mse_last_step
    W: torch.Tensor
    b: torch.Tensor
    target: object

    @property
    def __name__(self) -> str:  # what GradientFlow.loss_name reports
        return self.name

    def __call__(self, out: torch.Tensor) -> torch.Tensor:
        if self.name == "mse_last_step":
            return ((out[-1] @ self.W.T + self.b)[0] - self.target) ** 2
        if self.name == "cross_entropy_last_step":
            return F.cross_entropy((out[-1] @ self.W.T + self.b)[None], self.target)
        if self.name in ("cross_entropy_next_token", "cross_entropy_every_step"):
            return F.cross_entropy(out @ self.W.T + self.b, self.target, ignore_index=-1)
        raise ValueError(f"unknown loss {self.name!r}")


def _next_token_loss(bundle: Bundle, enc: Encoded, W: torch.Tensor, b: torch.Tensor):
    """An uploaded language model's own loss (its outputs are its vocabulary): the cross-entropy of the next
    token at every step. None for any other output layer, or a text without a known next token."""
    if not (bundle.own_vocab and bundle.vocab is not None and W.shape[0] == len(bundle.vocab)):
        return None
    y = np.full(len(enc.ids), -1, dtype=np.int64)
    y[:-1] = np.where(enc.unknown[1:], -1, enc.ids[1:])
    if not (y >= 0).any():
        return None
    return HeadLoss("cross_entropy_next_token", W, b, torch.from_numpy(y)), {
        "en": "cross-entropy of the next token at every step (the model's own output layer and vocabulary)",
        "zh": "每一步对下一个词的交叉熵（模型自己的输出层和词表）"}


def loss_for(bundle: Bundle, enc: Encoded, trace=None, probe: bool = False):
    """(loss for gradient_flow, description {"en": ..., "zh": ...}) of a typed sequence under the model's task.

    Without a head (or with ``probe``) the loss is the probe L = Σ h_T. An uploaded language model uses the
    cross-entropy of its next token (``_next_token_loss``). Classification tasks use cross-entropy on
    the targets the text itself defines (next character, expected closer, the recalled symbol); where the
    text defines none (sentiment, an uploaded classifier), the model's own prediction at the last step is the
    target (read from ``trace`` when the caller has it, else from a fresh run)."""
    task, head = bundle.task, bundle.head
    if probe or head is None or head.out_features < 2 and task is None:
        return "probe", PROBE_DESC
    W = head.weight.detach()
    b = head.bias.detach() if head.bias is not None else torch.zeros(W.shape[0])
    y = None
    if task is None:
        own = _next_token_loss(bundle, enc, W, b)
        if own is not None:
            return own
    else:
        y = task.text_targets(enc) if task.text_targets else None
        if task.kind == "regress":
            target = float(y) if y is not None else 0.0
            return HeadLoss("mse_last_step", W, b, target), {
                "en": f"(ŷ_T − {target:.3f})², squared error at the last step",
                "zh": f"(ŷ_T − {target:.3f})²，最后一步的平方误差"}
        if task.loss_at == "every":
            if y is not None and bool((y >= 0).any()):
                return HeadLoss("cross_entropy_every_step", W, b, y), {
                    "en": "cross-entropy at every step against the targets the text defines",
                    "zh": "每一步的交叉熵，目标由文本本身给出"}
            y = None  # no step of this text has a target (one character): the model's own last prediction
        elif y is not None and (y.numel() != 1 or int(y) < 0):
            y = None  # the text defines no target at its last step
    if y is None:
        if trace is None:
            from .trace import trace as run_trace
            trace = run_trace(bundle.rnn, enc.x)
        with torch.no_grad():
            y = (torch.from_numpy(np.array(trace.h[-1, -1])) @ W.T + b).argmax()
        how = {"en": "the model's own prediction", "zh": "模型自己的预测"}
    else:
        how = {"en": f"“{task.classes[int(y)]}”", "zh": f"“{task.classes[int(y)]}”"}
    return HeadLoss("cross_entropy_last_step", W, b, y.reshape(1)), {
        "en": f"cross-entropy at the last step against {how['en']}", "zh": f"最后一步的交叉熵，目标为{how['zh']}"}


def output_names(bundle: Bundle, n: int) -> list[str]:
    """Names of the head's n outputs: the task's classes, the file's own labels, or their indices."""
    names = bundle.task.classes if bundle.task is not None and bundle.task.classes else bundle.labels
    return [str(c) for c in (names or range(n))]


def readout_series(probs: np.ndarray | None) -> tuple[str | None, dict[str, np.ndarray]]:
    """(the diagram's readout: "classify", "regress" or None, its per-step series: p_top, the top probability, or
    yhat, the regression output)."""
    if probs is None:
        return None, {}
    if probs.shape[1] == 1:
        return "regress", {"yhat": np.asarray(probs[:, 0], dtype=np.float64)}
    return "classify", {"p_top": probs.max(axis=1).astype(np.float64)}


def _text_targets(bundle: Bundle, enc: Encoded) -> np.ndarray | None:
    task = bundle.task
    if task is None or task.kind != "classify" or task.text_targets is None:
        return None
    y = task.text_targets(enc)
    if y is None:
        return None
    y = np.asarray(y).reshape(-1)
    return y if task.loss_at == "every" else y[-1:]


def text_targets_count(bundle: Bundle, enc: Encoded) -> int:
    y = _text_targets(bundle, enc)
    return 0 if y is None else int((y >= 0).sum())


def text_accuracy(bundle: Bundle, enc: Encoded, probs: np.ndarray) -> float | None:
    """Share of the steps whose target the text itself defines (the expected closer, the next character, the
    recalled symbol) that ``probs`` [T, C] gets right; None when the text defines none."""
    y = _text_targets(bundle, enc)
    if y is None or not (y >= 0).any():
        return None
    p = probs.argmax(axis=1) if y.shape[0] == probs.shape[0] else probs[-1:].argmax(axis=1)
    known = y >= 0
    return float((p[known] == y[known]).mean())


def predictions(bundle: Bundle, h_top: np.ndarray) -> np.ndarray | None:
    """[T, out]: softmax probabilities per step (or the regression output) from the readout head."""
    if bundle.head is None:
        return None
    with torch.no_grad():
        z = torch.nn.functional.linear(torch.from_numpy(np.array(h_top)), bundle.head.weight, bundle.head.bias)
    if bundle.task is not None and bundle.task.kind == "regress" or bundle.head.out_features == 1:
        return z.numpy()
    return torch.softmax(z, dim=-1).numpy()


def trace_table(trace, tokens) -> str:
    """Trace as CSV: one row per (layer, step, unit) with every gate and state."""
    cols = [*trace.gates, *(["pre"] if trace.pre is not None else []), *(["c"] if trace.c is not None else []), "h"]
    buf = io.StringIO()
    buf.write("layer,step,token,unit," + ",".join(cols) + "\n")
    arrays = [trace.gates[c] if c in trace.gates else getattr(trace, c) for c in cols]
    for k in range(trace.num_layers):
        for t in range(trace.steps):
            tok = '"' + str(tokens[t]).replace('"', '""') + '"'
            for u in range(trace.hidden_size):
                buf.write(f"{k},{t},{tok},{u}," + ",".join(f"{a[k, t, u]:.7g}" for a in arrays) + "\n")
    return buf.getvalue()


def flow_table(flow, tokens) -> str:
    """GradientFlow as CSV: one row per (layer, step)."""
    buf = io.StringIO()
    D = flow.directions
    buf.write("layer," + ("direction," if D == 2 else "") + "step,token,dL_dh,dL_dc,dL_dW_hh,dL_dx,dhT_dht,cell_path\n")
    runs, T = flow.dL_dh.shape
    for r in range(runs):
        k, d = divmod(r, D)
        top = r >= runs - D
        jac, path = flow.top_series("dhT_dht", d), flow.top_series("cell_path", d)
        for t in range(T):
            tok = '"' + str(tokens[t]).replace('"', '""') + '"'
            vals = [flow.dL_dh[r, t], None if flow.dL_dc is None else flow.dL_dc[r, t], flow.dL_dW_hh[r, t],
                    flow.dL_dx[t] if r == 0 else None, jac[t] if top and jac is not None else None,
                    path[t] if top and path is not None else None]
            lead = f"{k},{'reverse' if d else 'forward'}," if D == 2 else f"{k},"
            buf.write(lead + f"{t},{tok}," + ",".join("" if v is None else f"{v:.7g}" for v in vals) + "\n")
    return buf.getvalue()


def npz_bytes(trace, flow) -> bytes:
    from .cli import trace_fields
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in trace_fields(trace, flow).items() if v is not None})
    return buf.getvalue()


def stem_for(task: str, cell: str, lag: int | None) -> str:
    """File stem of a shipped model."""
    return f"recall_lag{lag}_{cell}" if task == "recall" else f"{task}_{cell}"
