#!/bin/bash
# The three ways lunet installs, each checked in a scratch tree and undone:
# make install/uninstall (DESTDIR), luarocks make/remove (a --tree), and the
# Debian package (built from a clean clone, installed with apt-get, removed).
# The last one needs root (it installs into the system) and is skipped
# without it. Run by `make test-install` (.ci/run).
cd "$(dirname "$0")/../.." || exit 1
passed=0 failed=0 skipped=0
ok() {
  if [ "$1" = 0 ]; then passed=$((passed + 1)); echo "ok - $2"
  else failed=$((failed + 1)); echo "not ok - $2"; fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The README's tour as a script (the lua block under "## A tour").
tour() { awk '/^## A tour/ { on = 1; next } on && /^```lua/ { go = 1; next }
              go && /^```/ { exit } go' "$1"; }
files_under() { find "$1" -type f | sort; }

# 1. make install DESTDIR=... PREFIX=/usr, then make uninstall.
d="$tmp/destdir"
make -s install DESTDIR="$d" PREFIX=/usr >"$tmp/install.log" 2>&1
ok $? "make install DESTDIR PREFIX=/usr" || tail -20 "$tmp/install.log"
for f in usr/bin/lunet usr/lib/lua/5.4/lunet.so usr/share/doc/lunet/api.md \
         usr/share/lunet/scripts/bn_compare.lua usr/share/lunet/scripts/lib/seed.lua; do
  [ -f "$d/$f" ]; ok $? "installs /$f"
done
out=$("$d/usr/bin/lunet" -e 'print(lunet.zeros(2):sum() == 0)' 2>&1)
[ "$out" = true ]; ok $? "the installed executable runs ($out)"
out=$(LUA_CPATH="$d/usr/lib/lua/5.4/?.so" lua5.4 -e 'require "lunet".help("Linear")' 2>&1)
grep -q '^lunet\.Linear(in, out \[, opts\])$' <<<"$out"; ok $? "lua5.4 finds lunet.help(\"Linear\") in it"
make -s uninstall DESTDIR="$d" PREFIX=/usr >/dev/null 2>&1
ok $? "make uninstall"
left=$(files_under "$d")
[ -z "$left" ]; ok $? "make uninstall leaves no file"
[ -z "$left" ] || echo "$left"
[ ! -e "$d/usr/share/lunet" ] && [ ! -e "$d/usr/share/doc/lunet" ]
ok $? "make uninstall removes lunet's directories"

# 2. luarocks make into a tree of its own, then luarocks remove.
rt="$tmp/rocks"
lr() { luarocks --lua-version 5.4 "$@" --tree "$rt"; }
lr make lunet-*.rockspec >"$tmp/luarocks.log" 2>&1
ok $? "luarocks make" || tail -20 "$tmp/luarocks.log"
out=$(eval "$(luarocks --lua-version 5.4 path --tree "$rt")"
      lua5.4 -e 'local l = require "lunet"; print(l.zeros(2))' 2>&1)
grep -q 'lunet.Tensor of size 2' <<<"$out"; ok $? "lua5.4 requires lunet with luarocks path"
[ -x "$rt/bin/lunet" ] && "$rt/bin/lunet" -e 'assert(lunet.zeros(1))'
ok $? "luarocks installs the lunet executable"
lr remove lunet >>"$tmp/luarocks.log" 2>&1
ok $? "luarocks remove lunet"
left=$(files_under "$rt" | grep -v '/lib/luarocks/rocks-5.4/manifest$')
[ -z "$left" ]; ok $? "luarocks remove leaves only luarocks' manifest"
[ -z "$left" ] || echo "$left"

# 3. The Debian package.
if [ "$(id -u)" != 0 ]; then
  skipped=$((skipped + 1)); echo "skip - the Debian package (needs root to install)"
else
  git clone -q . "$tmp/deb/lunet" && git -C "$tmp/deb/lunet" checkout -q "$(git rev-parse HEAD)"
  (cd "$tmp/deb/lunet" && dpkg-buildpackage -us -uc -b) >"$tmp/deb.log" 2>&1
  ok $? "dpkg-buildpackage -us -uc -b on a clean clone" || tail -20 "$tmp/deb.log"
  deb=$(ls "$tmp"/deb/lunet_*_amd64.deb 2>/dev/null | head -1)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$tmp/apt.log" 2>&1
  ok $? "apt-get install ./$(basename "$deb")" || tail -20 "$tmp/apt.log"
  out=$(env -i PATH=/usr/bin:/bin lunet -e 'print(lunet.zeros(2))' 2>&1)
  grep -q 'lunet.Tensor of size 2' <<<"$out"; ok $? "lunet -e runs with no environment"
  out=$(env -i PATH=/usr/bin:/bin lua5.4 -e 'require "lunet"; print("ok")' 2>&1)
  [ "$out" = ok ]; ok $? "lua5.4 -e 'require \"lunet\"' with no environment"
  zcat /usr/share/doc/lunet/README.md.gz | tour /dev/stdin >"$tmp/tour.lua"
  [ -s "$tmp/tour.lua" ]; ok $? "the installed README has its tour"
  (cd "$tmp" && env -i PATH=/usr/bin:/bin lua5.4 -e 'lunet = require "lunet"' tour.lua \
    >"$tmp/tour.out" 2>&1)
  ok $? "the installed README's tour runs under lua5.4" || tail -5 "$tmp/tour.out"
  grep -Eq 'cost [0-9.]+ -> [0-9.]+' "$tmp/tour.out"; ok $? "  ...and trains"
  (cd "$tmp" && env -i PATH=/usr/bin:/bin lunet /usr/share/lunet/scripts/bn_compare.lua \
    --steps 6 --no-window --out "$tmp/bnc" >"$tmp/bnc.log" 2>&1)
  ok $? "the installed bn_compare.lua runs" || tail -5 "$tmp/bnc.log"
  DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq lunet >>"$tmp/apt.log" 2>&1
  ok $? "apt-get remove lunet"
  left=$(ls /usr/bin/lunet /usr/lib/lua/5.4/lunet.so /usr/share/lunet /usr/share/doc/lunet \
         2>/dev/null)
  [ -z "$left" ]; ok $? "apt-get remove leaves nothing of lunet"
  [ -z "$left" ] || echo "$left"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
