"""`bnncore claims`: the claims grid, its table, and the README that includes it."""

import json
from pathlib import Path

import numpy as np
import pytest
from needs import needs_fashion_mnist

from bnncore.cli import main
from bnncore.experiments.claims import CLAIMS, Arm, Claim, evaluate, plan
from bnncore.experiments.spec import RunResult

ROOT = Path(__file__).resolve().parents[2]


def _result(spec, accuracy, flips=100):
    return RunResult(method=spec.method, seed=spec.seed, test_accuracy=accuracy, test_loss=0.0,
                     sign_flips=flips, weight_writes=flips, n_binary_weights=10, steps=1,
                     seconds_per_epoch=0.0, wall_seconds=0.0, float_bytes=0, packed_bytes=0,
                     packed_speedup=None, history={"train_loss": [1.0]})


def _planted(shift, n=10, seed=0, margin=None):
    """Two arms whose paired accuracies differ by ``shift`` points plus N(0, 0.5) noise."""
    claim = Claim("P", "A > B", "pcpp", "digits", "mlp", Arm("A", "bnn++"), Arm("B", "bnn"),
                  margin=margin, seeds=n)
    p = plan([claim])
    g = np.random.default_rng(seed)
    base = g.normal(90, 1, n)
    noise = g.normal(0, 0.5, n)
    acc = {("bnn++", s): (base[s] + shift + noise[s]) / 100 for s in range(n)}
    acc.update({("bnn", s): base[s] / 100 for s in range(n)})
    return evaluate(p, [_result(s, acc[s.method, s.seed]) for s in p.specs])[0]


def test_planted_effects_get_the_verdict_of_the_rule():
    row = _planted(+1.0)
    assert row["verdict"] == "reproduced"
    assert row["bootstrap_low"] < row["effect"] < row["bootstrap_high"]   # reported beside
    assert _planted(-1.0)["verdict"] == "contradicted"
    row = _planted(0.0, seed=3)
    assert row["ci_low"] < 0 < row["ci_high"] and row["verdict"] == "inconclusive"
    assert row["mde"] > 0 and row["n"] == 10 and row["interval"] == "t"
    assert _planted(0.05, margin=1.0)["verdict"] == "reproduced"
    assert _planted(3.0, margin=1.0)["verdict"] == "contradicted"


def test_null_claims_are_mostly_inconclusive():
    verdicts = [_planted(0.0, seed=s)["verdict"] for s in range(50)]
    assert verdicts.count("inconclusive") >= 45


def test_the_plan_shares_runs_between_claims():
    p = plan()
    assert len({s.key() for s in p.specs}) == len(p.specs)
    arms = {(c.protocol, c.dataset, c.model, a.method, a.settings)
            for c in CLAIMS for a in (c.a, c.b)}
    assert len(arms) < 2 * len(CLAIMS)                # e.g. BNN++ on digits serves three
    assert {c.paper for c in CLAIMS} == {"PC++ (BNN++)", "GFT", "OvSW", "FSG"}


def test_arms_with_identical_values_are_named_in_a_note():
    from bnncore.experiments.report import _identical_arms

    a = Arm("A", "bnn++")
    claims = [Claim("P", f"A > {b}", "pcpp", "digits", "mlp", a, Arm(b, m), seeds=4)
              for b, m in (("B", "bnn"), ("C", "ste"), ("D", "clipped_ste"))]
    p = plan(claims)
    acc = {"bnn++": 0.9, "bnn": 0.8, "ste": 0.8, "clipped_ste": 0.7}
    rows = evaluate(p, [_result(s, acc[s.method] + s.seed / 100) for s in p.specs])
    notes = _identical_arms(rows)
    assert len(notes) == 1 and "B, C gave identical test_accuracy" in notes[0]
    assert "4 seeds" in notes[0] and "D" not in notes[0]


@needs_fashion_mnist
@pytest.mark.slow
def test_smoke_grid_writes_table_plot_and_json(tmp_path, capsys):
    assert main(["claims", "--smoke", "--out", str(tmp_path), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    saved = json.loads((tmp_path / "claims.json").read_text())
    rows = saved["rows"]
    assert len(rows) == len(CLAIMS) and saved["smoke"]
    table = (tmp_path / "claims.md").read_text()
    assert "95% CI" in table and "Verdict rule" in table
    for row in rows:
        assert row["verdict"] in ("reproduced", "contradicted", "inconclusive")
        assert row["p_holm"] >= row["p_value"] and row["n"] == 3
        assert row["claim"] in table and row["verdict"] in printed
    assert (tmp_path / "claims.png").stat().st_size > 20_000
    assert len(list((tmp_path / "runs").glob("*.json"))) == len(saved["runs"])


def test_the_readme_includes_the_generated_claims_table():
    """docs/claims.md is the committed copy of the command's claims.md."""
    generated = (ROOT / "docs" / "claims.md").read_text()
    readme = (ROOT / "README.md").read_text()
    table = [line for line in generated.splitlines() if line.startswith("|")]
    assert len(table) == len(CLAIMS) + 2
    assert "\n".join(table) in readme
