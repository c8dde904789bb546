#!/usr/bin/python3
"""tests/cluster/k8s_manifest_test.py ACTORLAB SOURCE_ROOT: the shipped
Kubernetes manifests (scripts/cluster/suite-indexed-job.yaml,
suite-merge-job.yaml) as far as a machine without a cluster can check them.
Guards: a manifest that is not YAML; an Indexed Job whose pods would not get
exclusive CPUs (not Guaranteed QoS: requests != limits, or CPUs not whole);
completions, parallelism and --shards that disagree; an index that never
reaches actorlab (JOB_COMPLETION_INDEX not declared for $(...) expansion);
a merge reading another folder than the shards are written to; an actorlab
command line in them that no longer parses.
The commands run here with the image's paths mapped onto this build: every
index's `actorlab suite ... --list-cells` with JOB_COMPLETION_INDEX set (the
shards together are the suite's cells, each once), and the merge command on
two real shards of a tiny suite. Needs python3-yaml. Exit 0 pass, 1 fail."""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def docs(path):
    try:
        with open(path) as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        fail(f"{path}: not YAML: {e}")


def only(items, what):
    if len(items) != 1:
        fail(f"expected one {what}, found {len(items)}")
    return items[0]


def check_guaranteed(container, where):
    res = container.get("resources", {})
    req, lim = res.get("requests", {}), res.get("limits", {})
    for key in ("cpu", "memory"):
        if key not in req or str(req.get(key)) != str(lim.get(key)):
            fail(f"{where}: {key} requests {req.get(key)!r} != limits {lim.get(key)!r}: not Guaranteed QoS")
    if not re.fullmatch(r"[1-9][0-9]*", str(req["cpu"])):
        fail(f"{where}: cpu {req['cpu']!r} is not a whole number of CPUs: the static CPU Manager gives no "
             "exclusive CPUs")


def expand(arg, env, root, results):
    """An argument of the manifest with $(VAR) expanded and the image's paths mapped here."""
    arg = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], arg)
    return arg.replace("/opt/actorlab/build/bench/actorlab", env["ACTORLAB"]).replace(
        "/opt/actorlab/", root + "/").replace("/results", results)


def main():
    actorlab, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    job_docs = docs(os.path.join(root, "scripts", "cluster", "suite-indexed-job.yaml"))
    merge_docs = docs(os.path.join(root, "scripts", "cluster", "suite-merge-job.yaml"))
    pvc = only([d for d in job_docs if d.get("kind") == "PersistentVolumeClaim"], "PersistentVolumeClaim")
    if "ReadWriteMany" not in pvc["spec"].get("accessModes", []):
        fail("the results volume is not ReadWriteMany: pods on several nodes cannot all write it")
    job = only([d for d in job_docs if d.get("kind") == "Job"], "Job in suite-indexed-job.yaml")
    spec = job["spec"]
    if spec.get("completionMode") != "Indexed":
        fail(f"completionMode is {spec.get('completionMode')!r}, not Indexed")
    n = spec.get("completions")
    if not isinstance(n, int) or n < 1 or spec.get("parallelism") != n:
        fail(f"completions {n!r} and parallelism {spec.get('parallelism')!r} must be one whole number")
    pod = spec["template"]["spec"]
    if pod.get("restartPolicy") != "Never":
        fail("restartPolicy must be Never (a retried shard would run its cells twice)")
    anti = pod.get("affinity", {}).get("podAntiAffinity", {}).get("requiredDuringSchedulingIgnoredDuringExecution")
    if not anti or anti[0].get("topologyKey") != "kubernetes.io/hostname":
        fail("no required pod anti-affinity on kubernetes.io/hostname: two shards could share a node")
    container = only(pod["containers"], "container in the Indexed Job")
    check_guaranteed(container, "the suite container")
    index_env = [e for e in container.get("env", []) if e.get("name") == "JOB_COMPLETION_INDEX"]
    path = index_env and index_env[0].get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
    if path != "metadata.annotations['batch.kubernetes.io/job-completion-index']":
        fail(f"JOB_COMPLETION_INDEX is not declared from the completion-index annotation: {path!r}")
    command = container["command"] + container.get("args", [])
    if f"--shards={n}" not in command:
        fail(f"the suite command {command} has no --shards={n} (completions)")
    claim = pod["volumes"][0]["persistentVolumeClaim"]["claimName"]
    if claim != pvc["metadata"]["name"]:
        fail(f"the Job mounts claim {claim!r}, the manifest declares {pvc['metadata']['name']!r}")
    merge = only([d for d in merge_docs if d.get("kind") == "Job"], "Job in suite-merge-job.yaml")
    merge_pod = merge["spec"]["template"]["spec"]
    merge_container = only(merge_pod["containers"], "container in the merge Job")
    check_guaranteed(merge_container, "the merge container")
    if merge_pod["volumes"][0]["persistentVolumeClaim"]["claimName"] != claim:
        fail("the merge Job mounts another volume than the suite Job")
    out = next(a for a in command if a.startswith("--out="))[len("--out="):]
    shard_glob = re.sub(r"\$\(JOB_COMPLETION_INDEX\)", "*", out)
    merge_command = merge_container["command"]
    if shard_glob not in merge_command[-1]:
        fail(f"the merge reads {merge_command[-1]!r}, the shards are written to {shard_glob!r}")

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, ACTORLAB=actorlab)
        env.pop("SLURM_ARRAY_TASK_ID", None)
        # Every index's cells: the suite's, each once.
        whole = subprocess.run([expand(a, env, root, tmp) for a in command[:3]] + ["--list-cells"],
                               capture_output=True, text=True, env=env, timeout=60)
        seen = []
        for i in range(n):
            env_i = dict(env, JOB_COMPLETION_INDEX=str(i))
            argv = [expand(a, env_i, root, tmp) for a in command] + ["--list-cells"]
            r = subprocess.run(argv, capture_output=True, text=True, env=env_i, timeout=60)
            if r.returncode != 0 or f"shard {i}/{n} (JOB_COMPLETION_INDEX={i}" not in r.stderr:
                fail(f"index {i}: {argv} exit {r.returncode}: {r.stderr[-1000:]}")
            seen += r.stdout.split()
        if whole.returncode != 0 or sorted(seen) != sorted(whole.stdout.split()):
            fail(f"the {n} pods' cells ({len(seen)}) are not the suite's ({len(whole.stdout.split())}), each once")

        # The merge command on two real shards of a tiny suite, where the Job writes them.
        suite = os.path.join(tmp, "tiny.toml")
        with open(suite, "w") as f:
            f.write('repetitions = 1\n[matrix]\npolicy = "steal"\n'
                    '[[workload]]\nname = "pingpong"\ncount = 2000\n[[workload]]\nname = "ring"\ncount = 5000\n')
        for i in range(2):
            env_i = dict(env, JOB_COMPLETION_INDEX=str(i))
            r = subprocess.run([actorlab, "suite", suite, "--shards=2", "--out=" + expand(out, env_i, root, tmp)],
                               capture_output=True, text=True, env=env_i, timeout=120)
            if r.returncode != 0:
                fail(f"tiny shard {i}: exit {r.returncode}: {r.stderr[-1000:]}")
        argv = [expand(a, env, root, tmp) for a in merge_command]
        r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
        merged = os.path.join(os.path.dirname(expand(out, dict(env, JOB_COMPLETION_INDEX="0"), root, tmp)),
                              "merged.json")
        if r.returncode != 0 or not os.path.exists(merged):
            fail(f"the merge command {argv}: exit {r.returncode}: {r.stderr[-1000:]}")
        with open(merged) as f:
            names = sorted(b["name"] for b in json.load(f)["benchmarks"])
        if names != ["pingpong/policy:steal/threads:2", "ring/policy:steal/threads:2"]:
            fail(f"merged names {names}")
    print(f"ok: Indexed Job of {n} Guaranteed pods, every cell once; the merge command joins the shards")
    return 0


if __name__ == "__main__":
    sys.exit(main())
