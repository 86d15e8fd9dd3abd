# Shared by the benchmark scripts: timing helpers. Source it; not a program.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}'; }
timeit() { local t0; t0=$(now); "$@" >/dev/null 2>&1; elapsed "$t0"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", a / b}'; }
