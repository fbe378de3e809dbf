#!/usr/bin/env bash
# The keys: of the config file rebind the real dashboard's keys: quit moves
# from q and F10 to x, the function-key bar shows it there, and q and F10
# then do nothing.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux

ps=$(ps_bin peerscope)
port=$(free_port)
mkdir -p "$XDG_CONFIG_HOME/peerscope"
cat >"$XDG_CONFIG_HOME/peerscope/config.yaml" <<YAML
keys:
  quit: x
clusters:
  - name: lab
    consul:
      address: 127.0.0.1:$port
YAML

plan 4

tmux_start 100 24 "$ps"
tmux_expect ' x ?Quit$' 10 "the bar shows quit on its new key"
tmux_keys q
tmux_expect 'key q does nothing here' 5 "q no longer quits"
tmux_keys F10
tmux_expect 'key F10 does nothing here' 5 "nor does F10"
tmux_keys x
tmux_expect '^\[exited\] 0$' 5 "x quits with status 0"
