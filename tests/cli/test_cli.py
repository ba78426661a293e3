"""``python -m core``: commands print what they did; errors exit non-zero with one clear line."""

import json
import subprocess
import sys

import pytest

from cli import main
from core.store import db
from tests.conftest import DATA, ROOT, HeldDatabase


@pytest.fixture
def dbfile(tmp_path, monkeypatch):
    path = tmp_path / "cli.duckdb"
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    monkeypatch.setenv("SWITCHYARD_USER", "cli-tester")
    return path


def test_end_to_end_import_freeze_verify_list(dbfile, capsys):
    assert main(["init"]) == 0
    assert (
        main(
            [
                "import-dataset",
                str(DATA / "golden.csv"),
                "--name",
                "fin",
                "--model",
                "anthropic.claude-3-5-sonnet-20241022-v2:0",
            ]
        )
        == 0
    )
    assert "dataset fin@1: 6 items" in capsys.readouterr().out
    assert (
        main(
            [
                "import-run",
                str(DATA / "bedrock_rag_output.jsonl"),
                "--dataset",
                "fin",
                "--role",
                "target",
            ]
        )
        == 0
    )
    assert "4 outputs added; 7 judge scores over 2 metrics" in capsys.readouterr().out
    assert main(["freeze", "fin@1"]) == 0
    assert "fin@1 frozen; sha256" in capsys.readouterr().out
    assert main(["verify"]) == 0
    assert "fin@1: OK" in capsys.readouterr().out
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "fin@1  6 items (2 holdout)  frozen" in listing and "target" in listing


def test_bad_input_exits_1_with_the_message(dbfile, capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,source_prompt,ground_truth,latency_ms\nx,Q?,A,fast\n")
    assert main(["import-dataset", str(bad), "--name", "bad"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "row 1, column 'latency_ms'" in err


def test_verify_exits_1_on_a_mismatch(dbfile, capsys):
    import duckdb

    main(["import-dataset", str(DATA / "golden.csv"), "--name", "fin", "--model", "m"])
    con = duckdb.connect(str(dbfile))
    con.execute("UPDATE item SET prompt = 'changed' WHERE item_id = 'q1'")
    con.close()
    assert main(["verify", "fin"]) == 1
    assert "MISMATCH" in capsys.readouterr().out


def test_demo_is_added_only_to_an_empty_database(dbfile, capsys):
    assert main(["demo", "--items", "200"]) == 0
    assert "demo migration" in capsys.readouterr().out
    assert main(["demo"]) == 0
    assert "already holds data" in capsys.readouterr().out


def test_a_locked_database_says_what_to_do(dbfile):
    with HeldDatabase(dbfile):
        done = subprocess.run(
            [sys.executable, "-m", "core", "list"], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 1
    assert "in use by another process" in done.stderr and "Stop the app" in done.stderr


def test_usage_error_exits_2(dbfile):
    with pytest.raises(SystemExit) as caught:
        main(["import-run", "x.csv"])  # --dataset is required
    assert caught.value.code == 2


def test_sample_preview_create_top_up_and_label_import(dbfile, capsys):
    assert main(["demo", "--items", "300"]) == 0
    listing = capsys.readouterr().out
    assert main(["list"]) == 0
    migration_id = next(w for w in capsys.readouterr().out.split() if w.startswith("mig-"))
    assert (
        main(
            [
                "sample",
                "--migration",
                migration_id,
                "--reviewers",
                "sme1,sme2",
                "--seed",
                "3",
                "--preview",
            ]
        )
        == 0
    )
    preview = capsys.readouterr().out
    assert "items (" in preview and "open elsewhere, left out" in preview
    assert (
        main(["sample", "--migration", migration_id, "--reviewers", "sme1,sme2", "--seed", "3"])
        == 0
    )
    created = capsys.readouterr().out
    sample_id = next(w for w in created.split() if w.startswith("smp-"))
    assert (
        main(["top-up", sample_id, "--stratum", "lookup", "--pool", "pass", "--rate", "0.3"]) == 0
    )
    assert "inclusion probability" in capsys.readouterr().out
    assert "demo migration" in listing


def test_import_labels_command(dbfile, capsys):
    main(
        [
            "import-dataset",
            str(DATA / "golden.csv"),
            "--name",
            "fin",
            "--model",
            "anthropic.claude-3-5-sonnet-20241022-v2:0",
        ]
    )
    capsys.readouterr()
    assert main(["import-labels", str(DATA / "labels.csv"), "--dataset", "fin"]) == 0
    assert "4 labels from 2 reviewers imported into fin@1" in capsys.readouterr().out
    assert main(["import-labels", str(DATA / "labels.csv"), "--dataset", "fin"]) == 1
    assert "never silently overwritten" in capsys.readouterr().err


def test_sample_asks_which_target_when_two_runs_could_be_it(dbfile, capsys):
    def last_word(argv: list[str]) -> str:
        assert main(argv) == 0
        return capsys.readouterr().out.split()[-1]

    data = str(DATA / "golden.csv")
    last_word(["import-dataset", data, "--name", "fin", "--model", "anthropic.claude-3-5-sonnet"])
    assert main(["list", "--json"]) == 0
    (source,) = (r["run_id"] for r in json.loads(capsys.readouterr().out)["runs"])
    candidates = [
        last_word(["import-run", str(DATA / "run_native.csv"), "--dataset", "fin", "--model", m])
        for m in ("amazon.nova-pro-v1:0", "amazon.nova-lite-v1:0")
    ]
    targets = [arg for run in candidates for arg in ("--target", run)]
    migration = last_word(["migration", "create", "--name", "m", "--source", source, *targets])
    sample = ["sample", "--migration", migration, "--reviewers", "sme1", "--preview"]
    assert main(sample) == 1  # neither run has the role 'target'
    assert "pick one" in capsys.readouterr().err
    assert main([*sample, "--target", candidates[0]]) == 0


def test_init_loads_the_shipped_list_prices_into_a_new_database_once(dbfile, capsys):
    # The walkthrough's own migration read "ROI NOT MEASURED: no price" with data/prices.csv
    # shipped but never loaded.
    shipped = len((ROOT / "data" / "prices.csv").read_text().splitlines()) - 1
    assert main(["init"]) == 0
    assert f"{shipped} list prices loaded from data/prices.csv" in capsys.readouterr().out
    assert main(["init"]) == 0
    assert "list prices loaded" not in capsys.readouterr().out
    con = db.connect(str(dbfile))
    assert db.scalar(con, "SELECT count(*) FROM model_price") == shipped
