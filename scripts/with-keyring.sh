#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a throwaway, unlocked
# gnome-keyring: a real Secret Service for the keychain tests, isolated from
# the user's own keyring. Needs apt packages dbus and gnome-keyring.
set -euo pipefail
for tool in dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || { echo "with-keyring: $tool not found (apt-get install dbus gnome-keyring)" >&2; exit 1; }
done
exec dbus-run-session -- bash -c '
  set -euo pipefail
  export HOME="$(mktemp -d)"
  # An empty password makes gnome-keyring ask a GUI prompt; any fixed one unlocks silently.
  printf "genwatch-test-keyring" | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
  exec "$@"
' with-keyring "$@"
