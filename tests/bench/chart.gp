# chart.gp - the benchmark's chart (gnuplot); run-bench calls it with
#   gnuplot -e "data='DIR'; out='FILE.png'" chart.gp
# Each .dat file holds "x median min max"; the bars show min to max over the runs.
set terminal pngcairo size 1600,1100 font "sans,11"
set output out
set multiplot layout 2,2 title "Reference servers on this machine (median of the runs, bars: min to max)" font "sans,14"
set key top left
set grid
set logscale x 10
set xrange [0.7:1500]
set xtics ("1" 1, "10" 10, "100" 100, "1000" 1000)
set style data yerrorlines

set title "Requests per second against concurrent connections"
set key top left
set offsets 0, 0, graph 0.3, 0   # room above the lines for the legend
set xlabel "connections"
set ylabel "requests per second"
set yrange [0:*]
plot data."/plot-rps-multiconn-server.dat" using 1:2:3:4 title "multiconn-server (select, echo)" lw 2 pt 7, \
     data."/plot-rps-libevent.dat" using 1:2:3:4 title "libevent peer (epoll, echo)" lw 2 pt 5, \
     data."/plot-rps-app-server.dat" using 1:2:3:4 title "app-server (select, one request per connection)" lw 2 pt 9

set title "p99 latency against concurrent connections"
set offsets 0, 0, 0, 0
set ylabel "p99 latency (ms)"
set logscale y 10
set yrange [*:*]
plot data."/plot-p99-multiconn-server.dat" using 1:($2/1000):($3/1000):($4/1000) title "multiconn-server" lw 2 pt 7, \
     data."/plot-p99-libevent.dat" using 1:($2/1000):($3/1000):($4/1000) title "libevent peer" lw 2 pt 5, \
     data."/plot-p99-app-server.dat" using 1:($2/1000):($3/1000):($4/1000) title "app-server" lw 2 pt 9
unset logscale y

set title "One busy connection among idle ones: server CPU per request"
set xlabel "open connections (one busy, the rest idle)"
set ylabel "server CPU time per request (µs)"
set yrange [0:*]
plot data."/plot-idle-cpu-multiconn-server.dat" using 1:2:3:4 title "multiconn-server (select)" lw 2 pt 7, \
     data."/plot-idle-cpu-libevent.dat" using 1:2:3:4 title "libevent peer (epoll)" lw 2 pt 5

set title "Bulk: 1 GiB through one connection"
set bmargin 5
unset logscale x
set xrange [-0.6:3.6]
set xlabel ""
set ylabel "MiB/s"
set yrange [0:*]
set xtics ("loopback ceiling\n(iperf3, one way)" 0, "echo-server\n(lesson 01)" 1, "multiconn-server\n(lesson 02)" 2, "libevent peer" 3)
set style fill solid 0.5 border -1
set boxwidth 0.6
set key off
plot data."/plot-bulk.dat" using 1:3 with boxes lc rgb "#4a7ab0", \
     "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0 lw 2
unset multiplot
