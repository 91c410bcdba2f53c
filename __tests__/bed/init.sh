#!/bin/bash
# PID 1 of a bed's pid namespace (see bed.ts). Runs `node inside.mjs <ctl-dir>` and, like any init,
# reaps orphans: the daemons that the snap and systemctl doubles start detached are re-parented
# here, and bash's SIGCHLD handler waits for any child. When inside.mjs exits, so does this, and
# the kernel kills whatever is left in the namespace.
cd /
# A background job's stdin would be /dev/null: hand inside.mjs the lifeline pipe explicitly.
exec 3<&0
"$@" <&3 3<&- &
main=$!
exec 3<&-
status=0
while kill -0 "$main" 2>/dev/null; do
  wait "$main"
  status=$?
done
exit "$status"
