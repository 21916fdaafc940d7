#!/bin/sh
# Checks that every plugin shared library exports exactly bourse_plugin_entry_v1
# and carries its SONAME. Usage: ./check-exports.sh [debug|release] (after swift build).
set -eu
cd "$(dirname "$0")"
config="${1:-debug}"
status=0
for name in csv-bars ema rsi csv-export indicator-set prometheus codec file lean synthetic failover sqlite html-report; do
    lib=".build/$config/libbourse-$name.so"
    if [ ! -f "$lib" ]; then echo "missing $lib (run swift build -c $config)"; status=1; continue; fi
    # Defined symbols with global binding (upper-case type letter); gold keeps some
    # LOCAL entries in .dynsym, which are not exported and are ignored here.
    exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[A-Z]$/ {print $3}')
    soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
    if [ "$exported" = "bourse_plugin_entry_v1" ] && [ "$soname" = "libbourse-$name.so.1" ]; then
        echo "ok   $lib  soname=$soname  exports=$exported"
    else
        echo "FAIL $lib  soname=$soname  exports=$(echo $exported)"
        status=1
    fi
done
exit $status
