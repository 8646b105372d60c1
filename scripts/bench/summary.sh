# Sourced by the benchmarks: `summary WHAT LUNET REFERENCE RESULT GOAL`
# appends one row to the table make bench prints last ($BENCH_SUMMARY, set
# by run.sh; a benchmark run on its own prints only its own table). RESULT
# is shown as given ("4.30x", "+1.8%", "7.7 ms") and its leading number is
# checked against GOAL (">= 1.5", "<= 5", or "" for a figure without one);
# the last column says whether the goal is met.
summary() {
  [ -n "${BENCH_SUMMARY:-}" ] || return 0
  awk -v what="$1" -v l="$2" -v r="$3" -v q="$4" -v goal="$5" 'BEGIN {
    split(goal, g, " ")
    if (q == "" || q == "-") { q = "-"; state = goal == "" ? "" : "no result" }
    else if (g[1] == ">=") state = q + 0 >= g[2] ? "met" : "NOT met"
    else if (g[1] == "<=") state = q + 0 <= g[2] ? "met" : "NOT met"
    else state = ""
    printf "| %s | %s | %s | %s | %s | %s |\n", what, l, r, q, goal, state
  }' >>"$BENCH_SUMMARY"
}
