"""Train every shipped model with the task defaults, save it with its card, and print the comparison table.

    python benchmarks/build_models.py [--jobs 2] [--only shakespeare|wikitext|digits]

Each model is what `python -m lstm_viz train ... --out assets/models/NAME` makes (the card records that
command); accuracy is measured on fresh seeded samples. One thread per job. The Shakespeare models
(``--only shakespeare`` builds just them) also get held-out bits per character beside n-gram baselines on the
same characters, and seeded samples, in their cards; the word-level LSTM on WikiText-2 (``--only wikitext``)
gets held-out perplexity beside unigram and bigram baselines on the same words. The two bidirectional LSTMs on
the 8×8 digits read row by row (``--only digits``) differ only in what their output layer reads: both final states
(digits_bilstm) or the last step's output, ``outputs[-1]`` (digits_bilstm_last); their cards hold the accuracy on
the 297 held-out images beside a nearest-class-mean and a logistic-regression baseline on the same images.
The two recall LSTMs at lag 20 of ``--only fbias`` differ only in the forget-gate bias they start from (0 or 1): the
same task, seed, budget and batches; their cards hold their loss histories, and the same pair trained from
FBIAS_SEEDS more seeds (final loss and accuracy of each), so that one seed's difference is not taken for a rule.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lstm_viz.models.train import FBIAS_INITS, FBIAS_LAG, fbias_stem  # noqa: E402

CELLS = ("rnn", "gru", "lstm")
LAGS = (5, 20, 50, 100)
OTHER_TASKS = ("next_char", "brackets", "sentiment", "adding")
TEXT_TASKS = ("shakespeare_char",)  # a real text with a held-out part: bpc beside n-gram baselines
WORD_MODELS = [("wikitext_word", "lstm", None)]  # one word-level language model: perplexity beside n-grams
# the same bidirectional LSTM twice, told apart by its readout: both final states, or outputs[-1]
DIGIT_MODELS = [("digits_rows", "lstm", None, "final_states"), ("digits_rows", "lstm", None, "outputs")]
FBIAS_SEEDS = (0, 1, 2)  # the forget-bias pair is trained from each; the shipped pair is seed 0
FBIAS_MODELS = [("fbias", "lstm", FBIAS_LAG, b) for b in FBIAS_INITS]
FINAL_STEPS = 50


def model_list(only: str | None = None) -> list[tuple[str, str, int | None]]:
    text = [(task, cell, None) for task in TEXT_TASKS for cell in CELLS]
    if only == "shakespeare":
        return text
    if only == "wikitext":
        return WORD_MODELS
    if only == "digits":
        return DIGIT_MODELS
    if only == "fbias":
        return FBIAS_MODELS
    jobs = [("recall", cell, lag) for lag in LAGS for cell in CELLS]
    return jobs + [(task, cell, None) for task in OTHER_TASKS for cell in CELLS] + text + WORD_MODELS + DIGIT_MODELS \
        + FBIAS_MODELS


def name_of(task: str, cell: str, lag: int | None, readout: str | None = None) -> str:
    if task == "fbias":
        return fbias_stem(readout)
    if task == "digits_rows":
        return "digits_bilstm" + ("" if readout == "final_states" else "_last")
    return f"{task}_lag{lag}_{cell}" if lag else f"{task}_{cell}"


def build(job) -> dict:
    import torch

    if job[0] == "fbias":
        return build_fbias(job[3])

    from lstm_viz.models import digits
    from lstm_viz.models.charlm import held_out_report
    from lstm_viz.models.train import default_config, evaluate, save_model, train

    torch.set_num_threads(1)
    task, cell, lag, *readout = job
    name = name_of(task, cell, lag, *readout)
    cfg = default_config(task, cell, lag=lag, readout=readout[0] if readout else None)
    result = train(cfg)
    acc = evaluate(result.model, result.task)
    command = f"python -m lstm_viz train --task {task} --cell {cell}" + (f" --lag {lag}" if lag else "") \
        + (f" --readout {readout[0]}" if readout else "") + f" --out assets/models/{name}"
    extra = held_out_report(result.model, result.task) if result.task.held_out is not None else \
        digits.held_out_report(result.model, result.task) if result.task.test_set is not None else None
    return save_model(result, ROOT / "assets" / "models" / name, acc, command, extra)


def fbias_run(finit: float, seed: int):
    """One recall LSTM at FBIAS_LAG from forget-gate bias ``finit``: the task's default budget otherwise."""
    from lstm_viz.models.train import default_config, evaluate, train

    result = train(default_config("recall", "lstm", lag=FBIAS_LAG, seed=seed, forget_bias=finit))
    return result, evaluate(result.model, result.task)


def final_loss(history: list) -> float:
    """The mean loss of the last FINAL_STEPS updates (one batch's loss is noisy)."""
    return sum(h[1] for h in history[-FINAL_STEPS:]) / len(history[-FINAL_STEPS:])


def build_fbias(finit: float) -> dict:
    import torch

    from lstm_viz.models.train import save_model

    torch.set_num_threads(1)
    name = fbias_stem(finit)
    result, acc = fbias_run(finit, 0)
    seeds = []
    for seed in FBIAS_SEEDS:
        r, a = (result, acc) if seed == result.config.seed else fbias_run(finit, seed)
        seeds.append({"seed": seed, "final_loss": round(final_loss(r.history), 4), "accuracy": round(a, 4),
                      "train_seconds": round(r.seconds, 1)})
    command = f"python -m lstm_viz train --task recall --cell lstm --lag {FBIAS_LAG} --forget-bias {finit:g} " \
              f"--out assets/models/{name}"
    history = [[s, round(loss, 5), round(a, 4)] for s, loss, a in result.history]
    return save_model(result, ROOT / "assets" / "models" / name, acc, command,
                      {"history": history, "final_loss_steps": FINAL_STEPS, "seeds": seeds})


def fbias_table(cards: list[dict]) -> list[str]:
    cs = sorted((c for c in cards if "seeds" in c), key=lambda c: c["config"]["forget_bias"])
    if not cs:
        return []
    rows = ["", f"recall lag {FBIAS_LAG}, LSTM, forget-gate bias at the start 0 against 1 (mean loss of the last "
            f"{FINAL_STEPS} updates / accuracy on fresh samples):",
            "| seed | " + " | ".join(f"bias {c['config']['forget_bias']:g}" for c in cs) + " |", "|---|---|---|"]
    for k, seed in enumerate(FBIAS_SEEDS):
        rows.append(f"| {seed} | " + " | ".join(f"{c['seeds'][k]['final_loss']:.3f} / {c['seeds'][k]['accuracy']:.3f}"
                                                  for c in cs) + " |")
    return rows


def table(cards: list[dict]) -> str:
    by = {(c["task"], c["cell"], c["lag"]): c for c in cards if "seeds" not in c}  # not the forget-bias pair
    rows = ["| task | RNN | GRU | LSTM | training budget (each cell) |", "|---|---|---|---|---|"]
    for lag in LAGS:
        cs = [by.get(("recall", cell, lag)) for cell in CELLS]
        if all(cs):
            cfg = cs[0]["config"]
            rows.append(f"| delayed recall, lag {lag} | " + " | ".join(f"{c['accuracy']:.3f}" for c in cs)
                        + f" | {cfg['steps']} Adam steps × batch {cfg['batch']}, H={cfg['hidden_size']}, "
                          f"lr {cfg['lr']} |")
    for task in OTHER_TASKS:
        cs = [by.get((task, cell, None)) for cell in CELLS]
        if all(cs):
            cfg = cs[0]["config"]
            rows.append(f"| {task} | " + " | ".join(f"{c['accuracy']:.3f}" for c in cs)
                        + f" | {cfg['steps']} Adam steps × batch {cfg['batch']}, H={cfg['hidden_size']}, "
                          f"lr {cfg['lr']} |")
    rows = rows if len(rows) > 2 else []  # no row of accuracies: no header either
    return "\n".join(rows + text_table(cards) + fbias_table(cards))


def text_table(cards: list[dict]) -> list[str]:
    """Held-out bits per character of the text models, beside the baselines on the same characters."""
    rows = []
    for task in TEXT_TASKS:
        cs = {c["cell"]: c for c in cards if c["task"] == task}
        if set(cs) != set(CELLS):
            continue
        ho, cfg = cs["lstm"]["held_out"], cs["lstm"]["config"]
        base = ho["baseline_bpc"]
        rows += ["", f"{task}: held-out bits per character ({ho['scored_characters']:,} characters; lower is better)",
                 "| RNN | GRU | LSTM | " + " | ".join(f"{k} baseline" for k in base)
                 + " | uniform | budget (each cell) |",
                 "|---|---|---|" + "---|" * len(base) + "---|---|",
                 "| " + " | ".join(f"{cs[c]['held_out']['bpc']:.3f}" for c in CELLS) + " | "
                 + " | ".join(f"{v:.3f}" for v in base.values()) + f" | {ho['uniform_bpc']:.3f} | "
                 f"{cfg['steps']} Adam steps × batch {cfg['batch']} × {cs['lstm']['seq_len']} characters, "
                 f"H={cfg['hidden_size']}, lr {cfg['lr']}" + (f" ({cfg['schedule']})" if cfg.get("schedule") else "")
                 + " |",
                 "training seconds (one thread): " + ", ".join(f"{c.upper()} {cs[c]['train_seconds']}" for c in CELLS),
                 "parameters: " + ", ".join(f"{c.upper()} {cs[c]['parameters']:,}" for c in CELLS)]
        for smp in cs["lstm"]["samples"]:
            rows.append(f"LSTM sample after {smp['prompt']!r}: {smp['text']!r}")
    for c in cards:
        if c["task"] == "wikitext_word":
            ho, cfg = c["held_out"], c["config"]
            rows += ["", f"wikitext_word {c['cell']}: held-out perplexity {ho['perplexity']:.1f} "
                     f"({ho['bits_per_word']:.3f} bits per word) on {ho['scored_tokens']:,} words "
                     f"({ho['unk_fraction']:.0%} of them <unk>); unigram {ho['baseline_perplexity']['unigram']:.1f}, "
                     f"bigram {ho['baseline_perplexity']['bigram']:.1f}, uniform {ho['uniform_perplexity']}; "
                     f"{cfg['steps']} Adam steps × batch {cfg['batch']} × {c['seq_len']} words, "
                     f"H={cfg['hidden_size']}, V={c['input_size']}, {c['parameters']:,} parameters, "
                     f"{c['train_seconds']} s"]
            rows += [f"sample after {smp['prompt']!r}: {smp['text']!r}" for smp in c["samples"]]
    digit_cards = sorted((c for c in cards if c["task"] == "digits_rows"), key=lambda c: c["config"]["readout"])
    if digit_cards:
        ho = digit_cards[0]["held_out"]
        rows += ["", f"digits_rows, bidirectional LSTM: held-out accuracy on {ho['images']} images ({ho['split']})",
                 "| readout | accuracy | parameters | training seconds | budget |", "|---|---|---|---|---|"]
        for c in digit_cards:
            cfg = c["config"]
            rows.append(f"| {cfg['readout']} | {c['held_out']['accuracy']:.3f} | {c['parameters']:,} | "
                        f"{c['train_seconds']} | {cfg['steps']} Adam steps × batch {cfg['batch']}, "
                        f"H={cfg['hidden_size']} per direction, lr {cfg['lr']} ({cfg['schedule']}) |")
        rows += [f"| baseline: {k} | {v:.3f} | | | the 64 pixels at once |" for k, v in ho["baseline_accuracy"].items()]
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--table-only", action="store_true", help="print the table from the cards on disk")
    ap.add_argument("--only", choices=["shakespeare", "wikitext", "digits", "fbias"], help="build only these models")
    args = ap.parse_args()
    if args.table_only:
        cards = [json.loads(p.read_text()) for p in sorted((ROOT / "assets" / "models").glob("*.json"))]
    else:
        with ProcessPoolExecutor(args.jobs) as pool:
            cards = []
            for card in pool.map(build, model_list(args.only)):
                ho = card.get("held_out", {})
                bpc = f", held-out {ho['bpc']:.3f} bpc" if "bpc" in ho else \
                    (f", held-out perplexity {ho['perplexity']:.1f}" if "perplexity" in ho else "")
                readout = f" readout={card['config']['readout']}" if card["task"] == "digits_rows" else ""
                print(f"{card['task']:>10} {card['cell']:>5} lag={card['lag']}{readout}: "
                      f"accuracy {card['accuracy']:.3f}{bpc} in {card['train_seconds']} s", flush=True)
                cards.append(card)
    print(table(cards))
    longest = max(c["train_seconds"] for c in cards)
    print(f"\nlongest training run: {longest:.1f} s on one thread")


if __name__ == "__main__":
    main()
