#!/usr/bin/env bash
# Merging shard reports: `diskferry report merge` over SHARDS reports of FILES file records
# each, written in RunReport's own form (compact JSON, one record per line), as a sharded
# night's tasks leave them. Prints the wall time, CPU time and peak memory of the merge,
# and checks that the merged file records are the shards' own, byte for byte.
# libguestfs has nothing to compare with: it has no reports to merge.
# Usage: benchmarks/shard_merge.sh [SHARDS] [FILES] [DISKFERRY]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
shards=${1:-3}
files=${2:-400000}
df=${3:-${BUILD_DIR:-$top/build}/bin/diskferry}
work=$(mktemp -d /var/tmp/dfmerge.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 - "$work" "$shards" "$files" <<'PY'
import json, sys
work, shards, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dump = lambda o: json.dumps(o, separators=(",", ":")) + "\n"
division = [[f"job{i}"] for i in range(shards)]
for i in range(shards):
    with open(f"{work}/shard-{i}.jsonl", "w") as f:
        f.write(dump({"record": "shard", "index": i, "count": shards, "manifest": "m.yaml",
                      "manifest_sha256": "a" * 64, "vars_sha256": "b" * 64,
                      "division": division, "report": "shard-{shard}.jsonl"}))
        for k in range(files):
            f.write(dump({"record": "file", "job": f"job{i}",
                          "path": f"srv/d{k // 1000}/f{k}", "type": "file", "size": 4096,
                          "mode": "100644", "uid": 0, "gid": 0,
                          "mtime_ns": 1700000000000000000, "hashes": {"sha256": "ab" * 32},
                          "status": "ok"}))
        f.write(dump({"record": "job", "job": f"job{i}", "kind": "extract", "status": "ok",
                      "files": files, "bytes": files * 4096, "skipped": 0, "errors": 0,
                      "started": "2026-12-07T01:00:00.000Z",
                      "ended": "2026-12-07T02:00:00.000Z"}))
        f.write(dump({"record": "run", "status": "complete", "tool_version": "0",
                      "manifest_sha256": "a" * 64, "host": f"node{i}",
                      "started": "2026-12-07T01:00:00.000Z",
                      "ended": "2026-12-07T02:00:00.000Z",
                      "jobs": [{"job": f"job{i}", "status": "ok"}],
                      "shard": {"index": i, "count": shards}}))
PY
cd "$work"
size=$(du -cb shard-*.jsonl | tail -1 | cut -f1)
/usr/bin/time -f "%e %U %S %M" -o time.txt "$df" report merge shard-*.jsonl -o run.jsonl >/dev/null
read -r real user sys rss <time.txt
in_order=()
for ((i = 0; i < shards; i++)); do in_order+=("shard-$i.jsonl"); done
cmp <(grep -v '^{"record":"run"' run.jsonl) \
  <(cat "${in_order[@]}" | grep -v '^{"record":"\(run\|shard\)"') ||
  { echo "shard_merge: the merged records differ from the shards'" >&2; exit 1; }
echo "report merge: $shards shards x $files file records ($((size >> 20)) MiB):" \
  "${real} s wall, ${user} s user, ${sys} s system, peak RSS ${rss} KiB"
