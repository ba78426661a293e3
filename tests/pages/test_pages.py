"""Every page under AppTest, against a real throwaway database."""

from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from streamlit.testing.v1 import AppTest

from core.importers import files
from core.store import db
from tests.conftest import DATA, signed_in

TIMEOUT = 60
ROOT = Path(__file__).resolve().parents[2]


def app(script: str, username: str | None = "owner", roles: tuple = ("eval_owner",)) -> AppTest:
    """The script under AppTest, signed in as ``username`` (None: not signed in)."""
    return signed_in(script, username, roles, TIMEOUT)


@pytest.fixture
def dbfile(tmp_path, monkeypatch):
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("SWITCHYARD_DB", str(path))
    return path


@pytest.fixture
def empty_db(dbfile, monkeypatch):
    monkeypatch.setenv("SWITCHYARD_DEMO", "0")
    return dbfile


@pytest.mark.slow
def test_first_start_shows_the_demo_migration_labelled_synthetic(dbfile):
    at = app("app.py").run()
    assert not at.exception
    assert at.title[0].value == "Switchyard"
    assert "Sonnet v2 → Nova Pro" in at.subheader[0].value
    assert any("Synthetic demo data" in w.value for w in at.warning)


def test_home_on_an_empty_database_says_what_to_do(empty_db):
    at = app("pages/home.py").run()
    assert not at.exception
    infos = [i.value for i in at.info]
    assert any("No migration yet" in i and "New migration" in i for i in infos)
    # The owner's New migration form names the page that takes the first step.
    assert any(
        "Import a golden dataset and at least two runs on the **Data** page" in i for i in infos
    )


def test_data_page_lists_versions_and_runs(dbfile):
    con = db.connect(str(dbfile))
    files.import_dataset(con, str(DATA / "golden.csv"), "fin", actor="t", model_id="m")
    con.close()
    at = app("pages/data.py").run()
    assert not at.exception
    versions, run_table = at.dataframe[0].value, at.dataframe[1].value
    # Headings humanised by core.formatting.label (issue 16: no raw column names).
    assert list(versions["Dataset"]) == ["fin@1"] and versions["Items"][0] == 6
    assert list(run_table["Role"]) == ["source"]
    assert "frozen_by" not in versions.columns and "Frozen by" in versions.columns


def test_data_page_imports_from_an_s3_uri_and_reports(empty_db):
    at = app("pages/data.py").run()
    assert "No dataset yet" in at.info[0].value
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="golden")
        s3.upload_file(str(DATA / "golden.parquet"), "golden", "fin/v1.parquet")
        at.text_input(key="data.golden.uri").set_value("s3://golden/fin/v1.parquet")
        at.text_input(key="data.golden.name").set_value("fin")
        at.text_input(key="data.golden.model").set_value("m")
        at.button[0].click().run()
    assert not at.exception
    assert "dataset fin@1: 6 items" in at.success[0].value


def test_data_page_shows_the_import_error(empty_db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,source_prompt,ground_truth,latency_ms\nx,Q?,A,-4\n")
    at = app("pages/data.py").run()
    at.text_input(key="data.golden.uri").set_value(str(bad))
    at.text_input(key="data.golden.name").set_value("bad")
    at.button[0].click().run()
    assert "row 1, column 'latency_ms'" in at.error[0].value


def test_data_page_asks_for_a_source(empty_db):
    at = app("pages/data.py").run()
    at.button[0].click().run()
    assert at.error[0].value == "Choose a file or enter an s3:// URI."
