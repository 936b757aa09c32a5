"""Export tables: a Trace and a GradientFlow as CSV rows or as one .npz of every field (the page's downloads
and the CLI's --out).
"""

from __future__ import annotations

import io

import numpy as np


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


def trace_fields(trace, flow) -> dict:
    """Every Trace and GradientFlow field under a flat name (gates as gate_<name>)."""
    fields = {"x": trace.x, "h": trace.h, "c": trace.c, "pre": trace.pre}
    fields.update({f"gate_{g}": v for g, v in trace.gates.items()})
    for name in ("dL_dh", "dL_dc", "dL_dx", "dhT_dht", "cell_path", "dL_dW_hh", "loss", "grad_norm",
                 "grad_norm_clipped", "truncate", "clip"):
        fields[name] = getattr(flow, name)
    fields.update(cell=trace.cell, nonlinearity=trace.nonlinearity, loss_name=flow.loss_name,
                  directions=trace.directions)
    return fields


def npz_bytes(trace, flow) -> bytes:
    """Every field of trace_fields in one .npz (the page's download; the CLI's --out .npz writes the same)."""
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in trace_fields(trace, flow).items() if v is not None})
    return buf.getvalue()
