#!/usr/bin/env bash
# compare.sh runs the same benchmarks against raftcore, etcd raft v3.6.0 and
# (if its module builds) etcd raft v3.7.0, alternating the libraries inside
# every round (A B C, then C B A, ...), and prints benchstat's medians and a
# table of ratios against etcd v3.6.
#
#   bench/compare.sh                 # 8 rounds, about 3 minutes on 2 cores
#   ROUNDS=10 bench/compare.sh       # more rounds
#   SCALE=0.2 ROUNDS=2 bench/compare.sh   # a quick look (iteration counts x0.2)
#   NO37=1 bench/compare.sh          # skip etcd v3.7
#   OUT=/tmp/run bench/compare.sh    # keep raw results there (default: a temp dir)
#   OUT=/tmp/run TABLES=1 bench/compare.sh  # only print the tables of an earlier run
#
# Each benchmark group runs with a fixed iteration count (below), so every
# library does the same work per run; one run of a group is one sample.
set -euo pipefail
cd "$(dirname "$0")"

rounds=${ROUNDS:-8}
scale=${SCALE:-1}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"

# group  iterations (at SCALE=1)
groups=(
	"SingleVoter 500000"
	"Commit      40000"
	"IdleGroups  200000"
	"CatchUp     30"
	"MsgApp64    30000"
)

benchstat=$(command -v benchstat || true)
if [ -z "$benchstat" ]; then
	bin=${XDG_CACHE_HOME:-$HOME/.cache}/raftcore-bench/bin
	if [ ! -x "$bin/benchstat" ]; then
		echo "installing benchstat into $bin ..." >&2
		GOBIN=$bin GOFLAGS= go install golang.org/x/perf/cmd/benchstat@latest
	fi
	benchstat=$bin/benchstat
fi

run() {
	./gen.sh -check

	echo "building test binaries into $out ..." >&2
	# recycle is the raftcore binary with Config.RecycleMessages on.
	local libs=(raftcore recycle etcd36)
	go test -c -o "$out/raftcore.test" ./raftcore
	go test -c -o "$out/etcd36.test" ./etcd36
	if [ -z "${NO37:-}" ]; then
		if (cd etcd37 && go test -c -o "$out/etcd37.test" .); then
			libs+=(etcd37)
		else
			echo "etcd v3.7 variant does not build; comparing with v3.6 only" >&2
		fi
	fi

	for lib in "${libs[@]}"; do : >"$out/$lib.txt"; done
	start=$SECONDS
	for ((r = 1; r <= rounds; r++)); do
		order=("${libs[@]}")
		if ((r % 2 == 0)); then # reverse every other round: A B C, C B A, ...
			order=()
			for ((i = ${#libs[@]} - 1; i >= 0; i--)); do order+=("${libs[i]}"); done
		fi
		echo "round $r/$rounds (${order[*]}), $((SECONDS - start))s so far" >&2
		for g in "${groups[@]}"; do
			read -r name n <<<"$g"
			n=$(awk -v n="$n" -v s="$scale" 'BEGIN { m = int(n * s); print (m < 1 ? 1 : m) }')
			for lib in "${order[@]}"; do
				# The package line differs per library; benchstat must see one.
				bin=$lib env=0
				[ "$lib" = recycle ] && bin=raftcore env=1
				BENCH_RECYCLE=$env "$out/$bin.test" -test.run='^$' -test.bench="^Benchmark$name\$" \
					-test.benchtime="${n}x" -test.count=1 |
					sed 's#^pkg: .*#pkg: github.com/raftcore/raft/bench#' >>"$out/$lib.txt"
			done
		done
	done
	echo "benchmarks took $((SECONDS - start))s; raw results in $out" >&2
}

if [ -z "${TABLES:-}" ]; then
	run
fi

args=(etcd36="$out/etcd36.txt" raftcore="$out/raftcore.txt")
[ -s "$out/recycle.txt" ] && args+=(recycle="$out/recycle.txt")
[ -s "$out/etcd37.txt" ] && args+=(etcd37="$out/etcd37.txt")
"$benchstat" "${args[@]}" | tee "$out/benchstat.txt"

# The ratio table: benchstat's medians, each library over etcd v3.6.
echo
echo "Ratios of medians against etcd v3.6 (time, bytes, allocs: lower is better; entries/s: higher is better)"
"$benchstat" -format csv "${args[@]}" 2>/dev/null | awk -F, '
	function pr(a, b) { return (b == 0) ? (a == 0 ? "1.00" : "inf") : sprintf("%.2f", a / b) }
	/^,/ && $2 != "" && $3 == "" && hdr == 0 { # config names
		nc = 0
		for (i = 2; i <= NF; i++) if ($i != "") { col[++nc] = i; cname[nc] = $i }
		hdr = 1; next
	}
	hdr == 1 { unit = $2; scale = 1; hdr = 2
		if (unit ~ /sec\/op$/) { sub(/sec\/op$/, "ns/op", unit); scale = 1e9 }
		if (!printed) {
			printf "%-40s %-12s", "benchmark", "unit"
			for (k = 1; k <= nc; k++) printf " %12s", cname[k]
			for (k = 2; k <= nc; k++) printf " %16s", cname[k] "/" cname[1]
			printf "\n"; printed = 1
		}
		next
	}
	hdr == 2 && $0 == "" { hdr = 0; next }
	hdr == 2 && $1 != "geomean" && $1 != "" {
		printf "%-40s %-12s", $1, unit
		for (k = 1; k <= nc; k++) printf " %12.4g", $(col[k]) * scale
		for (k = 2; k <= nc; k++) printf " %16s", pr($(col[k]), $(col[1]))
		printf "\n"
	}
' | tee "$out/ratios.txt"

# Issue 6's targets, read off the ratio table (wall clock and CPU time), for
# raftcore's defaults and for raftcore with RecycleMessages.
for lib in raftcore recycle; do
	grep -q "$lib/etcd36" "$out/ratios.txt" || continue
	echo
	echo "Issue 6 targets ($lib against etcd v3.6; medians of this run)"
	awk -v lib="$lib" '
	NR == 1 { for (i = 1; i <= NF; i++) if ($i == lib "/etcd36") rc = i; for (i = 1; i <= NF; i++) if ($i == lib) vc = i; next }
	{ r[$1 " " $2] = $rc; v[$1 " " $2] = $vc }
	function check(what, key, op, want,    got, ok) {
		if (!(key in r)) return
		got = r[key]
		ok = (op == "<=") ? (got <= want) : (got >= want)
		printf "  %-50s %-18s %6s  (want %s %s)  %s\n", what, substr(key, index(key, " ") + 1), got, op, want, ok ? "met" : "MISSED"
	}
	END {
		for (b = 1; b <= 64; b *= 64) {
			k = "SingleVoter/batch=" b "-2"
			check("single voter, batch " b ": time", k " ns/op", "<=", 0.6)
			check("single voter, batch " b ": time", k " cpu-ns/op", "<=", 0.6)
			printf "  %-50s %-18s %6s  (want <= 1)  %s\n", "single voter, batch " b ": allocs per proposal", "allocs/op", v[k " allocs/op"], (v[k " allocs/op"] <= 1) ? "met" : "MISSED"
			k = "Commit/voters=3/batch=" b "/marshal=false-2"
			check("three voters, batch " b ": commit throughput", k " entries/s", ">=", 1.5)
			check("three voters, batch " b ": time per entry (1/1.5)", k " cpu-ns/op", "<=", 0.67)
		}
		check("idle groups: tick cost per group", "IdleGroups-2 ns/op", "<=", 0.33)
		check("idle groups: tick cost per group", "IdleGroups-2 cpu-ns/op", "<=", 0.33)
		check("idle groups: heap per group", "IdleGroups-2 heapB/group", "<=", 0.5)
		check("catch-up: time (1/1.5)", "CatchUp-2 ns/op", "<=", 0.67)
		check("catch-up: time (1/1.5)", "CatchUp-2 cpu-ns/op", "<=", 0.67)
	}
	' "$out/ratios.txt"
done
