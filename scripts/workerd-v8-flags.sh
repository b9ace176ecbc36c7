#!/bin/sh
# workerd with V8 flags, for Miniflare (MINIFLARE_WORKERD_PATH): scripts/selfhost.mjs points
# Miniflare here when it has flags to give (see scripts/workerd-v8-flags.mjs for why).
# Miniflare starts workerd with the config on stdin; this adds SYSOP_V8_FLAGS to it, then
# execs the real binary (SYSOP_WORKERD_BIN) with the same arguments, so Miniflare's pid,
# control pipe (fd 3) and output streams are workerd's own.
set -eu
: "${SYSOP_WORKERD_BIN:?SYSOP_WORKERD_BIN must name the workerd binary}"
config="$(mktemp "${TMPDIR:-/tmp}/sysop-workerd-config.XXXXXX")"
trap 'rm -f "$config"' EXIT
"${SYSOP_NODE:-node}" "$(dirname "$0")/workerd-v8-flags.mjs" > "$config"
# stdin becomes the patched config; the file goes as soon as it is open.
exec 0< "$config"
rm -f "$config"
trap - EXIT
exec "$SYSOP_WORKERD_BIN" "$@"
