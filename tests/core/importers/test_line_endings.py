"""A CSV mixing CRLF and LF line endings (a Windows tool's file with a line appended by
``echo``) is read like the same file with one ending; DuckDB's sniffer alone refuses it."""

from core.importers import files, labels
from tests.conftest import DATA, SOURCE_MODEL


def mixed(path, source):
    """``source`` written with CRLF endings, then its last line appended with LF (as echo
    would); returns the path."""
    *lines, last = source.read_text().splitlines()
    path.write_bytes("".join(f"{line}\r\n" for line in lines).encode())
    with path.open("a") as fh:
        fh.write(last + "\n")
    return str(path)


def test_a_golden_csv_with_mixed_line_endings_imports_every_item(con, tmp_path):
    path = mixed(tmp_path / "golden.csv", DATA / "golden.csv")
    with open(path, "rb") as fh:
        assert b"\r\n" in fh.read()
    mixed_import = files.import_dataset(con, path, "mixed", actor="t", model_id=SOURCE_MODEL)
    plain_import = files.import_dataset(
        con, str(DATA / "golden.csv"), "plain", actor="t", model_id=SOURCE_MODEL
    )
    assert mixed_import.items == plain_import.items == 6
    rows = "SELECT item_id, prompt, context, ground_truth, tags FROM item WHERE dataset_id = ?"
    rows += " ORDER BY 1"
    assert con.execute(rows, ["mixed@1"]).fetchall() == con.execute(rows, ["plain@1"]).fetchall()


def test_a_label_csv_with_mixed_line_endings_imports_every_label(con, golden, tmp_path):
    path = mixed(tmp_path / "labels.csv", DATA / "labels.csv")
    result = labels.import_labels(con, path, "fin@1", actor="owner")
    assert (result.rows, result.labels, result.reviewers) == (4, 4, 2)
    # The appended LF line reads as the others: no stray carriage return in any value.
    assert con.execute(
        "SELECT notes FROM label WHERE origin = 'import' AND reviewer = 'ben' AND item_id = 'q5'"
    ).fetchone() == ("check the refusal wording",)
    stray = "SELECT count(*) FROM label WHERE notes LIKE '%' || chr(13) || '%'"
    assert con.execute(stray).fetchone() == (0,)
