#!/usr/bin/env bash
# The main job on the built-in demo: set up (idempotent), build the appliance, make a demo
# ext4 image with mke2fs -d, then list it through a real appliance.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
"$top/scripts/setup.sh" "$build"
df="$build/bin/diskferry"

demo=$top/demo
rm -rf "$demo/tree" && mkdir -p "$demo/tree"
(
  cd "$demo/tree"
  mkdir -p etc home/alice/projects var/log srv/www
  echo demo-host >etc/hostname
  printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n' >etc/passwd
  echo "Remember: ferry the disks at dawn." >home/alice/notes.txt
  head -c 200000 /dev/urandom >home/alice/projects/data.bin
  printf '<h1>diskferry demo</h1>\n' >srv/www/index.html
  echo "boot ok" >var/log/messages
  ln -s ../../srv/www home/alice/www
  chmod 0600 etc/passwd
)
mke2fs -q -F -t ext4 -L demo -d "$demo/tree" "$demo/demo.img" 64M
echo "demo: made $demo/demo.img (ext4, from $demo/tree)"

"$df" appliance build
echo
echo "\$ diskferry ls -l demo.img:/"
"$df" ls -l "$demo/demo.img:/"
echo
echo "\$ diskferry ls -R demo.img:/"
"$df" ls -R "$demo/demo.img:/"
echo
echo "\$ diskferry cat demo.img:/home/alice/notes.txt"
"$df" cat "$demo/demo.img:/home/alice/notes.txt"
rm -rf "$demo/out" && mkdir -p "$demo/out"
echo
echo "\$ diskferry copy-out demo.img:/home demo/out"
"$df" copy-out "$demo/demo.img:/home" "$demo/out"
diff -r --no-dereference "$demo/tree/home" "$demo/out/home" && echo "demo: copied tree matches the source"
echo
echo "\$ diskferry run examples/demo.yaml   (the main job: a manifest over the demo image)"
"$df" run "$top/examples/demo.yaml" --var image="$demo/demo.img" --var out="$demo/out" \
  --report "$demo/out/run.jsonl"
echo "demo: run report in $demo/out/run.jsonl; tar listing:"
tar -tvf "$demo/out/srv.tar.zst"
