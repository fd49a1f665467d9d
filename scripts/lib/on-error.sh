# Sourced by every set-up script: a failing step says what failed, where and with which
# exit code, instead of ending the run with a bare `exit 1` (set -e stops silently).
# shellcheck shell=bash
set -E
_govcloud_on_error() {
  local rc=$1 cmd=$2 src=$3 line=$4
  printf '%s: step failed (exit %s) at %s:%s: %s\n' "$(basename "$0")" "$rc" "$src" "$line" "$cmd" >&2
}
trap '_govcloud_on_error $? "$BASH_COMMAND" "${BASH_SOURCE[0]}" "$LINENO"' ERR
