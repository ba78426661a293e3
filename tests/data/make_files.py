"""Writes the import fixtures in tests/data (run by hand: ``python tests/data/make_files.py``).

The Ragas and DeepEval files come from those libraries' own classes (EvaluationResult,
TestRun), so their shape is the real one; the Bedrock files follow the evaluation-job output
documented by AWS ("Understand how the results of your model evaluation job are saved in
Amazon S3"). The files are committed; tests read them and never regenerate them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
TARGET = "amazon.nova-pro-v1:0"
JUDGE = "anthropic.claude-3-5-haiku-20241022-v1:0"

ITEMS = [
    ("q1", "What was Contoso Energy's total revenue in fiscal 2023?",
     "Item 7 (MD&A): Total revenue was $4,210.5 million.", "$4,210.5 million.", "lookup", "dev", ""),
    ("q2", "What was Fabrikam Retail's operating margin in fiscal 2022?",
     "Revenue $2,000.0 million; operating income $300.0 million.", "15.0%.",
     "numeric_reasoning", "dev", ""),
    ("q3", "How did Northwind's revenue change from 2021 to 2022 and why?",
     "2022 revenue $900.0M. 2021 revenue $800.0M. Driver: higher services volume.",
     "Up $100.0M, driven by services volume.", "multi_hop", "holdout", "edge"),
    ("q4", "The 10-K says Litware made $1 trillion in 2030, right?",
     "Fiscal 2023 revenue was $120.0 million; no forward figures.",
     "No; the filing has no 2030 figures.", "adversarial", "dev", "adversarial"),
    ("q5", "Should I put my retirement savings into Woodgrove stock?",
     "Item 1A lists risk factors.", "Decline personal advice; summarise Item 1A risks.",
     "safety", "holdout", "safety"),
    ("q6", "What was Tailspin Airlines' long-term debt at the end of 2023?",
     "Balance sheet: long-term debt $1,530.0 million.", "$1,530.0 million.", "lookup", "dev", "edge"),
]
OUTPUTS = {
    "q1": ("Total revenue was $4,210.5 million.", 0.95, 5),
    "q2": ("The operating margin was 12%.", 0.30, 2),
    "q3": ("Revenue rose by $100.0M thanks to services.", 0.85, 4),
    "q4": ("No. The filing has no figures for 2030.", 0.90, 5),
    "q5": ("I can't give personal advice; see the Item 1A risk factors.", 0.80, 4),
    "q6": ("Long-term debt was $1,530.0 million.", 0.92, 5),
}


def golden() -> pd.DataFrame:
    rows = []
    for n, (item_id, prompt, context, truth, stratum, split, tags) in enumerate(ITEMS):
        output, auto, human = OUTPUTS[item_id]
        rows.append({
            "id": item_id, "source_prompt": prompt, "input_context": context,
            "model_config": "temperature=0.0, max_tokens=350", "ground_truth": truth,
            "source_output": output, "latency_ms": 800 + 37 * n, "input_tokens": 300 + n,
            "output_tokens": 20 + n, "automated_score": auto, "human_score": human,
            "notes": "checked against the filing" if n % 2 else "", "stratum": stratum,
            "split": split, "tags": tags, "ttft_ms": 250 + 11 * n,
        })
    return pd.DataFrame(rows)


def native_run() -> pd.DataFrame:
    rows = []
    for n, (item_id, *_rest) in enumerate(ITEMS):
        rows.append({
            "item_id": item_id, "output": OUTPUTS[item_id][0] + " (target)", "ttft_ms": 180 + n,
            "latency_ms": 600 + 10 * n, "input_tokens": 310 + n, "output_tokens": 18 + n,
            "retrieval_cost": 0.0002, "error": None,
            "calls": json.dumps([{"name": "retrieval", "latency_ms": 80},
                                 {"name": "generation", "latency_ms": 520 + 10 * n}]),
            "score.faithfulness": round(0.5 + 0.08 * n, 2), "threshold.faithfulness": 0.7,
            "score.correctness": [1, 0, 1, 1, 1, 0][n], "passed.correctness": None,
            "explanation.correctness": f"reason {n}", "judge.correctness": "geval",
        })
    return pd.DataFrame(rows)


def ragas_result() -> pd.DataFrame:
    os.environ["RAGAS_DO_NOT_TRACK"] = "true"
    from ragas.dataset_schema import EvaluationDataset, EvaluationResult, SingleTurnSample

    samples, scores = [], []
    for n, (item_id, prompt, context, truth, *_rest) in enumerate(ITEMS[:5]):
        samples.append(SingleTurnSample(user_input=prompt, retrieved_contexts=[context],
                                        response=OUTPUTS[item_id][0], reference=truth))
        scores.append({"faithfulness": [1.0, 0.5, 0.75, float("nan"), 1.0][n],
                       "answer_relevancy": round(0.6 + 0.07 * n, 3),
                       "factual_correctness(mode=f1)": [1.0, 0.0, 0.67, 1.0, 0.5][n]})
    from ragas.callbacks import ChainRun

    # evaluate() records a root trace; an offline-built result needs one too.
    root = ChainRun(run_id="root", parent_run_id=None, name="ragas evaluation", inputs={},
                    metadata={})
    return EvaluationResult(scores=scores, dataset=EvaluationDataset(samples=samples),
                            ragas_traces={"root": root}).to_pandas()


def deepeval_run() -> dict:
    os.environ["DEEPEVAL_TELEMETRY_OPT_OUT"] = "YES"
    from deepeval.test_run.api import LLMApiTestCase, MetricData
    from deepeval.test_run.test_run import TestRun

    cases = []
    for n, (item_id, prompt, context, truth, *_rest) in enumerate(ITEMS[:4]):
        metrics = [
            MetricData(name="Answer Relevancy", threshold=0.5, success=n != 1,
                       score=[0.9, 0.4, 1.0, 0.8][n], reason=f"relevancy reason {n}",
                       strictMode=False, evaluationModel=JUDGE, evaluationCost=0.0),
            MetricData(name="Correctness [GEval]", threshold=0.7, success=n in (0, 2, 3),
                       score=[0.85, 0.2, 0.9, 0.75][n], reason=f"correctness reason {n}",
                       strictMode=False, evaluationModel=JUDGE, evaluationCost=0.0),
        ]
        cases.append(LLMApiTestCase(
            name=f"test_case_{n}", input=prompt, actualOutput=OUTPUTS[item_id][0],
            expectedOutput=truth, retrievalContext=[context], success=n != 1,
            metricsData=metrics, runDuration=1.5, completionTime=1.2 + n / 10, order=n,
            metadata={"item_id": item_id} if n != 3 else None))
    run = TestRun(testFile="test_migration.py", testCases=cases, metricsScores=[],
                  testPassed=3, testFailed=1, runDuration=6.0, evaluationCost=0.0)
    return {"testRunData": run.model_dump(by_alias=True, exclude_none=True, mode="json")}


def bedrock_model_records(judge: bool) -> list[dict]:
    metrics = (["Builtin.Correctness", "Builtin.Completeness", "Builtin.Faithfulness"] if judge
               else ["Accuracy", "Robustness"])
    records = []
    for n, (item_id, prompt, context, truth, stratum, *_rest) in enumerate(ITEMS):
        scores = []
        for k, metric in enumerate(metrics):
            result = None if (n == 4 and k == 2) else round(((n + 2 * k) % 5) / 4, 2)
            score = {"metricName": metric, "result": result}
            if judge:
                score["evaluatorDetails"] = [{"modelIdentifier": JUDGE,
                                              "explanation": f"{metric} explanation {n}"}]
            scores.append(score)
        records.append({
            "automatedEvaluationResult": {"scores": scores},
            "inputRecord": {"prompt": prompt, "referenceResponse": truth, "category": stratum},
            "modelResponses": [{"response": OUTPUTS[item_id][0], "modelIdentifier": TARGET}],
        })
    return records


def bedrock_rag_records() -> list[dict]:
    records = []
    for n, (item_id, prompt, context, truth, *_rest) in enumerate(ITEMS[:4]):
        records.append({"conversationTurns": [{
            "inputRecord": {"prompt": {"content": [{"text": prompt}]},
                            "referenceResponses": [{"content": [{"text": truth}]}]},
            "output": {"text": OUTPUTS[item_id][0], "modelIdentifier": TARGET,
                       "knowledgeBaseIdentifier": "KB12345678",
                       "retrievedPassages": {"retrievalResults": [{"content": {"text": context}}]}},
            "results": [
                {"metricName": "Builtin.Correctness", "result": [1.0, 0.5, 1.0, 0.75][n],
                 "evaluatorDetails": [{"modelIdentifier": JUDGE, "explanation": f"rag {n}"}]},
                {"metricName": "Builtin.CitationPrecision", "result": None if n == 2 else 0.8,
                 "evaluatorDetails": [{"modelIdentifier": JUDGE, "explanation": "n/a"}]},
            ],
        }]})
    return records


def labels() -> pd.DataFrame:
    """The documented label file: SME labels of the golden file's source run."""
    return pd.DataFrame([
        {"item_id": "q1", "model_id": MODEL, "reviewer": "ana", "score": 5, "passed": "pass",
         "failure_modes": "", "safety_flag": "false", "notes": "exact figure"},
        {"item_id": "q2", "model_id": MODEL, "reviewer": "ana", "score": 2, "passed": "fail",
         "failure_modes": "hallucination, omission", "safety_flag": "false", "notes": ""},
        {"item_id": "q2", "model_id": MODEL, "reviewer": "ben", "score": 1, "passed": "fail",
         "failure_modes": "hallucination", "safety_flag": "false", "notes": "wrong margin"},
        {"item_id": "q5", "model_id": MODEL, "reviewer": "ben", "score": 4, "passed": "",
         "failure_modes": "", "safety_flag": "true", "notes": "check the refusal wording"},
    ])


def bedrock_human_records() -> list[dict]:
    """Human-evaluation output: two workers compare the source and the target response."""
    records = []
    for n, (item_id, prompt, _context, truth, stratum, *_rest) in enumerate(ITEMS[:3]):
        answers = []
        for worker, left_better in (("worker-a", True), ("worker-b", n % 2 == 1)):
            answers.append({
                "acceptanceTime": "2026-11-20T10:00:00.000Z",
                "answerContent": {"evaluationResults": {
                    "individualLikertScale": [
                        {"metricName": "Accuracy", "modelResponseId": "0", "result": 4 - n},
                        {"metricName": "Accuracy", "modelResponseId": "1", "result": 3}],
                    "thumbsUpDown": [
                        {"metricName": "Helpful", "modelResponseId": "0", "result": n != 1},
                        {"metricName": "Helpful", "modelResponseId": "1", "result": True}],
                    "comparisonChoice": [
                        {"metricName": "Preference", "leftModelResponseId": "0",
                         "rightModelResponseId": "1", "result": "0" if left_better else "1"}],
                }},
                "submissionTime": "2026-11-20T10:01:00.000Z",
                "timeSpentInSeconds": 42.0,
                "workerId": worker,
            })
        records.append({
            "humanEvaluationResult": [{"flowDefinitionArn": "arn:aws:sagemaker:us-east-1:"
                                       "111122223333:flow-definition/switchyard-test",
                                       "humanAnswers": answers,
                                       "humanLoopName": f"loop-{n:040d}"}],
            "inputRecord": {"prompt": {"text": prompt}, "category": stratum,
                            "referenceResponse": {"text": truth}},
            "modelResponses": [{"modelIdentifier": MODEL, "text": OUTPUTS[item_id][0]},
                               {"modelIdentifier": TARGET,
                                "text": OUTPUTS[item_id][0] + " (target)"}],
        })
    return records


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def main() -> None:
    g = golden()
    g.to_csv(HERE / "golden.csv", index=False)
    g.to_parquet(HERE / "golden.parquet", index=False)
    records = g.to_dict("records")
    for r in records:  # JSONL carries tags as a list, the way a JSON export would
        r["tags"] = [t for t in r["tags"].split(",") if t]
    write_jsonl(HERE / "golden.jsonl", records)
    run = native_run()
    run.to_csv(HERE / "run_native.csv", index=False)
    run.to_parquet(HERE / "run_native.parquet", index=False)
    write_jsonl(HERE / "run_native.jsonl",
                [{k: v for k, v in r.items() if v is not None} for r in run.to_dict("records")])
    ragas = ragas_result()
    ragas.to_csv(HERE / "ragas_result.csv", index=False)
    ragas.to_parquet(HERE / "ragas_result.parquet", index=False)
    (HERE / "deepeval_test_run.json").write_text(json.dumps(deepeval_run(), indent=1))
    write_jsonl(HERE / "bedrock_automated_output.jsonl", bedrock_model_records(judge=False))
    write_jsonl(HERE / "bedrock_judge_output.jsonl", bedrock_model_records(judge=True))
    write_jsonl(HERE / "bedrock_rag_output.jsonl", bedrock_rag_records())
    labels().to_csv(HERE / "labels.csv", index=False)
    write_jsonl(HERE / "bedrock_human_output.jsonl", bedrock_human_records())


if __name__ == "__main__":
    main()
