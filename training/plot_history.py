"""Training curves: loss, dev-set greedy error rate and the WER of the dev
set's real speech (beam + LM, where train.py measured it) per epoch, from
the histories train.py keeps in its checkpoints, drawn with gnuplot into a
PNG.

    /usr/bin/python3 training/plot_history.py OUT.png NAME[=CHECKPOINT] ...

NAME is a curve's title; CHECKPOINT defaults to training/work/ckpt/NAME.pt.
Epochs of a later stage (--init) continue the count of the stage before when
given as NAME=A.pt+B.pt.
"""
import os
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def history(spec):
    name, _, paths = spec.partition("=")
    paths = paths.split("+") if paths else [os.path.join(ROOT, "training", "work", "ckpt", name + ".pt")]
    rows, epoch = [], 0
    for p in paths:
        for h in torch.load(p, map_location="cpu")["state"]["history"]:
            wer = (h.get("dev_wer") or {}).get("real")  # histories before 2026-12-07 have none
            rows.append((epoch + h["epoch"], h["loss"], 100 * h["dev_cer"], "nan" if wer is None else wer))
        epoch = rows[-1][0] if rows else 0
    return name, rows


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, specs = sys.argv[1], sys.argv[2:]
    curves = [history(s) for s in specs]
    with tempfile.TemporaryDirectory() as tmp:
        loss_plots, err_plots, wer_plots = [], [], []
        for i, (name, rows) in enumerate(curves):
            data = os.path.join(tmp, f"{i}.tsv")
            with open(data, "w") as f:
                f.writelines("\t".join(map(str, row)) + "\n" for row in rows)
            loss_plots.append(f"'{data}' using 1:2 with linespoints title '{name}'")
            err_plots.append(f"'{data}' using 1:3 with linespoints title '{name}'")
            if any(row[3] != "nan" for row in rows):
                wer_plots.append(f"'{data}' using 1:4 with linespoints title '{name}'")
        panels = 3 if wer_plots else 2
        script = f"""
set terminal pngcairo size {550 * panels},420 font "sans,10"
set output '{out}'
set grid
set key top right box opaque
set xlabel "epoch"
set multiplot layout 1,{panels}
set ylabel "training CTC loss (per utterance)"
plot {", ".join(loss_plots)}
set ylabel "dev greedy error rate % (CER: characters, PER: phones)"
plot {", ".join(err_plots)}
"""
        if wer_plots:
            script += f"""set ylabel "dev WER %, real speech (default beam + LM)"
plot {", ".join(wer_plots)}
"""
        script += "unset multiplot\n"
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
