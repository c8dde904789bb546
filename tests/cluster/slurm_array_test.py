#!/usr/bin/python3
"""tests/cluster/slurm_array_test.py ACTORLAB SOURCE_ROOT: the quick suite
sharded by a real Slurm. Guards: shards that overlap or miss cells when a
scheduler runs them, a task that reads the array variables wrongly (arrays
from 0 and from 1), the shipped batch scripts (scripts/cluster/) not working
under sbatch, and a merge that loses or duplicates entries.

Starts its own munged, slurmctld and slurmd (Debian's slurm-wlm and munge;
scripts/setup installs them) on localhost in a temporary folder: a fresh
munge key, free ports, one node with this machine's CPUs,
ProctrackType=proctrack/linuxproc and TaskPlugin=task/affinity (no cgroups,
no systemd: the daemons run in the foreground as children of this test and
are stopped at the end, pass or fail). Then:
  1. the unsharded quick suite (--repetitions=1 --warmup=0), run here;
  2. scripts/cluster/slurm_submit --shards=3 --wait: a 3-task array of
     slurm_suite.sbatch, and slurm_merge.sbatch after it (afterok);
  3. every shard names its index from SLURM_ARRAY_TASK_ID, and the merge
     holds exactly the unsharded run's benchmark names, each entry once;
  4. an array 1-3 with --list-cells: task k lists the cells of --shard=k-1/3.
Runs as root here (SlurmUser = SlurmdUser = the current user). Exit 0 pass,
1 fail."""
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


START = time.monotonic()


def step(what):
    print(f"[{time.monotonic() - START:5.1f} s] {what}", flush=True)


def fail(why, tmp=None):
    print("FAIL: " + why)
    if tmp:
        for log in sorted(glob.glob(os.path.join(tmp, "log", "*")) + glob.glob(os.path.join(tmp, "*.out"))):
            with open(log, errors="replace") as f:
                print(f"--- {log} (last 40 lines)\n" + "".join(f.readlines()[-40:]))
    sys.exit(1)


def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def write_config(tmp, user, host, cpus):
    ctld_port, node_port = free_ports(2)
    conf = os.path.join(tmp, "slurm.conf")
    with open(conf, "w") as f:
        f.write(f"""ClusterName=actorlabtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={node_port}
SlurmUser={user}
SlurmdUser={user}
AuthType=auth/munge
AuthInfo=socket={tmp}/munge/socket
CredType=cred/munge
StateSaveLocation={tmp}/state
SlurmdSpoolDir={tmp}/spool
SlurmctldPidFile={tmp}/slurmctld.pid
SlurmdPidFile={tmp}/slurmd.pid
SlurmctldLogFile={tmp}/log/slurmctld.log
SlurmdLogFile={tmp}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SlurmctldDebug=info
SlurmdDebug=info
NodeName=actorlabnode NodeHostname={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=test Nodes=actorlabnode Default=YES MaxTime=INFINITE State=UP
""")
    return conf


class Daemons:
    """munged, slurmctld and slurmd as children; stop() ends them (SIGTERM, then SIGKILL)."""

    def __init__(self, tmp, env):
        self.procs = []
        self.tmp = tmp
        self.env = env

    def start(self, name, argv):
        log = open(os.path.join(self.tmp, "log", name + ".out"), "w")
        self.procs.append((name, subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env)))

    def check_alive(self):
        for name, p in self.procs:
            if p.poll() is not None:
                fail(f"{name} exited with status {p.returncode}", self.tmp)

    def stop(self):
        for _, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for _, p in reversed(self.procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def run(argv, tmp, env, timeout, what):
    r = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp, timeout=timeout)
    if r.returncode != 0:
        fail(f"{what}: exit {r.returncode}\nstdout: {r.stdout[-3000:]}\nstderr: {r.stderr[-3000:]}", tmp)
    return r


def names_of(path):
    with open(path) as f:
        doc = json.load(f)
    return doc, [b["name"] for b in doc["benchmarks"]]


def main():
    actorlab = os.path.abspath(sys.argv[1])
    root = os.path.abspath(sys.argv[2])
    suite = os.path.join(root, "bench", "suites", "quick.toml")
    flags = ["--repetitions=1", "--warmup=0"]
    for tool in ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "sinfo"):
        if shutil.which(tool) is None and not os.path.exists("/usr/sbin/" + tool):
            fail(f"{tool} not found: scripts/setup installs slurm-wlm and munge")
    tmp = tempfile.mkdtemp(prefix="actorlab-slurm-")
    os.chmod(tmp, 0o755)
    for sub in ("munge", "state", "spool", "log", "results"):
        os.makedirs(os.path.join(tmp, sub))
    os.chmod(os.path.join(tmp, "munge"), 0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_") and k != "JOB_COMPLETION_INDEX"}
    env["SLURM_CONF"] = write_config(tmp, env.get("USER") or subprocess.check_output(["id", "-un"], text=True).strip(),
                                     subprocess.check_output(["hostname", "-s"], text=True).strip(),
                                     os.cpu_count() or 1)
    env["ACTORLAB"] = actorlab
    env["PATH"] = env.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin"
    daemons = Daemons(tmp, env)
    try:
        # 1. The unsharded run, before the daemons start.
        unsharded = os.path.join(tmp, "unsharded.json")
        run([actorlab, "suite", suite, *flags, "--out=" + unsharded], tmp, env, 120, "the unsharded run")
        _, want = names_of(unsharded)

        step("unsharded run done; starting munged, slurmctld, slurmd")
        key = os.path.join(tmp, "munge", "munge.key")
        run(["mungekey", "--create", "--keyfile=" + key, "--force"], tmp, env, 30, "mungekey")
        daemons.start("munged", ["munged", "--foreground", "--force", "--key-file=" + key,
                                 "--socket=" + os.path.join(tmp, "munge", "socket"),
                                 "--pid-file=" + os.path.join(tmp, "munge", "pid"),
                                 "--log-file=" + os.path.join(tmp, "log", "munged.log"),
                                 "--seed-file=" + os.path.join(tmp, "munge", "seed")])
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(tmp, "munge", "socket")):
            daemons.check_alive()
            if time.monotonic() > deadline:
                fail("munged did not create its socket", tmp)
            time.sleep(0.1)
        daemons.start("slurmctld", ["slurmctld", "-D", "-f", env["SLURM_CONF"]])
        daemons.start("slurmd", ["slurmd", "-D", "-f", env["SLURM_CONF"], "-N", "actorlabnode"])
        deadline = time.monotonic() + 60
        while True:
            daemons.check_alive()
            r = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=env)
            if r.returncode == 0 and r.stdout.strip() == "idle":
                break
            if time.monotonic() > deadline:
                fail(f"the node never became idle: {r.stdout!r} {r.stderr!r}", tmp)
            time.sleep(0.5)

        step("node idle; submitting the array and the merge")
        # 2. The array and the dependent merge, as a user submits them.
        results = os.path.join(tmp, "results")
        r = run([os.path.join(root, "scripts", "cluster", "slurm_submit"), "--shards=3", "--wait",
                 results, suite, *flags], tmp, env, 240, "slurm_submit --shards=3 --wait")
        folder = r.stdout.strip().splitlines()[-1]
        shards = sorted(glob.glob(os.path.join(folder, "shard-*.json")))
        if [os.path.basename(p) for p in shards] != ["shard-0.json", "shard-1.json", "shard-2.json"]:
            fail(f"shard files in {folder}: {os.listdir(folder)}", tmp)

        # 3. Each shard knows where its index came from; the merge is the unsharded set.
        seen = []
        for i, path in enumerate(shards):
            doc, names = names_of(path)
            block = doc["context"].get("actorlab_shard", {})
            if (block.get("index"), block.get("count"), block.get("source")) != (i, 3, "SLURM_ARRAY_TASK_ID"):
                fail(f"{path}: actorlab_shard {block}")
            if block.get("env", {}).get("SLURM_ARRAY_TASK_ID") != str(i):
                fail(f"{path}: the variables read: {block.get('env')}")
            seen += names
        merged_path = os.path.join(folder, "merged.json")
        if not os.path.exists(merged_path):
            fail("the merge job wrote no merged.json", tmp)
        merged, got = names_of(merged_path)
        if sorted(seen) != sorted(want) or len(set(seen)) != len(seen):
            fail(f"the shards' cells are not the suite's, each once: {len(seen)} names, {len(set(seen))} distinct, "
                 f"{len(want)} wanted; missing {sorted(set(want) - set(seen))[:5]}")
        if set(got) != set(want) or len(got) != len(want):
            fail(f"the merge has {len(got)} entries ({len(set(got))} names), the unsharded run {len(want)}; "
                 f"missing {sorted(set(want) - set(got))[:5]}, extra {sorted(set(got) - set(want))[:5]}")
        if not merged["context"]["actorlab_merge"].get("complete"):
            fail(f"the merge is not marked complete: {merged['context']['actorlab_merge']}")

        step("merge checked; an array 1-3 with --list-cells")
        # 4. An array from 1: task k runs the cells of --shard=k-1/3.
        lists = os.path.join(tmp, "lists")
        run(["sbatch", "--wait", "--array=1-3", "--output=" + os.path.join(tmp, "list-%a.out"),
             os.path.join(root, "scripts", "cluster", "slurm_suite.sbatch"), lists, suite, "--list-cells"],
            tmp, env, 120, "sbatch --array=1-3 ... --list-cells")
        for k in (1, 2, 3):
            with open(os.path.join(tmp, f"list-{k}.out")) as f:
                listed = [line.strip() for line in f if "/" in line and not line.startswith("actorlab")]
            r = run([actorlab, "suite", suite, f"--shard={k - 1}/3", "--list-cells"], tmp, env, 30, "--list-cells")
            if listed != r.stdout.split():
                fail(f"array task {k} listed {listed[:3]}..., --shard={k - 1}/3 lists {r.stdout.split()[:3]}...", tmp)
    finally:
        daemons.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"ok: 3 Slurm array tasks ran {len(want)} cells, merged = the unsharded run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
