# The plots of docs/performance.md: time and peak memory of a `storage batch` of N small writes
# against N, for every shipped provider and the peers, from the data bench_storage writes.
# usage: gnuplot -e "data='bulk.dat'; outdir='plots'" tests/bench/plot_bulk.gp
set terminal svg size 900,560 dynamic enhanced font "sans,13" background rgb "white"
set key top left box opaque
set grid
set logscale x 10
set xrange [0.8:130000]
set xlabel "documents written (one storage batch; the peers: cp -r then sync -f, one SQLite transaction)"
set format x "10^{%L}"
set datafile missing "NaN"
array PT[6] = [5, 7, 9, 11, 2, 6]

set output outdir."/bulk-time.svg"
set title "Time to write N small documents durably (median, whole processes)"
set ylabel "milliseconds (log scale)"
set logscale y 10
plot for [i=1:6] data using 1:(column(2*i)) with linespoints lw 2 pt PT[i] title columnheader(2*i)

set output outdir."/bulk-memory.svg"
set title "Peak memory while writing N small documents"
set ylabel "peak RSS, MiB (log scale)"
plot for [i=1:6] data using 1:(column(2*i+1)) with linespoints lw 2 pt PT[i] title columnheader(2*i+1)
