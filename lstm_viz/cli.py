"""Command line: ``python -m lstm_viz trace ...``, or ``lstm-viz`` once installed (``lstm-viz`` alone, or with
``--port``, starts the page). Errors print one line and exit with status 2."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

import numpy as np


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        raise UsageError(message)


def build_parser(prog: str = "python -m lstm_viz") -> argparse.ArgumentParser:
    from lstm_viz.i18n import LANGS
    from lstm_viz.models.tasks import TASKS
    from lstm_viz.notation import CELLS

    ap = _Parser(prog=prog, description="See inside an RNN, LSTM or GRU, step by step.")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)

    page = sub.add_parser("page", help="start the page (Streamlit, with the classroom settings), as `make run` does")
    page.add_argument("--port", type=int, default=8501, help="default 8501")
    page.add_argument("--address", help="the address to listen on (default: every interface)")

    tracing = sub.add_parser("trace", help="write every gate, state and gradient norm of one sequence")
    src = tracing.add_mutually_exclusive_group(required=True)
    src.add_argument("--weights", help="a state_dict or checkpoint holding an nn.RNN/LSTM/GRU (or its cells): "
                                       ".safetensors, .pt, .pth, .bin or .npz")
    src.add_argument("--cell", choices=CELLS, help="build a fresh seeded module instead")
    tracing.add_argument("--input-size", type=int, help="with --cell")
    tracing.add_argument("--hidden-size", type=int, help="with --cell")
    tracing.add_argument("--layers", type=int, default=1, help="with --cell (default 1)")
    tracing.add_argument("--seed", type=int, default=0, help="with --cell (default 0)")
    tracing.add_argument("--nonlinearity", choices=["tanh", "relu"], help="vanilla RNN only (default tanh)")
    tracing.add_argument("--bidirectional", action="store_true", help="with --cell: both directions of time")
    feed = tracing.add_mutually_exclusive_group(required=True)
    feed.add_argument("--inputs", help="[T, input_size] array of input features as .npy")
    feed.add_argument("--tokens", help="[T] int array of token ids as .npy (through the file's embedding, or one-hot)")
    feed.add_argument("--text", help="typed text, mapped to token ids by --vocab")
    tracing.add_argument("--vocab", help="with --text: the model's vocabulary (.json list or dict, or .txt)")
    tracing.add_argument("--mode", default="chars", choices=["chars", "words"], help="with --text: how it is split")
    tracing.add_argument("--prefix", help="with --weights: the recurrent layer's key prefix, when there are several")
    tracing.add_argument("--out", required=True, help="OUT.npz or OUT.json")
    tracing.add_argument("--loss", default="probe", choices=["probe"], help="L = sum of the top layer's final h")
    tracing.add_argument("--truncate", type=int, help="truncated BPTT window k")
    tracing.add_argument("--clip", type=float, help="also report the gradient norm after clipping at this value")
    tracing.add_argument("--no-jacobian", action="store_true", help="skip dhT_dht")

    trn = sub.add_parser("train", help="train a model on a teaching task and save it with its card")
    trn.add_argument("--task", required=True, choices=TASKS)
    trn.add_argument("--cell", required=True, choices=CELLS)
    trn.add_argument("--out", required=True, help="assets/models/NAME (writes NAME.safetensors and NAME.json)")
    for flag, kind in (("--hidden-size", int), ("--layers", int), ("--steps", int), ("--batch", int),
                       ("--lr", float), ("--clip", float), ("--truncate", int), ("--seed", int),
                       ("--forget-bias", float), ("--lag", int), ("--seq-len", int)):
        trn.add_argument(flag, type=kind)
    trn.add_argument("--text-file", help="next_char: train on this UTF-8 text instead of the bundled sample")
    trn.add_argument("--readout", choices=["outputs", "final_states"],
                     help="what the output layer reads: each step's output (default), or a bidirectional model's two "
                          "final states")

    ev = sub.add_parser("evaluate", help="accuracy of a saved model on fresh seeded samples (a model of a text with a "
                                         "held-out part: also bits per character there, beside the n-gram baselines)")
    ev.add_argument("model", help="assets/models/NAME, or a shipped model by its name (brackets_lstm)")
    ev.add_argument("--samples", type=int, default=2000)

    ex = sub.add_parser("export", help="one view as a self-contained interactive HTML file (opens with no server or "
                                       "network: an LMS, a USB stick, a slide)")
    what = ex.add_mutually_exclusive_group(required=True)
    what.add_argument("--scene", help="a lesson scene that opens on the one-step view (rnn-step, gru, …)")
    what.add_argument("--address", help="a page address's settings, e.g. \"task=brackets&text=f(x [a])\"")
    what.add_argument("--all", action="store_true", help="the whole course: --out FOLDER gets index.html and one "
                                                         "file per scene, and FOLDER.zip the same for an LMS")
    ex.add_argument("--lang", choices=LANGS, help="default: the address's, else en")
    ex.add_argument("--out", required=True, help="FILE.html (with --all: a new FOLDER)")

    ho = sub.add_parser("handout", help="every lesson scene in one printable HTML file (one scene per page)")
    ho.add_argument("--lang", default="en", choices=LANGS)
    ho.add_argument("--out", required=True, help="FILE.html")
    return ap


def _module(args):
    """A Model: read from --weights, or a fresh seeded module (no embedding, no head)."""
    import lstm_viz as lv
    from lstm_viz.checks import MAX_HIDDEN, MAX_LAYERS, MAX_PARAMETERS
    from lstm_viz.engine.cells import parameter_count
    from lstm_viz.i18n import tr
    from lstm_viz.models.checkpoints import load
    from lstm_viz.models.model import Model

    if args.weights:
        if args.bidirectional:
            raise UsageError("--bidirectional goes with --cell; a file says itself whether it is bidirectional")
        if args.input_size is not None or args.hidden_size is not None:
            raise UsageError("--input-size and --hidden-size go with --cell; --weights carries its own sizes")
        model = load(args.weights, args.prefix, args.nonlinearity)
        for key, values in model.notes:  # what was assumed in reading the file
            print(tr(key, "en", **values), file=sys.stderr)
        return model
    if args.prefix:
        raise UsageError("--prefix goes with --weights")
    if args.input_size is None or args.hidden_size is None:
        raise UsageError("--cell needs --input-size and --hidden-size")
    for name, v, hi in (("--input-size", args.input_size, 100_000), ("--hidden-size", args.hidden_size, MAX_HIDDEN),
                        ("--layers", args.layers, MAX_LAYERS)):
        if not 1 <= v <= hi:
            raise UsageError(f"{name} must be between 1 and {hi}, got {v}")
    if args.nonlinearity and args.cell != "rnn":
        raise UsageError("--nonlinearity applies to --cell rnn only")
    if not 0 <= args.seed < 2**63:
        raise UsageError(f"--seed must be between 0 and 2**63 - 1, got {args.seed}")
    n = parameter_count(args.cell, args.input_size, args.hidden_size, args.layers, True,
                        2 if args.bidirectional else 1)
    if n > MAX_PARAMETERS:  # counted before anything of that size is built
        raise UsageError(f"--cell {args.cell} with these sizes has {n:,} parameters; the limit is {MAX_PARAMETERS:,}")
    return Model(lv.build_module(args.cell, args.input_size, args.hidden_size, args.layers, seed=args.seed,
                                 nonlinearity=args.nonlinearity or "tanh", bidirectional=args.bidirectional))


def _model_inputs(args, loaded) -> np.ndarray:
    """[T, input_size] model input from --inputs, --tokens (ids) or --text with --vocab."""
    import torch

    from lstm_viz.models.files import read_vocab
    from lstm_viz.models.inputs import encode_own_vocab

    rnn = loaded.rnn
    if args.inputs:
        if args.vocab:
            raise UsageError("--vocab goes with --text")
        return _load_inputs(args.inputs)
    if args.text is not None:
        if not args.vocab:
            raise UsageError("--text needs --vocab, the model's own vocabulary")
        p = Path(args.vocab)
        if not p.is_file():
            raise ValueError(f"no such file: {p}")
        vocab = read_vocab(p.read_bytes(), p.name)
        return encode_own_vocab(args.text, vocab, args.mode, rnn.input_size, loaded.embedding).x
    ids = _load_inputs(args.tokens)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"--tokens must be a 1-D integer array, got {ids.dtype} of shape {list(ids.shape)}")
    rows = loaded.embedding.shape[0] if loaded.embedding is not None else rnn.input_size
    if ids.size and (ids.min() < 0 or ids.max() >= rows):
        raise ValueError(f"--tokens must lie in 0..{rows - 1}, found {int(ids.min())}..{int(ids.max())}")
    if loaded.embedding is not None:
        return loaded.embedding[torch.from_numpy(ids.astype(np.int64))].numpy()
    x = np.zeros((ids.size, rnn.input_size), dtype=np.float32)
    x[np.arange(ids.size), ids] = 1.0
    return x


def _load_inputs(path: str) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"no such file: {p}")
    if p.suffix.lower() != ".npy":
        raise ValueError(f"{p.name}: inputs must be a .npy array")
    try:
        return np.load(p, allow_pickle=False)
    except Exception as exc:  # a pickled or broken .npy is refused, never run
        raise ValueError(f"{p.name} is not a plain numeric .npy array ({str(exc).splitlines()[0][:200]})") from None


def _check_out(p: Path, given: str | None = None) -> None:
    """An output path: its folder must exist (nothing is created silently), and it is not a link or a folder
    (``given``: the path as typed, where a trailing / names a folder that Path would drop)."""
    if given is not None and given.endswith(("/", "\\")):
        raise ValueError(f"{given} names a folder: give a file name")
    if not p.parent.is_dir():
        raise ValueError(f"no such folder: {p.parent} (create it first)")
    if p.is_symlink():
        raise ValueError(f"{p} is a symbolic link: refusing to write through it")
    if p.is_dir():
        raise ValueError(f"{p} is a folder: give a file name")


def write_fields(fields: dict, out: str) -> None:
    p = Path(out)
    suffix = p.suffix.lower()
    if suffix not in (".npz", ".json"):
        raise ValueError(f"{p.name}: output must end in .npz or .json")
    _check_out(p, out)
    present = {k: v for k, v in fields.items() if v is not None}
    if suffix == ".npz":
        with open(p, "wb") as f:  # through a handle: numpy would append .npz to a name ending in .NPZ
            np.savez(f, **{k: np.asarray(v) for k, v in present.items()})
    else:
        p.write_text(json.dumps({k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in fields.items()}))


def cmd_trace(args) -> None:
    import torch

    import lstm_viz as lv
    from lstm_viz.teach.exports import trace_fields

    loaded = _module(args)
    module = loaded.rnn
    x = _model_inputs(args, loaded)
    trace = lv.trace(module, x)
    flow = lv.gradient_flow(module, x, loss=args.loss, truncate=args.truncate, clip=args.clip,
                            jacobian=not args.no_jacobian)
    fields = trace_fields(trace, flow)
    if loaded.head is not None:  # the file's own output layer on what it reads of the top layer's h_t
        from lstm_viz.models.model import head_input
        with torch.no_grad():
            fields["logits"] = loaded.head(head_input(torch.from_numpy(np.array(trace.h[-1])), loaded.readout)).numpy()
    write_fields(fields, args.out)
    both = f" ({trace.units_per_direction} per direction, bidirectional)" if trace.directions == 2 else ""
    print(f"wrote {Path(args.out)}: {trace.cell} {trace.num_layers}×{trace.hidden_size}{both}, T={trace.steps}, "
          f"loss={flow.loss:.6g}")


def cmd_train(args) -> None:
    from lstm_viz.models.train import default_config, evaluate, save_model, train

    out = Path(args.out)
    if out.is_dir() or args.out.endswith(("/", "\\")):
        raise UsageError(f"--out {args.out} is a folder: give a name inside it, like {out / 'my_model'}")
    if out.suffix.lower() in (".json", ".safetensors"):
        raise UsageError(f"--out names the model without an extension (NAME writes NAME.safetensors and "
                         f"NAME.json), got {args.out}")
    written = (out.with_suffix(".safetensors"), out.with_suffix(".json"))
    for p in written:
        _check_out(p)
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise UsageError(f"--seed must be between 0 and 2**63 - 1, got {args.seed}")
    for name in ("lr", "clip", "forget_bias"):
        v = getattr(args, name)
        if v is not None and not math.isfinite(v):
            raise UsageError(f"--{name.replace('_', '-')} must be a finite number, got {v}")
    text = None
    if args.text_file:
        if args.task != "next_char":
            raise UsageError("--text-file goes with --task next_char")
        p = Path(args.text_file)
        if not p.is_file():
            raise ValueError(f"no such file: {p}")
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{p.name} is not UTF-8 text") from None
    cfg = default_config(args.task, args.cell, text=text, hidden_size=args.hidden_size, num_layers=args.layers,
                         steps=args.steps, batch=args.batch, lr=args.lr, clip=args.clip, truncate=args.truncate,
                         seed=args.seed, forget_bias=args.forget_bias, lag=args.lag, seq_len=args.seq_len,
                         readout=args.readout)
    every = max(1, cfg.steps // 10)

    def progress(step, loss, acc):
        if step % every == 0:
            print(f"step {step:>6}  loss {loss:.4f}  batch accuracy {acc:.3f}", flush=True)

    result = train(cfg, progress=progress)
    acc = evaluate(result.model, result.task)
    extra = None
    if result.task.held_out is not None:
        from lstm_viz.models.charlm import held_out_report
        extra = held_out_report(result.model, result.task)
    if result.task.test_set is not None:
        from lstm_viz.models.digits import held_out_report as images_report
        extra = images_report(result.model, result.task)
    save_model(result, args.out, acc, _command(args), extra)
    print(f"trained in {result.seconds:.1f} s; wrote {written[0]} and {written[1]}")
    if extra is not None:
        _print_held_out(extra["held_out"])
    print(f"accuracy: {acc:.3f}")


def _print_held_out(ho: dict) -> None:
    if "images" in ho:
        base = ", ".join(f"{k} {v:.3f}" for k, v in ho["baseline_accuracy"].items())
        print(f"held-out accuracy: {ho['accuracy']:.3f} on {ho['images']} images ({ho['split']}); baselines on the "
              f"same images: {base}")
        return
    if "perplexity" in ho:
        base = ", ".join(f"{k} {v:.1f}" for k, v in ho["baseline_perplexity"].items())
        print(f"held-out perplexity: {ho['perplexity']:.1f} ({ho['bits_per_word']:.3f} bits per word, "
              f"{ho['scored_tokens']:,} words; baselines on the same words: {base}, "
              f"uniform {ho['uniform_perplexity']})")
        return
    base = ", ".join(f"{k} {v:.3f}" for k, v in ho["baseline_bpc"].items())
    print(f"held-out bits per character: {ho['bpc']:.3f} ({ho['scored_characters']:,} characters; baselines on "
          f"the same characters: {base}, uniform {ho['uniform_bpc']:.3f})")


def _command(args) -> str:
    parts = ["python -m lstm_viz train"]
    for k, v in vars(args).items():
        if k != "command" and v is not None:
            parts.append(f"--{k.replace('_', '-')} {v}")
    return " ".join(parts)


def cmd_evaluate(args) -> None:
    from lstm_viz.models.train import evaluate, load_model

    if not 1 <= args.samples <= 100_000:
        raise UsageError(f"--samples must be between 1 and 100000, got {args.samples}")
    model, task, card = load_model(_shipped_or_path(args.model))
    if task.held_out is not None:
        from lstm_viz.models.charlm import held_out_report
        _print_held_out(held_out_report(model, task)["held_out"])
    if task.test_set is not None:
        from lstm_viz.models.digits import held_out_report as images_report
        _print_held_out(images_report(model, task)["held_out"])
    print(f"accuracy: {evaluate(model, task, n=args.samples):.3f}")


def _html_out(out: Path, given: str) -> None:
    """An .html file to write, in a folder that exists, not a link or a folder (``given``: as typed)."""
    if out.suffix.lower() not in (".html", ".htm") or given.endswith(("/", "\\")):
        raise UsageError(f"--out must end in .html, got {given}")
    if not out.parent.is_dir():
        raise UsageError(f"no folder {out.parent} for --out")
    _check_out(out, given)


def cmd_export(args) -> None:
    from lstm_viz.teach import interactive

    out = Path(args.out)
    if args.all:
        _export_course(out, args.out, args.lang or "en")
        return
    _html_out(out, args.out)
    text = interactive.for_scene(args.scene, args.lang or "en") if args.scene else \
        interactive.for_address(args.address, args.lang)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({len(text.encode('utf-8')) / 2**20:.2f} MB)")


def _export_course(out: Path, given: str, lang: str) -> None:
    """``out``: a folder that does not exist yet (nothing is overwritten), in a folder that does."""
    import zipfile

    from lstm_viz.teach import interactive

    if out.exists() or out.is_symlink():
        raise UsageError(f"{given} exists already: --all writes a new folder")
    if not out.parent.is_dir():
        raise UsageError(f"no folder {out.parent} for --out")
    zipped = out.with_name(out.name + ".zip")
    if zipped.exists() or zipped.is_symlink():
        raise UsageError(f"{zipped} exists already")
    files = interactive.course(lang)
    out.mkdir()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
            z.writestr(name, text)
    size = sum(len(t.encode("utf-8")) for t in files.values()) / 2**20
    print(f"wrote {out}/ ({len(files)} files, {size:.1f} MB) and {zipped} ({zipped.stat().st_size / 2**20:.1f} MB)")


def _shipped_or_path(name: str) -> str:
    """A bare name that is no file here but a shipped model's (``brackets_lstm``) means that model, wherever the
    package is installed; anything else is a path."""
    from lstm_viz.models.train import shipped_stem

    shipped = shipped_stem(name)
    return str(shipped) if shipped is not None and not Path(name).with_suffix(".json").is_file() else name


def cmd_handout(args) -> None:
    from lstm_viz.teach.handout import build

    out = Path(args.out)
    _html_out(out, args.out)  # before the charts are drawn: a link or a folder is refused at once
    try:
        text = build(args.lang)
    except (RuntimeError, ImportError) as exc:  # Kaleido found no browser to draw the charts with
        raise UsageError("the handout's charts are drawn by a local Chromium (apt-get install chromium) through "
                         f"kaleido; {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    out.write_text(text, encoding="utf-8")
    scenes = text.count('<section class="scene"')
    print(f"wrote {out} ({len(text) / 2**20:.1f} MB, {scenes} scenes)")


def _printable(text: str) -> str:
    """A message for the terminal: control characters (escape sequences from a file name or a file's own text) are
    shown as escapes, never sent to the terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def cmd_page(args) -> None:
    """Run Streamlit on the page's script with the server settings of .streamlit/config.toml passed as flags, so
    that they hold wherever the command is started from (a project's own .streamlit folder is not read first)."""
    import tomllib

    from lstm_viz.paths import APP, SERVER_CONFIG

    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, not {args.port}")
    flags = []
    for section, options in tomllib.loads(SERVER_CONFIG.read_text(encoding="utf-8")).items():
        for name, value in options.items():
            flags += [f"--{section}.{name}", json.dumps(value) if isinstance(value, bool) else str(value)]
    flags += ["--server.port", str(args.port)] + (["--server.address", args.address] if args.address else [])
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, "-m", "streamlit", "run", str(APP), *flags])


COMMANDS = {"page": cmd_page, "trace": cmd_trace, "train": cmd_train, "evaluate": cmd_evaluate, "export": cmd_export,
            "handout": cmd_handout}


def main(argv=None, prog: str = "python -m lstm_viz") -> int:
    try:
        args = build_parser(prog).parse_args(argv)
        COMMANDS[args.command](args)
        return 0
    except (UsageError, ValueError, OSError) as exc:
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {_printable(line)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    """The installed ``lstm-viz`` command: the subcommands above, and the page when none is named
    (``lstm-viz``, ``lstm-viz --port 8502``)."""
    argv = sys.argv[1:]
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["page", *argv]
    sys.exit(main(argv, prog="lstm-viz"))


if __name__ == "__main__":
    sys.exit(main())
