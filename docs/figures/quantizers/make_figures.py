"""Regenerate the figures and the verdict table of docs/quantizers.md.

Run from the repository root: ``python docs/figures/quantizers/make_figures.py``. Each
figure is ``theory.decomposition.plot(pair)``: F and B, B', and the implied P (factor
criterion), with violation witnesses as red crosses. The verdict table is printed as
Markdown.
"""

from __future__ import annotations

from pathlib import Path

from bnncore.quantizers import get, zoo
from theory.decomposition import check, plot

HERE = Path(__file__).parent


def frozen_proxquant():
    q = get("proxquant")
    q.on_epoch(7, 10)
    return q


def bnnpp_end():
    q = get("bnn++")
    q.on_epoch(9, 10)
    return q


PAIRS = [  # (file stem, label, pair)
    ("identity", "identity", get("identity")),
    ("ste", "ste", get("ste")),
    ("clipped_ste", "clipped_ste (c = 1)", get("clipped_ste")),
    ("bnn", "bnn (c = 1; domain = latent clip)", get("bnn")),
    ("approxsign", "approxsign", get("approxsign")),
    ("swishsign", "swishsign = bnn+ (beta = 5)", get("swishsign")),
    ("bnnpp", "bnn++ (beta = 5, epoch 0)", get("bnn++")),
    ("bnnpp_end", "bnn++ (beta = 100, last epoch)", bnnpp_end()),
    ("dorefa_k1", "dorefa k = 1, scale = 0.7", get("dorefa", scale=0.7)),
    ("dorefa_k2", "dorefa k = 2, m = tanh(3)", get("dorefa", k=2, m=0.9950547536867305)),
    ("binaryrelax", "binaryrelax (theta = 0.5)", get("binaryrelax", theta=0.5)),
    ("parq", "parq (s = 0.3)", get("parq", inv_slope=0.3)),
    ("proxquant", "proxquant (before the freeze)", get("proxquant")),
    ("proxquant_frozen", "proxquant (frozen)", frozen_proxquant()),
    ("proxconnect", "proxconnect (mu = 0.5, rho = varrho = 1)", get("proxconnect", mu=0.5)),
] + [(q.name.replace("@", "_at_"), q.name, q) for q in zoo()]


def main() -> None:
    print("| pair | domain | factor (Reading A) | integral (Reading B) | diagnostics |")
    print("|---|---|---|---|---|")
    for stem, label, pair in PAIRS:
        plot(pair).savefig(HERE / f"{stem}.png", dpi=90)
        a, b = check(pair), check(pair, criterion="integral")
        fails = lambda r: ", ".join(k for k, v in r.conditions.items() if not v)  # noqa: E731
        fa = "PASS" if a.ok else f"FAIL ({fails(a)})"
        fb = "PASS" if b.ok else f"FAIL ({fails(b)})"
        diag = ", ".join(f"{k} = False" for k, v in a.diagnostics.items() if not v) or "-"
        lo, hi = a.domain
        print(f"| {label} | [{lo:g}, {hi:g}] | {fa} | {fb} | {diag} |")


if __name__ == "__main__":
    main()
