"""Training curves: loss and dev-set greedy error rate per epoch, from the
histories train.py keeps in its checkpoints, drawn with gnuplot into a PNG.

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
            rows.append((epoch + h["epoch"], h["loss"], 100 * h["dev_cer"]))
        epoch = rows[-1][0] if rows else 0
    return name, rows


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, specs = sys.argv[1], sys.argv[2:]
    curves = [history(s) for s in specs]
    with tempfile.TemporaryDirectory() as tmp:
        loss_plots, err_plots = [], []
        for i, (name, rows) in enumerate(curves):
            data = os.path.join(tmp, f"{i}.tsv")
            with open(data, "w") as f:
                f.writelines(f"{e}\t{loss}\t{err}\n" for e, loss, err in rows)
            loss_plots.append(f"'{data}' using 1:2 with linespoints title '{name}'")
            err_plots.append(f"'{data}' using 1:3 with linespoints title '{name}'")
        script = f"""
set terminal pngcairo size 1100,420 font "sans,10"
set output '{out}'
set grid
set key top right box opaque
set xlabel "epoch"
set multiplot layout 1,2
set ylabel "training CTC loss (per utterance)"
plot {", ".join(loss_plots)}
set ylabel "dev greedy error rate % (CER: characters, PER: phones)"
plot {", ".join(err_plots)}
unset multiplot
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
