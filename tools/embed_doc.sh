#!/bin/sh
# Writes a text file as a C string, so the REPL's help() is compiled from
# docs/api.md, the API reference the README points to (one source).
# usage: tools/embed_doc.sh docs/api.md > build/gen/api_doc.c
set -e
[ -r "$1" ] || { echo "usage: $0 file" >&2; exit 2; }
printf '/* Generated from %s by tools/embed_doc.sh; do not edit. */\n' "$1"
printf 'const char lunet_api_doc[] =\n'
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' -e 's/^/  "/' -e 's/$/\\n"/' "$1"
printf '  "";\n'
