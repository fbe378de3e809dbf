#!/usr/bin/env bash
# The README's quick start runs ./peerscope --demo from the build tree
# without installing it: a program at the top of its build tree also finds
# the source tree's themes, after the user's folder and the installed one;
# a copy of the program elsewhere does not.
. "$top_srcdir/tests/e2e/lib.sh"
need_tmux

ps=$(ps_bin peerscope)
src=$(cd "$top_srcdir" && pwd)
user="$XDG_CONFIG_HOME/peerscope/themes"
mkdir -p "$user"
# One cluster whose Consul refuses connections: the dashboard starts at once.
# The terminal is wide enough for the whole message with long build paths
# (make distcheck builds deep inside the tree).
printf 'clusters:\n  - name: c1\n    consul:\n      address: http://127.0.0.1:1\n' >"$PS_TMP/c.yaml"

plan 6

status() { tmux_capture | tail -2 | head -1; }

tmux_start 1000 24 "$ps" --config "$PS_TMP/c.yaml" --theme nosuch
tmux_wait_for 'not found \(looked in' 5
line=$(status)
ok "printf '%s' '$line' | grep -Fq '(looked in $user, ' &&
    printf '%s' '$line' | grep -Fq ', $src/themes)'" \
	"a theme not found: looked in the user's folder, the installed one, then the source tree's themes"

# Completion lists the source tree's themes, and they load.
tmux_keys : t h e m e Space h i g h - Tab
if tmux_wait_for '^:theme high-contrast$' 5; then pass "completion offers the source tree's themes"; else
	fail "completion offers the source tree's themes" "$(tmux_capture | tail -3)"; fi
tmux_keys Enter
if tmux_wait_for '^ theme high-contrast$' 5; then pass "a shipped theme loads from the source tree"; else
	fail "a shipped theme loads from the source tree" "$(tmux_capture | tail -3)"; fi

# The user's folder still comes first.
printf 'name: mine\ndescription: the user'"'"'s light\nroles:\n  ok: {fg: green}\n' >"$user/light.yaml"
tmux_keys : t h e m e Space l i g h t Enter
if tmux_wait_for '^ theme mine$' 5; then pass "the user's theme of the same name wins"; else
	fail "the user's theme of the same name wins" "$(tmux_capture | tail -3)"; fi
tmux_keys q
tmux_wait_for '^\[exited\]' 5
tmux_stop

# A copy of the program outside the build tree: no source folder.
mkdir -p "$PS_TMP/bin"
cp "$ps" "$PS_TMP/bin/peerscope"
tmux_start 1000 24 "$PS_TMP/bin/peerscope" --config "$PS_TMP/c.yaml" --theme nosuch
tmux_wait_for 'not found \(looked in' 5
line=$(status)
unlike "$line" "$src/themes" "a program outside its build tree does not look in the source tree"
like "$line" "^ using the default theme: theme \"nosuch\": error: not found \(looked in [^,]+, [^,]+\)$" \
	"it looks in the user's folder and the installed one only"
