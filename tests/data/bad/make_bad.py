"""Writes the bad-input corpus beside it (run by hand: ``python tests/data/bad/make_bad.py``).

Each file is one way an input goes wrong, made from the good fixtures in tests/data so that
only the fault differs. ``manifest.csv`` lists the files an import must refuse: the CLI
command that imports it (``{file}``, ``{run}`` and ``{baseline}`` are filled in by the test),
a setting in force (a small limit, so no file needs to be large) and the fragments of the
message, separated by `` | ``. ``accepted.csv`` lists files that must import (a byte-order
mark, which Windows tools write). The files are committed; tests read them and never
regenerate them.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent
DATA = HERE.parent
SOURCE = "anthropic.claude-3-5-sonnet-20241022-v2:0"
TARGET = "amazon.nova-pro-v1:0"

GOLDEN = f"import-dataset {{file}} --name bad --model {SOURCE}"
RUN = f"import-run {{file}} --dataset fin@1 --model {TARGET}"
RAGAS = f"import-run {{file}} --dataset fin@1 --model {TARGET} --format ragas"
BEDROCK = "import-run {file} --dataset fin@1"
LABELS = "import-labels {file} --dataset fin@1"
PAIRWISE = "import-pairwise {file} --run {run} --baseline {baseline}"
COMMANDS = {"golden": GOLDEN, "run": RUN, "labels": LABELS, "pairwise": PAIRWISE}

BOM = "\ufeff"
DEEP = "[" * 100_000 + "]" * 100_000  # JSON and Bedrock JSONL: what crashed the parser
NESTED = "[" * 1_000 + "]" * 1_000  # far past the limit of 64, in a smaller file
MB = 1024 * 1024


def text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


GOLDEN_CSV = text("golden.csv")
GOLDEN_JSONL = text("golden.jsonl")
RUN_CSV = text("run_native.csv")
RUN_JSONL = text("run_native.jsonl")
DEEPEVAL = text("deepeval_test_run.json")
AUTOMATED = text("bedrock_automated_output.jsonl")
HUMAN = text("bedrock_human_output.jsonl")
RAGAS_CSV = text("ragas_result.csv")
LABELS_CSV = text("labels.csv")
GOLDEN_HEAD = "id,source_prompt,ground_truth,source_output,latency_ms,automated_score,human_score"
SMALL_GOLDEN = f"{GOLDEN_HEAD}\nn1,Q one?,A1,o1,100,0.5,4\nn2,Q two?,A2,o2,120,0.7,3\n"
RUN_HEAD = "item_id,output,latency_ms,output_tokens,score.correctness"
SMALL_RUN = f"{RUN_HEAD}\nq1,a,100,5,1\nq2,b,200,6,0\n"
LABEL_HEAD = "item_id,model_id,reviewer,score,passed,notes"
SMALL_LABELS = f"{LABEL_HEAD}\nq1,{SOURCE},ana,4,pass,ok\nq2,{SOURCE},ana,2,fail,wrong\n"
PAIR_HEAD = "item_id,winner,metric,judge"
SMALL_PAIRS = f"{PAIR_HEAD}\nq1,B,helpfulness,j\nq2,A,helpfulness,j\n"
GOLDEN_ROWS = [
    {"id": "n1", "source_prompt": "Q one?", "ground_truth": "A1", "source_output": "o1",
     "latency_ms": 100.0},
    {"id": "n2", "source_prompt": "Q two?", "ground_truth": "A2", "source_output": "o2",
     "latency_ms": 120.0},
]


def jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def golden_json(**changes) -> str:
    rows = [dict(r) for r in GOLDEN_ROWS]
    rows[1].update(changes)
    return jsonl(rows)


def parquet(frame: pd.DataFrame | pa.Table, **options) -> bytes:
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, **options)
    return buffer.getvalue()


def golden_frame() -> pd.DataFrame:
    return pd.DataFrame(GOLDEN_ROWS)


def expanding_parquet(column: str, megabytes: int, others: dict) -> bytes:
    """A few KB on disk whose one ``column`` value decompresses to ``megabytes`` MB."""
    table = pa.table({**{k: [v] for k, v in others.items()}, column: ["p" * megabytes * MB]})
    return parquet(table, compression="zstd", compression_level=19, use_dictionary=False)


def many_row_groups(rows: int, width: int) -> bytes:
    """Rows each under the field limit that together expand past a small file limit."""
    frame = pd.DataFrame(
        {
            "id": [f"n{i}" for i in range(rows)],
            "source_prompt": ["q" * width] * rows,
            "ground_truth": ["A"] * rows,
        }
    )
    return parquet(frame, compression="zstd", use_dictionary=False, row_group_size=max(1, rows // 4))


def damaged_page() -> bytes:
    """A valid footer over a data page whose header is overwritten: the footer check passes,
    the damage shows only when the page is read."""
    data = parquet(golden_frame())
    return data[:4] + b"\x00" * 24 + data[28:]


def swap_line(content: str, number: int, old: str, new: str) -> str:
    """``content`` with ``old`` replaced once on line ``number`` (1-based)."""
    lines = content.splitlines(keepends=True)
    assert old in lines[number - 1], (number, old)
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    return "".join(lines)


# (file, kind, command, setting, content, fragments of the message)
REFUSED: list[tuple[str, str, str, str, str | bytes, list[str]]] = [
    # --- golden datasets: CSV ---
    ("golden_missing_column.csv", "golden", GOLDEN, "", "id,source_prompt\nn1,Q?\n",
     ["column 'ground_truth'", "missing required column"]),
    ("golden_wrong_type.csv", "golden", GOLDEN, "", SMALL_GOLDEN.replace("120,", "fast,"),
     ["row 2", "column 'latency_ms'", "expected a number", "'fast'"]),
    ("golden_duplicate_ids.csv", "golden", GOLDEN, "", SMALL_GOLDEN.replace("n2,", "n1,"),
     ["row 2", "column 'id'", "duplicate id 'n1'"]),
    ("golden_inf_latency.csv", "golden", GOLDEN, "", SMALL_GOLDEN.replace("120,", "inf,"),
     ["row 2", "column 'latency_ms'", "finite"]),
    ("golden_minus_infinity_latency.csv", "golden", GOLDEN, "",
     SMALL_GOLDEN.replace("100,", "-Infinity,"), ["row 1", "column 'latency_ms'"]),
    ("golden_nan_human_score.csv", "golden", GOLDEN, "",
     SMALL_GOLDEN.replace("0.7,3", "0.7,NaN"), ["row 2", "column 'human_score'", "NaN"]),
    ("golden_score_out_of_range.csv", "golden", GOLDEN, "", SMALL_GOLDEN.replace("0.7", "7"),
     ["row 2", "column 'automated_score'", "between 0 and 1"]),
    ("golden_nul_in_prompt.csv", "golden", GOLDEN, "", SMALL_GOLDEN.replace("Q two?", "Q\0two?"),
     ["row 2", "column 'source_prompt'", "NUL character"]),
    ("golden_empty.csv", "golden", GOLDEN, "", "", ["the file is empty"]),
    ("golden_header_only.csv", "golden", GOLDEN, "", GOLDEN_HEAD + "\n", ["no data rows"]),
    ("golden_latin1.csv", "golden", GOLDEN, "", SMALL_GOLDEN.replace("Q two?", "Qué?").encode("latin-1"),
     ["line 3", "0xe9", "not valid UTF-8"]),
    ("golden_utf16.csv", "golden", GOLDEN, "", SMALL_GOLDEN.encode("utf-16"),
     ["line 1", "not valid UTF-8", "save the file as UTF-8"]),
    ("golden_ragged.csv", "golden", GOLDEN, "", SMALL_GOLDEN.replace("Q two?", "Q, two?"),
     ["row 2", "expected 7 fields like the header, found 8"]),
    ("golden_field_over_limit.csv", "golden", GOLDEN, "SWITCHYARD_MAX_FIELD_KB=1",
     SMALL_GOLDEN.replace("Q two?", "x" * 2048),
     ["row 2", "column 'source_prompt'", "limit per text field", "SWITCHYARD_MAX_FIELD_KB"]),
    ("golden_over_file_limit.csv", "golden", GOLDEN, "SWITCHYARD_MAX_FILE_MB=0.0001",
     SMALL_GOLDEN, ["limit on input files", "SWITCHYARD_MAX_FILE_MB"]),
    ("golden_unknown_suffix.xlsx", "golden", GOLDEN, "", SMALL_GOLDEN,
     ["unknown file kind", "'.xlsx'", "--kind"]),
    # --- golden datasets: JSONL ---
    ("golden_truncated.jsonl", "golden", GOLDEN, "", golden_json()[:-25],
     ["line 2", "truncated"]),
    ("golden_invalid_line.jsonl", "golden", GOLDEN, "",
     golden_json().replace('"n2"', "n2"), ["line 2", "not valid JSON (Expecting value"]),
    ("golden_duplicate_key.jsonl", "golden", GOLDEN, "",
     golden_json().replace('"id": "n2"', '"id": "n2", "id": "n3"'),
     ["line 2", "duplicate key 'id'"]),
    ("golden_nested_deep.jsonl", "golden", GOLDEN, "",
     golden_json().replace('"id": "n2"', f'"deep": {NESTED}, "id": "n2"'),
     ["line 2", "levels deep", "SWITCHYARD_MAX_JSON_DEPTH"]),
    ("golden_infinity.jsonl", "golden", GOLDEN, "",
     golden_json().replace("120.0", "Infinity"), ["line 2", "column 'latency_ms'", "finite"]),
    ("golden_nan_human_score.jsonl", "golden", GOLDEN, "",
     golden_json().replace("120.0}", '120.0, "human_score": NaN}'),
     ["line 2", "column 'human_score'", "NaN"]),
    ("golden_nul_escape.jsonl", "golden", GOLDEN, "",
     golden_json().replace("Q two?", "Q\\u0000two?"),
     ["line 2", "column 'source_prompt'", "NUL character"]),
    ("golden_object_for_text.jsonl", "golden", GOLDEN, "",
     golden_json().replace('"Q two?"', '{"text": "Q two?"}'),
     ["line 2", "column 'source_prompt'", "expected text"]),
    ("golden_array_line.jsonl", "golden", GOLDEN, "", golden_json() + "[1, 2]\n",
     ["line 3", "JSON object"]),
    ("golden_latin1.jsonl", "golden", GOLDEN, "",
     golden_json().replace("Q two?", "Qué?").encode("latin-1"), ["line 2", "not valid UTF-8"]),
    ("golden_empty.jsonl", "golden", GOLDEN, "", "", ["the file is empty"]),
    # --- golden datasets: Parquet ---
    ("golden_expands.parquet", "golden", GOLDEN, "",
     expanding_parquet("source_prompt", 200, {"id": "n1", "ground_truth": "A"}),
     ["row 1", "column 'source_prompt'", "limit per text field", "SWITCHYARD_MAX_FIELD_KB"]),
    ("golden_expands_past_file_limit.parquet", "golden", GOLDEN, "SWITCHYARD_MAX_FILE_MB=1",
     many_row_groups(400, 8 * 1024), ["expands to", "limit on input files", "SWITCHYARD_MAX_FILE_MB"]),
    ("golden_truncated.parquet", "golden", GOLDEN, "",
     parquet(golden_frame())[:-40], ["not a readable Parquet file", "truncated"]),
    ("golden_not_parquet.parquet", "golden", GOLDEN, "", SMALL_GOLDEN,
     ["not a readable Parquet file"]),
    ("golden_empty.parquet", "golden", GOLDEN, "", b"", ["the file is empty", "Parquet"]),
    ("golden_no_rows.parquet", "golden", GOLDEN, "", parquet(golden_frame().iloc[:0]),
     ["no data rows"]),
    ("golden_missing_column.parquet", "golden", GOLDEN, "",
     parquet(golden_frame().drop(columns=["ground_truth"])),
     ["column 'ground_truth'", "missing required column"]),
    ("golden_wrong_type.parquet", "golden", GOLDEN, "",
     parquet(golden_frame().astype({"latency_ms": str}).assign(latency_ms=["100", "fast"])),
     ["row 2", "column 'latency_ms'", "expected a number", "'fast'"]),
    ("golden_inf_latency.parquet", "golden", GOLDEN, "",
     parquet(golden_frame().assign(latency_ms=[100.0, float("inf")])),
     ["row 2", "column 'latency_ms'", "finite"]),
    ("golden_nan_human_score.parquet", "golden", GOLDEN, "",
     # pa.array keeps NaN (pandas would write it as null)
     parquet(pa.Table.from_pandas(golden_frame()).append_column(
         "human_score", pa.array([4.0, float("nan")], from_pandas=False))),
     ["row 2", "column 'human_score'", "NaN"]),
    ("golden_duplicate_ids.parquet", "golden", GOLDEN, "",
     parquet(golden_frame().assign(id=["n1", "n1"])), ["row 2", "column 'id'", "duplicate id"]),
    ("golden_nul.parquet", "golden", GOLDEN, "",
     parquet(golden_frame().assign(ground_truth=["A", "A\0B"])),
     ["row 2", "column 'ground_truth'", "NUL character"]),
    # --- runs: native CSV, JSONL, Parquet ---
    ("run_unknown_item.csv", "run", RUN, "", SMALL_RUN.replace("q2,", "q99,"),
     ["row 2", "column 'item_id'", "'q99' is not in dataset fin@1"]),
    ("run_duplicate_ids.csv", "run", RUN, "", SMALL_RUN.replace("q2,", "q1,"),
     ["row 2", "column 'item_id'", "duplicate id 'q1'"]),
    ("run_missing_item_id.csv", "run", RUN, "", "output,score.x\na,1\n", ["column 'item_id'"]),
    ("run_inf_latency.csv", "run", RUN, "", SMALL_RUN.replace("200,", "inf,"),
     ["row 2", "column 'latency_ms'", "finite"]),
    ("run_bad_bool.csv", "run", RUN, "", "item_id,score.c,passed.c\nq1,1,maybe\n",
     ["row 1", "column 'passed.c'", "expected true/false"]),
    ("run_score_out_of_range.csv", "run", RUN, "", SMALL_RUN.replace(",5,1", ",5,1.7"),
     ["row 1", "column 'score.correctness'", "between 0 and 1"]),
    ("run_nul_output.csv", "run", RUN, "", SMALL_RUN.replace("q2,b,", "q2,b\0,"),
     ["row 2", "column 'output'", "NUL character"]),
    ("run_duplicate_key.jsonl", "run", RUN, "",
     swap_line(RUN_JSONL, 2, '"latency_ms": 610,', '"latency_ms": 610, "latency_ms": 1,'),
     ["line 2", "duplicate key 'latency_ms'"]),
    ("run_nested_deep.jsonl", "run", RUN, "",
     swap_line(RUN_JSONL, 3, '"item_id"', f'"deep": {NESTED}, "item_id"'),
     ["line 3", "levels deep"]),
    ("run_truncated.jsonl", "run", RUN, "", RUN_JSONL[:-40], ["line 6", "truncated"]),
    ("run_minus_infinity.jsonl", "run", RUN, "",
     swap_line(RUN_JSONL, 4, '"latency_ms": 630', '"latency_ms": -Infinity'),
     ["line 4", "column 'latency_ms'"]),
    ("run_nul_output.jsonl", "run", RUN, "",
     swap_line(RUN_JSONL, 1, "(target)", "(tar\\u0000get)"),
     ["line 1", "column 'output'", "NUL character"]),
    ("run_empty.jsonl", "run", RUN, "", "", ["the file is empty"]),
    ("run_over_file_limit.jsonl", "run", RUN, "SWITCHYARD_MAX_FILE_MB=0.001", RUN_JSONL,
     ["limit on input files", "SWITCHYARD_MAX_FILE_MB"]),
    ("run_unknown_item.parquet", "run", RUN, "",
     parquet(pd.DataFrame({"item_id": ["q1", "q77"], "output": ["a", "b"]})),
     ["row 2", "column 'item_id'", "'q77' is not in dataset fin@1"]),
    ("run_number_for_text.parquet", "run", RUN, "",
     parquet(pd.DataFrame({"item_id": ["q1", "q2"], "latency_ms": ["1", "slow"]})),
     ["row 2", "column 'latency_ms'", "expected a number"]),
    # --- runs: DeepEval test-run JSON ---
    ("deepeval_infinity.json", "run", RUN, "",
     DEEPEVAL.replace('"score": 0.9,', '"score": Infinity,', 1),
     ["test case 1", "finite"]),
    ("deepeval_duplicate_key.json", "run", RUN, "",
     DEEPEVAL.replace('"score": 0.9,', '"score": 0.9,\n      "score": 0.1,', 1),
     ["line 17", "duplicate key 'score'"]),
    ("deepeval_nested_deep.json", "run", RUN, "",
     DEEPEVAL.replace('"testFile":', f'"deep": {DEEP},\n  "testFile":', 1),
     ["line 3", "levels deep", "SWITCHYARD_MAX_JSON_DEPTH"]),
    ("deepeval_truncated.json", "run", RUN, "", DEEPEVAL[: len(DEEPEVAL) // 2],
     ["not valid JSON"]),
    ("deepeval_not_a_run.json", "run", RUN, "", '{"hello": 1}\n', ["testRunData"]),
    ("deepeval_empty.json", "run", RUN, "", "", ["empty"]),
    ("deepeval_field_over_limit.json", "run", RUN, "SWITCHYARD_MAX_FIELD_KB=1",
     DEEPEVAL.replace("Total revenue was $4,210.5 million.", "z" * 4096, 1),
     ["test case 1", "column 'output'", "limit per text field"]),
    ("deepeval_latin1.json", "run", RUN, "",
     DEEPEVAL.replace("Contoso", "Contosó", 1).encode("latin-1"), ["not valid UTF-8"]),
    ("deepeval_nul.json", "run", RUN, "",
     DEEPEVAL.replace("The operating margin was 12%.", "The operating\\u0000margin", 1),
     ["test case 2", "column 'output'", "NUL character"]),
    # --- runs: Ragas CSV and Parquet ---
    ("ragas_inf_score.csv", "run", RAGAS, "",
     swap_line(RAGAS_CSV, 2, ",1.0,0.6,", ",inf,0.6,"),
     ["row 1", "column 'score.faithfulness'", "finite"]),
    ("ragas_no_user_input.csv", "run", RAGAS, "",
     RAGAS_CSV.replace("user_input,", "query,", 1), ["not a Ragas table", "user_input"]),
    ("ragas_unknown_question.csv", "run", RAGAS, "",
     swap_line(RAGAS_CSV, 3, "Fabrikam Retail", "Nobody Ltd"), ["row 2", "Nobody Ltd"]),
    ("ragas_nul.csv", "run", RAGAS, "",
     swap_line(RAGAS_CSV, 2, ',"Total revenue was', ',"Total\0revenue was'),
     ["row 1", "column 'output'", "NUL character"]),
    ("ragas_expands.parquet", "run", RAGAS, "SWITCHYARD_MAX_FIELD_KB=64",
     expanding_parquet("response", 8, {"user_input": "Q?", "faithfulness": 1.0}),
     ["row 1", "column 'response'", "limit per text field"]),
    ("ragas_truncated.parquet", "run", RAGAS, "",
     (DATA / "ragas_result.parquet").read_bytes()[:-60], ["not a readable Parquet file"]),
    ("ragas_out_of_range.parquet", "run", RAGAS, "",
     parquet(pd.read_csv(io.StringIO(RAGAS_CSV)).assign(faithfulness=7.0)),
     ["row 1", "column 'score.faithfulness'", "between 0 and 1"]),
    # --- runs: Bedrock evaluation-job output ---
    ("bedrock_infinity_output.jsonl", "run", BEDROCK, "",
     AUTOMATED.replace('"result": 0.25}', '"result": Infinity}', 1), ["line 2", "finite"]),
    ("bedrock_duplicate_key_output.jsonl", "run", BEDROCK, "",
     AUTOMATED.replace('"result": 0.0}', '"result": 0.0, "result": 1.0}', 1),
     ["line 1", "duplicate key 'result'"]),
    ("bedrock_nested_deep_output.jsonl", "run", BEDROCK, "",
     AUTOMATED.replace('"inputRecord": {', f'"deep": {DEEP}, "inputRecord": {{', 1),
     ["line 1", "levels deep"]),
    ("bedrock_truncated_output.jsonl", "run", BEDROCK, "", AUTOMATED[:-30],
     ["line 6", "truncated"]),
    ("bedrock_latin1_output.jsonl", "run", BEDROCK, "",
     AUTOMATED.replace("Contoso", "Contosó", 1).encode("latin-1"),
     ["line 1", "not valid UTF-8"]),
    ("bedrock_bad_record_output.jsonl", "run", BEDROCK, "",
     AUTOMATED + '{"automatedEvaluationResult": 5}\n',
     ["line 7", "automatedEvaluationResult"]),
    ("bedrock_unknown_prompt_output.jsonl", "run", BEDROCK, "",
     AUTOMATED.replace("Fabrikam Retail", "Nobody Ltd", 1), ["line 2", "Nobody Ltd"]),
    # --- labels: CSV, JSONL, Parquet, Bedrock human evaluation ---
    ("labels_nan_score.csv", "labels", LABELS, "", SMALL_LABELS.replace(",2,fail", ",NaN,fail"),
     ["row 2", "column 'score'", "NaN"]),
    ("labels_inf_score.csv", "labels", LABELS, "", SMALL_LABELS.replace(",4,pass", ",inf,pass"),
     ["row 1", "column 'score'"]),
    ("labels_unknown_item.csv", "labels", LABELS, "", SMALL_LABELS.replace("q2,", "q42,"),
     ["row 2", "q42"]),
    ("labels_missing_reviewer.csv", "labels", LABELS, "",
     SMALL_LABELS.replace("reviewer,", "who,"), ["column 'reviewer'"]),
    ("labels_bad_passed.csv", "labels", LABELS, "", SMALL_LABELS.replace("fail,", "maybe,"),
     ["row 2", "column 'passed'"]),
    ("labels_score_off_scale.csv", "labels", LABELS, "", SMALL_LABELS.replace(",4,pass", ",9,pass"),
     ["row 1", "column 'score'"]),
    ("labels_nul_notes.csv", "labels", LABELS, "", SMALL_LABELS.replace("wrong", "wr\0ong"),
     ["row 2", "column 'notes'", "NUL character"]),
    ("labels_duplicate_label.csv", "labels", LABELS, "",
     SMALL_LABELS + f"q1,{SOURCE},ana,3,pass,again\n",
     ["row 3", "duplicate label (item, run, reviewer) 'q1 / run-", " / ana'", "first on row 1"]),
    ("labels_unknown_model.csv", "labels", LABELS, "",
     SMALL_LABELS.replace(SOURCE, "mystery.model-v1"), ["mystery.model-v1"]),
    ("labels_duplicate_key.jsonl", "labels", LABELS, "",
     f'{{"item_id":"q1","model_id":"{SOURCE}","reviewer":"a","score":3,"score":1}}\n',
     ["line 1", "duplicate key 'score'"]),
    ("labels_nan_score.jsonl", "labels", LABELS, "",
     f'{{"item_id":"q1","model_id":"{SOURCE}","reviewer":"ana","score":NaN}}\n',
     ["line 1", "column 'score'", "NaN"]),
    ("labels_nested_deep.jsonl", "labels", LABELS, "",
     f'{{"item_id":"q1","model_id":"{SOURCE}","reviewer":"a","score":3,"extra":{NESTED}}}\n',
     ["line 1", "levels deep"]),
    ("labels_wrong_type.parquet", "labels", LABELS, "",
     parquet(pd.DataFrame({"item_id": ["q1"], "model_id": [SOURCE], "reviewer": ["ana"],
                           "score": ["good"]})),
     ["row 1", "column 'score'"]),
    ("human_nan_output.jsonl", "labels", LABELS, "",
     HUMAN.replace('"modelResponseId": "0", "result": 4}', '"modelResponseId": "0", "result": NaN}', 1),
     ["line 1", "'Accuracy'", "nan"]),
    ("human_infinity_output.jsonl", "labels", LABELS, "",
     HUMAN.replace('"modelResponseId": "0", "result": 4}',
                   '"modelResponseId": "0", "result": Infinity}', 1),
     ["line 1", "'Accuracy'", "inf"]),
    ("human_duplicate_key_output.jsonl", "labels", LABELS, "",
     HUMAN.replace('"result": 4}', '"result": 4, "result": 2}', 1),
     ["line 1", "duplicate key 'result'"]),
    ("human_truncated_output.jsonl", "labels", LABELS, "", HUMAN[:-50], ["truncated"]),
    # --- pairwise verdicts ---
    ("pairwise_bad_winner.csv", "pairwise", PAIRWISE, "", SMALL_PAIRS.replace(",A,", ",C,"),
     ["row 2", "column 'winner'"]),
    ("pairwise_unknown_item.csv", "pairwise", PAIRWISE, "", SMALL_PAIRS.replace("q2,", "q55,"),
     ["row 2", "q55"]),
    ("pairwise_missing_winner.csv", "pairwise", PAIRWISE, "",
     SMALL_PAIRS.replace("winner", "outcome"), ["column 'winner'"]),
    ("pairwise_duplicate.csv", "pairwise", PAIRWISE, "", SMALL_PAIRS + "q1,A,helpfulness,j\n",
     ["row 3", "q1"]),
    ("pairwise_nul.jsonl", "pairwise", PAIRWISE, "",
     '{"item_id": "q1", "winner": "B", "explanation": "be\\u0000cause"}\n',
     ["line 1", "column 'explanation'", "NUL character"]),
    ("pairwise_empty.csv", "pairwise", PAIRWISE, "", "", ["the file is empty"]),
    ("pairwise_no_item_column.csv", "pairwise", PAIRWISE, "",
     SMALL_PAIRS.replace("item_id,", ",", 1), ["column 'item_id'", "missing required column"]),
    # --- found by the fuzzer (tests/core/importers/test_fuzz.py) ---
    ("golden_damaged_page.parquet", "golden", GOLDEN, "", damaged_page(),
     ["cannot be read", "damaged or truncated"]),
    ("ragas_unterminated_quote.csv", "run", RAGAS, "", RAGAS_CSV + '"q?,x\n',
     ["cannot be read as a Ragas CSV table"]),
    ("labels_no_item_column.csv", "labels", LABELS, "", SMALL_LABELS.replace("item_id,", "", 1)
     .replace("\nq1,", "\n").replace("\nq2,", "\n"), ["column 'item_id'", "missing required column"]),
    ("bedrock_model_not_text_output.jsonl", "run", BEDROCK, "",
     AUTOMATED.replace('"modelIdentifier": "amazon.nova-pro-v1:0"', '"modelIdentifier": true', 1),
     ["line 1", "column 'modelIdentifier'", "expected a model id (text), got True"]),
    ("golden_nul_byte_line.jsonl", "golden", GOLDEN, "", b'\x00"id": "q1", "s',
     ["line 1", "not valid JSON"]),
    ("deepeval_lone_surrogate.json", "run", RUN, "",
     DEEPEVAL.replace('"input": "What was Contoso', '"input": "\\ud800 Contoso', 1),
     ["test case 1", "column 'prompt'", "lone UTF-16 surrogate"]),
    ("run_lone_surrogate.jsonl", "run", RUN, "",
     swap_line(RUN_JSONL, 2, "(target)", "(\\ud800)"), ["line 2", "lone UTF-16 surrogate"]),
    ("bedrock_input_record_not_object_output.jsonl", "run", BEDROCK, "",
     swap_line(AUTOMATED, 2, '"inputRecord": {', '"inputRecord": [{').replace(
         '"category": "numeric_reasoning"}', '"category": "numeric_reasoning"}]', 1),
     ["line 2", "column 'inputRecord'", "expected a JSON object"]),
]

# (file, kind, command, content): files that must import. A byte-order mark is read as if
# it were absent.
ACCEPTED: list[tuple[str, str, str, str]] = [
    ("bom_golden.csv", "golden", GOLDEN, BOM + GOLDEN_CSV),
    ("bom_golden.jsonl", "golden", GOLDEN, BOM + GOLDEN_JSONL),
    ("bom_run.csv", "run", RUN, BOM + RUN_CSV),
    ("bom_run.jsonl", "run", RUN, BOM + RUN_JSONL),
    ("bom_deepeval.json", "run", RUN, BOM + DEEPEVAL),
    ("bom_ragas.csv", "run", RAGAS, BOM + RAGAS_CSV),
    ("bom_bedrock_output.jsonl", "run", BEDROCK, BOM + AUTOMATED),
    ("bom_labels.csv", "labels", LABELS, BOM + LABELS_CSV),
    ("bom_human_output.jsonl", "labels", LABELS, BOM + HUMAN),
    ("bom_pairwise.csv", "pairwise", PAIRWISE, BOM + SMALL_PAIRS),
    # A NaN judge score is "could not score" (Ragas writes one when a metric fails), read as
    # no score; a NaN human score is refused above.
    ("nan_judge_score_golden.csv", "golden", GOLDEN, SMALL_GOLDEN.replace("0.7", "NaN")),
    ("nan_judge_score_run.csv", "run", RUN, SMALL_RUN.replace(",5,1", ",5,NaN")),
    ("nan_judge_score_deepeval.json", "run", RUN,
     DEEPEVAL.replace('"score": 0.9,', '"score": NaN,', 1)),
    ("nan_judge_score_output.jsonl", "run", BEDROCK,
     AUTOMATED.replace('"result": 0.25}', '"result": NaN}', 1)),
]


def write(name: str, content: str | bytes) -> None:
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    (HERE / name).write_bytes(data)


def main() -> None:
    for old in HERE.iterdir():
        # canary_*: make_bad_canary.py's part of the corpus, with its own manifest
        if old.name not in ("make_bad.py", "__pycache__") and not old.name.startswith((".", "canary")):
            old.unlink()
    with (HERE / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["file", "kind", "command", "setting", "expect"])
        for name, kind, command, setting, content, expect in REFUSED:
            write(name, content)
            out.writerow([name, kind, command, setting, " | ".join(expect)])
    with (HERE / "accepted.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["file", "kind", "command"])
        for name, kind, command, content in ACCEPTED:
            write(name, content)
            out.writerow([name, kind, command])


if __name__ == "__main__":
    main()
