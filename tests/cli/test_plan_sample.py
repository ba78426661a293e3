"""``python -m core sample --plan``: the labels per stratum a target half-width needs."""

import pytest

from cli import main
from core.catalog import migrations
from core.review import plan_text, planning, sampling
from core.store import db


@pytest.fixture
def demo_db(demo_copy, monkeypatch):
    path = demo_copy(1200)
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    monkeypatch.setenv("SWITCHYARD_USER", "cli-tester")
    return path


def facts(path) -> tuple[str, str, str, int]:
    """The demo's migration, its first target run, its most labelled sample, and the samples."""
    con = db.connect(str(path))
    try:
        migration_id = con.execute("SELECT migration_id FROM migration LIMIT 1").fetchone()[0]
        labelled = con.execute(
            "SELECT sample_id FROM label WHERE sample_id IS NOT NULL GROUP BY 1"
            " ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
        count = con.execute("SELECT count(*) FROM sample").fetchone()[0]
        return migration_id, migrations.target_runs(con, migration_id)[0], labelled, count
    finally:
        con.close()


def table(out: str) -> dict[str, list[int]]:
    """The printed plan: stratum -> N_h, drawn, labelled, needed, more."""
    rows = out[out.index("stratum ") :].splitlines()[1:-1]
    return {r.split()[0]: [int(v) for v in r.split()[1:]] for r in rows}


def test_plan_prints_the_neyman_labels_per_stratum_and_writes_nothing(demo_db, capsys):
    migration_id, target, _, samples = facts(demo_db)
    args = ["sample", "--migration", migration_id, "--target", target]
    assert main([*args, "--plan", "0.04:0.12", "--expect", "0.4:0.9"]) == 0
    out = capsys.readouterr().out
    con = db.connect(str(demo_db))
    params = sampling.SampleParams()
    preview = sampling.plan(
        con, migration_id, migrations.source_run(con, migration_id), target, params
    )
    expected = planning.plan(
        planning.frame_strata(preview), planning.Priors(0.4, 0.9), planning.Targets(0.04, 0.12)
    )
    assert table(out) == {
        f"{s.stratum}/{s.pool}": [s.size, 0, 0, s.needed, s.needed] for s in expected.strata
    }
    assert out.strip().endswith(plan_text.summary(expected, params))
    assert con.execute("SELECT count(*) FROM sample").fetchone()[0] == samples
    con.close()


def test_plan_of_a_drawn_sample_prints_the_top_up(demo_db, capsys):
    migration_id, target, labelled, _ = facts(demo_db)
    args = ["sample", "--migration", migration_id, "--target", target, "--plan", "0.03"]
    assert main([*args, "--drawn", labelled]) == 0
    out = capsys.readouterr().out
    rows = table(out)
    more = sum(r[4] for r in rows.values())
    assert all(r[3] >= r[1] > 0 for r in rows.values())
    assert more > 0 and f"{more} more labels (in strata " in out


def test_a_bad_plan_says_what_it_expected(demo_db, capsys):
    migration_id, target, _, _ = facts(demo_db)
    args = ["sample", "--migration", migration_id, "--target", target, "--plan", "three"]
    assert main(args) == 1
    assert "--plan: expected two numbers as A:B, got 'three'" in capsys.readouterr().err


def test_plan_of_a_drawn_sample_prints_only_that_sample(demo_db, capsys):
    migration_id, target, labelled, _ = facts(demo_db)
    args = ["sample", "--migration", migration_id, "--target", target, "--plan", "0.05:0.1"]
    assert main([*args, "--drawn", labelled]) == 0
    out = capsys.readouterr().out
    # No preview of a new draw ("40 of 622 items (6 open elsewhere, left out)") before it.
    assert out.startswith("stratum ") and "open elsewhere" not in out


def test_a_plan_in_points_says_it_takes_fractions(demo_db, capsys):
    migration_id, target, _, _ = facts(demo_db)
    args = ["sample", "--migration", migration_id, "--target", target, "--plan", "3:10"]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert (
        "--plan takes half-widths as fractions, e.g. 0.05:0.10 (5 points, κ ±0.10); got 3:10"
        in captured.err
    )
    assert "Targets(" not in captured.err and "open elsewhere" not in captured.out


def test_an_unknown_drawn_sample_is_named(demo_db, capsys):
    migration_id, target, _, _ = facts(demo_db)
    args = ["sample", "--migration", migration_id, "--target", target, "--plan", "0.05"]
    assert main([*args, "--drawn", "smp-nope"]) == 1
    captured = capsys.readouterr()
    assert "no sample smp-nope in this migration" in captured.err
    assert captured.out == ""
