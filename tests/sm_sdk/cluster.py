"""A real local cluster for the Service Management tests: fabric-coordinator
and N fabric-node processes on loopback (like tests/integration/process_harness.hpp).
Children die with the test process (PR_SET_PDEATHSIG). Use it as a context
manager: `with Cluster(...) as cluster:` removes its directory when the block
succeeds and keeps the logs when it raises."""

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

SUBSCRIPTION = "4e1c5a2b-0d5f-4f3e-9a61-2b7c8d9e0f11"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def wait_until(pred, timeout=30.0, every=0.1, what="condition"):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() >= deadline:
            raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(every)


class Cluster:
    def __init__(self, bin_dir, nodes=3, subscription=SUBSCRIPTION, capacity=10):
        self.bin_dir = bin_dir
        self.dir = tempfile.mkdtemp(prefix="fabric-sm-")
        self.api_port = free_port()
        self.zmq = "tcp://127.0.0.1:%d" % free_port()
        self.url = "http://127.0.0.1:%d" % self.api_port
        self.subscription = subscription
        self.procs = []
        self.ok = False
        args = [os.path.join(bin_dir, "fabric-coordinator"),
                "--nodes-listen", self.zmq,
                "--api-listen", "127.0.0.1:%d" % self.api_port,
                "--data-dir", os.path.join(self.dir, "coordinator"),
                # No failure is injected here: a 2 s detection timeout keeps a
                # loaded machine (2 cores, other tests) from declaring nodes down.
                "--heartbeat-ms", "200", "--missed-heartbeats", "10",
                "--phase-ms", "create_vm=20,start_vm=20,start_role=20",
                "--seed", "7"]
        if subscription is not None:
            args += ["--subscription-id", subscription]
        self._spawn(args, "coordinator.log")
        wait_until(lambda: self._get("/fabric/v1/nodes") is not None, 15, what="the coordinator API")
        for i in range(nodes):
            name = "n%d" % i
            self._spawn([os.path.join(bin_dir, "fabric-node"),
                         "--coordinator", self.zmq, "--fault-domain", str(i), "--name", name,
                         "--data-dir", os.path.join(self.dir, name), "--heartbeat-ms", "200",
                         "--missed-heartbeats", "10",
                         "--capacity", str(capacity), "--instance-host", "127.0.0.1"],
                        name + ".log")
        if nodes:
            wait_until(lambda: sum(n["state"] == "up"
                                   for n in self._get("/fabric/v1/nodes")["nodes"]) == nodes,
                       15, what="%d nodes up" % nodes)

    def _spawn(self, args, log):
        out = open(os.path.join(self.dir, log), "ab")
        self.procs.append(subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                           preexec_fn=_die_with_parent))

    def _get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=3) as r:
                return json.loads(r.read())
        except Exception:
            return None

    def fabric_get(self, path):
        """GET on the coordinator's JSON API (cross-checks)."""
        return self._get(path)

    def ctl(self, *args):
        """Runs fabricctl; returns (exit code, stdout + stderr)."""
        p = subprocess.run([os.path.join(self.bin_dir, "fabricctl"), "--coordinator", self.url]
                           + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=120)
        return p.returncode, p.stdout.decode()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        """Closes the cluster; its logs are kept when the block raised."""
        self.ok = exc_type is None
        self.close()
        return False

    def close(self):
        for p in reversed(self.procs):
            p.kill()
            p.wait()
        if self.ok:
            for root, dirs, _ in os.walk(self.dir):
                for d in dirs:
                    try:
                        os.chmod(os.path.join(root, d), 0o700)
                    except OSError:
                        pass
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("logs kept in", self.dir)
