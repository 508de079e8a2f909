#!/bin/sh
# Guest side of the live-trace tests: runs `tristate trace` against live_load workloads and
# writes what happened, section by section, to /tmp/result (printed back by the lab).
# The host side (check_live.py) asserts it. Needs tristate, live_load and bpftool in PATH.
R=/tmp/result
: > $R
log() { echo "$@" >> $R; }

wait_file() {  # FILE SECONDS
  n=0
  while [ ! -e "$1" ] && [ $n -lt $(($2 * 10)) ]; do sleep 0.1; n=$((n + 1)); done
  [ -e "$1" ]
}

wait_line() {  # FILE PREFIX SECONDS: until FILE has a line starting with PREFIX
  n=0
  while ! grep -q "^$2" "$1" 2>/dev/null && [ $n -lt $(($3 * 10)) ]; do sleep 0.1; n=$((n + 1)); done
  grep -q "^$2" "$1" 2>/dev/null
}

start_trace() {  # NAME ARGS...: tristate trace in the background, until stop_trace
  name=$1; shift
  rm -f /tmp/ready
  tristate trace -q --json /tmp/$name.jsonl --ready-file /tmp/ready "$@" > /tmp/$name.txt 2>&1 &
  TPID=$!
  wait_file /tmp/ready 120 || log "trace $name never became ready"
}

stop_trace() {  # SIGNAL
  kill -$1 $TPID
  wait $TPID
  echo $? > /tmp/$name.exit
}

dump() {  # NAME [extra meta]
  log "=== $1"
  log "exit $(cat /tmp/$1.exit 2>/dev/null)"
  [ -n "$2" ] && log "$2"
  log "--- text"
  cat /tmp/$1.txt >> $R
  log "--- json"
  cat /tmp/$1.jsonl >> $R 2>/dev/null
  log "--- end"
}

log "kernel $(uname -r)"

# 1. `-- CMD`: the command and its forked child, nothing from a concurrent process.
live_load --seconds 6 7100 0 > /tmp/noise.out &
NOISE=$!
sleep 0.5
tristate trace --json /tmp/cmd.jsonl -- live_load --fork --exit 3 7001 3 > /tmp/cmd.txt 2>&1
echo $? > /tmp/cmd.exit
dump cmd "noise $NOISE"
tristate trace --no-fentry --json /tmp/cmdk.jsonl -- live_load --fork 7011 2 > /tmp/cmdk.txt 2>&1
echo $? > /tmp/cmdk.exit
dump cmdk "noise $NOISE"
wait $NOISE

# 2. Filters: four workloads started waiting on /tmp/go, so their pid and netns are known
# before the trace starts; each trace sees all four run.
mkdir -p /sys/fs/cgroup
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
mkdir -p /sys/fs/cgroup/lt
for c in loada loadb loadn loadc; do cp /usr/bin/live_load /tmp/$c; done

run_filter() {  # NAME FILTER-ARGS...
  fname=$1; shift
  rm -f /tmp/go
  /tmp/loada --wait /tmp/go 7201 3 > /tmp/a.out &
  A=$!
  /tmp/loadb --wait /tmp/go --fail-bind 7202 3 > /tmp/b.out &
  B=$!
  /tmp/loadn --wait /tmp/go --netns 7203 3 > /tmp/n.out &
  N=$!
  sh -c 'echo $$ > /sys/fs/cgroup/lt/cgroup.procs; exec /tmp/loadc --wait /tmp/go 7204 3' > /tmp/c.out &
  C=$!
  # each prints its netns once it is in it (and in the cgroup), then waits for /tmp/go: the
  # pid and namespace the filters name exist before the trace starts. A fixed sleep was not
  # enough on a loaded host (netns_n came out empty).
  for f in a b n c; do wait_line /tmp/$f.out "netns " 60 || log "load $f never started"; done
  NETNS_N=$(sed -n 's/^netns //p' /tmp/n.out)
  PID_B=$(sed -n 's/^pid //p' /tmp/b.out)
  eval "set -- $(echo "$@" | sed "s|@PIDB@|$PID_B|g; s|@NETNSN@|/proc/$N/ns/net|g")"
  start_trace $fname "$@"
  touch /tmp/go
  wait $A $B $N $C
  sleep 0.3
  stop_trace INT
  dump $fname "pid_a $A
pid_b $B
pid_n $N
pid_c $C
netns_n $NETNS_N
args $*"
}
run_filter f_all
run_filter f_comm --comm loada
run_filter f_pid -p @PIDB@
run_filter f_port --port 7202
run_filter f_range --port 7201-7202
run_filter f_netns --netns @NETNSN@
run_filter f_cgroup --cgroup /sys/fs/cgroup/lt
run_filter f_failed --failed-only
run_filter f_combo --comm loadb --port 7202 --failed-only
run_filter f_combo_none --comm loada --port 7202

# --failed-only after a load: every filtered-out event still takes ring space until the
# reader moves past it, so 3000 connections (~18,000 discarded records, the ring holds ~2,000)
# must not crowd out the one failure that comes after them.
start_trace f_failed_load --failed-only
live_load 7211 3000 > /dev/null
/tmp/loadb --fail-bind 7212 1 > /tmp/b.out
sleep 0.3
stop_trace INT
dump f_failed_load
run_filter f_none --port 65000

# 3. SIGINT and SIGTERM mid-stream: complete JSON Lines, exit 0, nothing left loaded.
for sig in INT TERM; do
  start_trace sig$sig
  live_load --seconds 4 7301 0 > /dev/null &
  L=$!
  sleep 1.5
  bpftool prog show > /tmp/bpftool_during_$sig.txt 2>&1
  stop_trace $sig
  bpftool prog show > /tmp/bpftool_after_$sig.txt 2>&1
  wait $L
  dump sig$sig
  log "--- bpftool during"
  cat /tmp/bpftool_during_$sig.txt >> $R
  log "--- bpftool after"
  cat /tmp/bpftool_after_$sig.txt >> $R
  log "--- end"
done

# 4. A flood into a 4 KiB ring buffer read only every 100 ms: the loss must be counted.
start_trace loss --ringbuf-kb 4 --wakeup-kb 4
live_load --seconds 3 7401 0 > /dev/null &
L=$!
wait $L
stop_trace INT
dump loss
# 5. `tristate state`: one bucket in each state (live_load --hold), snapshot by the iterator
# while a trace of the same namespace watched them being made.
rm -f /tmp/go /tmp/release
live_load --netns --wait /tmp/go --hold /tmp/release 7501 0 > /tmp/hold.out &
H=$!
wait_line /tmp/hold.out "netns " 60 || log "hold never started"  # in its namespace now
start_trace st_trace --netns /proc/$H/ns/net
touch /tmp/go
wait_line /tmp/hold.out held 60 || log "hold never held its sockets"
tristate state --netns /proc/$H/ns/net --json > /tmp/st.json 2> /tmp/st.err
echo $? > /tmp/st.exit
tristate state --netns /proc/$H/ns/net --port 7501-7502 > /tmp/st.txt 2>> /tmp/st.err
sleep 0.3
stop_trace INT
touch /tmp/release
wait $H
log "=== state"
log "exit $(cat /tmp/st.exit)"
log "--- hold"
cat /tmp/hold.out >> $R
log "--- json"
cat /tmp/st.json >> $R
log "--- text"
cat /tmp/st.txt /tmp/st.err >> $R
log "--- end"
dump st_trace

log "=== done"
