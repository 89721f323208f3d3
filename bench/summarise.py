#!/usr/bin/env python3
"""Medians and tables of the benchmark scripts' raw results.

  summarise.py sweep DIR      sweep_raw.jsonl, throughput_raw.jsonl, wer.tsv ->
                              sweep.tsv, sweep_<model>.tsv (for gnuplot), throughput.tsv
  summarise.py compare DIR    compare_runs.tsv -> compare.tsv, and a table on stdout
  summarise.py markdown DIR DOC
                              replaces the part of DOC between the RESULTS markers
                              with tables made from DIR
"""
import csv
import json
import os
import statistics
import sys

BEGIN = "<!-- BEGIN RESULTS: written by bench/run_all.sh, do not edit by hand -->"
END = "<!-- END RESULTS -->"

SWEEP_COLUMNS = [  # (column, path into one `asr bench --json` object)
    ("rtf", ("rtf",)),
    ("chunk_p50", ("chunk_time_ms", "p50")),
    ("chunk_p90", ("chunk_time_ms", "p90")),
    ("chunk_p99", ("chunk_time_ms", "p99")),
    ("chunk_max", ("chunk_time_ms", "max")),
    ("chunk_cpu_p50", ("chunk_cpu_ms", "p50")),
    ("chunk_cpu_p99", ("chunk_cpu_ms", "p99")),
    ("first_partial_p50", ("first_partial_latency_ms", "p50")),
    ("final_p50", ("final_latency_ms", "p50")),
    ("final_p90", ("final_latency_ms", "p90")),
    ("emission_p50", ("word_emission_latency_ms", "p50")),
    ("emission_p90", ("word_emission_latency_ms", "p90")),
    ("peak_rss_mib", ("peak_rss_mib",)),
    ("load_ms", ("load_ms",)),
]


def model_name(path):
    return os.path.basename(path).rsplit(".gguf", 1)[0]


def dig(obj, path):
    for key in path:
        obj = obj[key]
    return obj


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    return [json.loads(line) for line in open(path) if line.strip()]


def read_tsv(path):
    """Rows of a tab-separated file with a header, '#' comment lines skipped."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader((l for l in f if not l.startswith("#")), delimiter="\t"))


def write_tsv(path, header, rows, comment=None):
    with open(path, "w") as f:
        if comment:
            f.write("# %s\n" % comment)
        f.write("\t".join(header) + "\n")
        for row in rows:
            f.write("\t".join(fmt(v) for v in row) + "\n")


def fmt(v):
    if isinstance(v, float):
        return "%.6g" % v
    return str(v)


def wers(d):
    """(model name, decoder) -> WER % from wer.tsv (MODEL<TAB>DECODER<TAB>WER<TAB>
    UTTERANCES lines, no header)."""
    path = os.path.join(d, "wer.tsv")
    out = {}
    for line in open(path) if os.path.exists(path) else []:
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 3:
            out[(model_name(parts[0]), parts[1])] = float(parts[2])
    return out


def decoder_label(r):
    """What a decoder is, from one `asr bench --json` object."""
    if r["beam"] <= 1 and not r["lm"]:
        return "greedy"
    return "beam %d%s" % (r["beam"], " + LM" if r["lm"] else "")


def sweep(d):
    raw = read_jsonl(os.path.join(d, "sweep_raw.jsonl"))
    groups = {}
    for r in raw:
        groups.setdefault((model_name(r["model"]), r["chunk_ms"]), []).append(r)
    wer = wers(d)
    header = ["model", "chunk_ms", "runs", "bidirectional"] + [c for c, _ in SWEEP_COLUMNS]
    rows = []
    for (model, chunk), runs in sorted(groups.items()):
        rows.append([model, chunk, len(runs), int(runs[0]["bidirectional"])] +
                    [statistics.median(dig(r, p) for r in runs) for _, p in SWEEP_COLUMNS])
    write_tsv(os.path.join(d, "sweep.tsv"), header, rows,
              "medians over runs of `asr bench --json`; times in ms")
    for old in os.listdir(d):
        if old.startswith("sweep_") and old.endswith(".tsv"):
            os.remove(os.path.join(d, old))
    for model in sorted({r[0] for r in rows}):
        # gnuplot takes the first header field as the curve's title
        key = (model, "default")
        title = model + (" (WER %.1f%%)" % wer[key] if key in wer else "")
        write_tsv(os.path.join(d, "sweep_%s.tsv" % model),
                  [title] + [c for c, _ in SWEEP_COLUMNS],
                  [r[1:2] + r[4:] for r in rows if r[0] == model],
                  "chunk_ms in the first column; medians; times in ms")
    dec = {}
    for r in read_jsonl(os.path.join(d, "decoders_raw.jsonl")):
        dec.setdefault((model_name(r["model"]), r["decoder"]), []).append(r)
    order = {"greedy": 0, "beam8": 1, "default": 2}
    write_tsv(os.path.join(d, "decoders.tsv"),
              ["model", "decoder", "label", "runs", "wer"] + [c for c, _ in SWEEP_COLUMNS],
              [[m, k, decoder_label(v[0]), len(v), wer.get((m, k), float("nan"))] +
               [statistics.median(dig(r, p) for r in v) for _, p in SWEEP_COLUMNS]
               for (m, k), v in sorted(dec.items(), key=lambda i: (i[0][0], order.get(i[0][1], 9)))],
              "100 ms chunks; medians over runs; WER from asr eval over the whole manifest")
    tp = {}
    for r in read_jsonl(os.path.join(d, "throughput_raw.jsonl")):
        for t in r["throughput"]:
            tp.setdefault((model_name(r["model"]), t["threads"]), []).append(t)
    write_tsv(os.path.join(d, "throughput.tsv"),
              ["model", "threads", "runs", "x_realtime", "rtf"],
              [[m, t, len(v), statistics.median(x["x_realtime"] for x in v),
                statistics.median(x["rtf"] for x in v)] for (m, t), v in sorted(tp.items())],
              "100 ms chunks, a partial after each; medians over runs")


COMPARE_NUMBERS = ["wer", "cpu_s", "startup_cpu_s", "decode_cpu_s", "audio_s", "rtf",
                   "peak_rss_mib", "final_p50_ms", "final_p90_ms", "chunk_p99_ms", "chunk_cpu_p99_ms",
                   "harness_rtf"]


def compare(d):
    runs = read_tsv(os.path.join(d, "compare_runs.tsv"))
    engines = []
    for r in runs:
        if r["engine"] not in engines:
            engines.append(r["engine"])
    rows = []
    for e in engines:
        mine = [r for r in runs if r["engine"] == e]
        rows.append([e, len(mine)] + [statistics.median(float(r[k]) for r in mine)
                                      for k in COMPARE_NUMBERS])
    write_tsv(os.path.join(d, "compare.tsv"), ["engine", "runs"] + COMPARE_NUMBERS, rows,
              "medians over interleaved runs; see bench/compare_pocketsphinx.sh")
    print(compare_table(rows))


def compare_table(rows):
    lines = ["| engine | WER % | RTF: tool / harness | final latency p50 / p90 ms"
             " | 100 ms chunk p99: wall / CPU ms | peak RSS MiB | runs |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        v = dict(zip(["engine", "runs"] + COMPARE_NUMBERS, r))
        lines.append("| %s | %.1f | %.4f / %.4f | %.1f / %.1f | %.2f / %.2f | %.1f | %d |" % (
            v["engine"], v["wer"], v["rtf"], v["harness_rtf"], v["final_p50_ms"],
            v["final_p90_ms"], v["chunk_p99_ms"], v["chunk_cpu_p99_ms"], v["peak_rss_mib"],
            v["runs"]))
    if len(rows) == 2 and rows[0][COMPARE_NUMBERS.index("rtf") + 2] > 0:
        a, b = rows[0], rows[1]
        i = COMPARE_NUMBERS.index("rtf") + 2
        lines.append("")
        j = COMPARE_NUMBERS.index("harness_rtf") + 2
        lines.append("%s uses %.1fx less CPU per second of audio than %s by the tools' CPU time"
                     " (less start-up), %.1fx in the harness." % (
                         a[0], b[i] / a[i], b[0], b[j] / a[j] if a[j] else float("nan")))
    return "\n".join(lines)


def markdown(d, doc):
    out = []
    machine = open(os.path.join(d, "machine.txt")).read().strip().splitlines() \
        if os.path.exists(os.path.join(d, "machine.txt")) else []
    out.append("Measured on: " + (machine[0] if machine else "unknown") + ".  ")
    out.extend(line + ".  " for line in machine[1:])
    sw = read_tsv(os.path.join(d, "sweep.tsv"))
    cmp_rows = read_tsv(os.path.join(d, "compare.tsv"))
    wer = wers(d)

    dec = read_tsv(os.path.join(d, "decoders.tsv"))
    out.append("")
    streaming = next((m for m in STREAMING_DEFAULTS if any(r["model"] == m for r in dec)),
                     STREAMING_DEFAULTS[0])
    out.append("### Targets (%s, the default streaming model, 100 ms chunks, one thread)"
               % streaming)
    out.append("")
    out.append(targets(dec, cmp_rows, streaming))
    if dec:
        out.append("")
        out.append("### Decoders (100 ms chunks, medians of %s runs; WER over the whole manifest)"
                   % dec[0]["runs"])
        out.append("")
        out.append("| model | decoder | WER % | RTF | chunk CPU p50 / p99 ms | chunk wall p99 ms"
                   " | final p50 ms | word emission p50 / p90 ms | peak RSS MiB |")
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in dec:
            f = {k: float(v) for k, v in r.items() if k not in ("model", "decoder", "label")}
            out.append("| %s | %s%s | %s | %.4f | %.2f / %.2f | %.2f | %.1f | %.0f / %.0f | %.1f |" % (
                r["model"], r["label"], " (default)" if r["decoder"] == "default" else "",
                "-" if f["wer"] != f["wer"] else "%.1f" % f["wer"], f["rtf"], f["chunk_cpu_p50"],
                f["chunk_cpu_p99"], f["chunk_p99"], f["final_p50"], f["emission_p50"],
                f["emission_p90"], f["peak_rss_mib"]))

    out.append("")
    out.append("### Chunk size x model, default decoder (medians of %s runs)" %
               (sw[0]["runs"] if sw else "?"))
    out.append("")
    out.append("| model | WER % | chunk ms | RTF | chunk wall p50 / p99 / max ms | chunk CPU p99 ms"
               " | first partial ms | final p50 / p90 ms | word emission p50 / p90 ms"
               " | peak RSS MiB |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in sorted(sw, key=lambda r: (r["model"], int(r["chunk_ms"]))):
        m = r["model"]
        f = {k: float(v) for k, v in r.items() if k not in ("model",)}
        out.append("| %s%s | %s | %d | %.4f | %.2f / %.2f / %.2f | %.2f | %.0f | %.0f / %.0f"
                   " | %.0f / %.0f | %.1f |" % (
                       m, " (bi)" if f["bidirectional"] else "",
                       "%.1f" % wer[(m, "default")] if (m, "default") in wer else "-",
                       f["chunk_ms"], f["rtf"],
                       f["chunk_p50"], f["chunk_p99"], f["chunk_max"], f["chunk_cpu_p99"],
                       f["first_partial_p50"],
                       f["final_p50"], f["final_p90"], f["emission_p50"], f["emission_p90"],
                       f["peak_rss_mib"]))
    tp = read_tsv(os.path.join(d, "throughput.tsv"))
    if tp:
        out.append("")
        out.append("### Throughput (100 ms chunks, one stream per thread)")
        out.append("")
        out.append("| model | threads | x real time | RTF (CPU s / audio s) |")
        out.append("|---|---:|---:|---:|")
        for r in tp:
            out.append("| %s | %s | %.0f | %.4f |" % (r["model"], r["threads"],
                                                     float(r["x_realtime"]), float(r["rtf"])))
    if cmp_rows:
        out.append("")
        out.append("### asr vs PocketSphinx (same files, interleaved runs, medians)")
        out.append("")
        rows = [[r["engine"], int(r["runs"])] + [float(r[k]) for k in COMPARE_NUMBERS]
                for r in cmp_rows]
        out.append(compare_table(rows))
        extra = os.path.join(d, "compare_info.txt")
        if os.path.exists(extra):
            out.append("")
            out.extend(l.rstrip() + "  " for l in open(extra))
    out.append("")
    out.append("![latency, cost and accuracy per chunk size](bench/latency.png)")

    text = open(doc).read()
    if BEGIN not in text or END not in text:
        sys.exit("summarise.py: %s has no RESULTS markers" % doc)
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    open(doc, "w").write(head + BEGIN + "\n" + "\n".join(out) + "\n" + END + tail)


# The streaming models `asr live` and `asr bench` default to, in the CLI's order.
STREAMING_DEFAULTS = ("en-lstm-phones", "en-lstm")


def targets(dec, cmp_rows, model):
    """Targets x decoders of model at 100 ms, each cell 'value: verdict'."""
    cols = [r for r in dec if r["model"] == model]
    if not cols:
        return model + " was not measured."
    ps = [c for c in cmp_rows if c["engine"].startswith("pocketsphinx")]
    ps_rtf = float(ps[0]["harness_rtf"]) if ps else None
    lines = ["| target | " + " | ".join(
        c["label"] + (" (default)" if c["decoder"] == "default" else "") for c in cols) + " |",
        "|---|" + "---:|" * len(cols)]

    def cell(value, limit, fmt_):
        if value is None:
            return "not measured"
        if value <= limit:
            return (fmt_ + ": met") % value
        return (fmt_ + ": **missed**, %.2fx the target") % (value, value / limit)

    def row(name, key, limit, fmt_):
        lines.append("| %s | %s |" % (name, " | ".join(
            cell(float(c[key]), limit, fmt_) for c in cols)))

    lines.append("| (WER %%, whole manifest) | %s |" % " | ".join(
        "-" if c["wer"] in ("", "nan") else "%.1f" % float(c["wer"]) for c in cols))
    row("RTF <= 0.01", "rtf", 0.01, "%.4f")
    row("chunk p99 <= 2 ms, wall time", "chunk_p99", 2.0, "%.2f ms")
    row("chunk p99 <= 2 ms, CPU time", "chunk_cpu_p99", 2.0, "%.2f ms")
    row("final latency p50 <= 50 ms", "final_p50", 50.0, "%.1f ms")
    row("peak RSS <= 40 MB (38.1 MiB)", "peak_rss_mib", 40e6 / 2**20, "%.1f MiB")
    cells = []
    for c in cols:
        rtf = float(c["rtf"])
        if ps_rtf is None or rtf <= 0:
            cells.append("not measured")
        else:
            ratio = ps_rtf / rtf
            cells.append("%.0fx: %s" % (ratio, "met" if ratio >= 10 else
                                        "**missed**, %.1fx short" % (10 / ratio)))
    lines.append("| >= 10x less CPU than PocketSphinx (same harness, same files) | %s |" %
                 " | ".join(cells))
    return "\n".join(lines)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "sweep":
        sweep(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "compare":
        compare(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "markdown":
        markdown(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
