# Latency, cost and accuracy per chunk size, one curve per model, from the
# sweep_<model>.tsv files of bench/sweep.sh (their first header field is the
# curve's title, with the model's WER). Usage: gnuplot -e "dir='bench/results'" bench/sweep.gp
if (!exists("dir")) dir = "bench/results"
files = system("ls " . dir . "/sweep_*.tsv 2>/dev/null")
if (words(files) == 0) { print "sweep.gp: no sweep_*.tsv in " . dir; exit }

set terminal pngcairo size 1500,520 font "sans,10"
set output dir . "/latency.png"
set datafile separator "\t"
set datafile commentschars "#"
set key top left box opaque
set logscale x
set xtics ("10" 10, "20" 20, "50" 50, "100" 100, "200" 200, "500" 500, "1000" 1000)
set xlabel "chunk of audio per call (ms)"
set grid
set multiplot layout 1,3 title "asr bench over chunk sizes (medians of runs)"

# Columns: 1 chunk_ms, 2 rtf, 3-6 chunk wall time p50/p90/p99/max, 7-8 chunk
# CPU time p50/p99, 9 first partial p50, 10-11 final p50/p90, 12-13 word
# emission p50/p90, 14 peak RSS, 15 load.
set title "time to process one chunk: p50 (line), p50-p99 (band), max (+);\nCPU time p99 (dashed)"
set logscale y
set ylabel "ms per chunk"
plot for [i=1:words(files)] word(files, i) using 1:3:5 with filledcurves \
         fs transparent solid 0.15 noborder lc i notitle, \
     for [i=1:words(files)] word(files, i) using 1:3 with linespoints lc i pt 7 \
         title columnheader(1), \
     for [i=1:words(files)] word(files, i) using 1:6 with points lc i pt 1 notitle, \
     for [i=1:words(files)] word(files, i) using 1:8 with lines lc i dt 2 notitle, \
     x lc rgb "gray" dt 2 title "chunk length: must stay below"

# Linear: a word can show before the alignment says it ends (negative).
set title "word emission latency: p50 (line), p50-p90 (band);\nfinal latency p50 (dotted)"
unset logscale y
set ylabel "ms after the word ends in the audio"
plot for [i=1:words(files)] word(files, i) using 1:12:13 with filledcurves \
         fs transparent solid 0.15 noborder lc i notitle, \
     for [i=1:words(files)] word(files, i) using 1:12 with linespoints lc i pt 7 \
         title columnheader(1), \
     for [i=1:words(files)] word(files, i) using 1:10 with lines lc i dt 3 lw 2 notitle

set title "CPU cost: RTF on one thread, partials after every chunk"
set logscale y
set ylabel "CPU s per audio s"
set format y "%g"
plot for [i=1:words(files)] word(files, i) using 1:2 with linespoints lc i pt 7 \
         title columnheader(1)
unset multiplot
