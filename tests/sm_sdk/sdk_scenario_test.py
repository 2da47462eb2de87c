"""The real Python SDK (azure-servicemanagement-legacy, from PyPI) drives a real
local cluster (fabric-coordinator + 3 fabric-node processes) through the
Service Management facade, over plain HTTP, with the guestbook sample
(samples/guestbook: WebFront x10 + Worker x4, 5 upgrade domains). Every
returned object is asserted, every status code exactly. Reboot and reimage
are checked by their outcome on the instance's disks: a marker on the OS disk
and one in local storage, written and read through the instance's own port
(node/README.md), before and after (reboot: both kept, and the port closed in
between; reimage: OS disk back to the base image, local storage kept). The
server is the C++ coordinator; Python is only the client.

Usage: sdk_scenario_test.py BIN_DIR REPO_ROOT
"""

import base64
import http.client
import json
import os
import re
import sys
import time

import requests
from azure.common import AzureConflictHttpError, AzureMissingResourceHttpError
from azure.servicemanagement import ServiceManagementService

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, wait_until  # noqa: E402

BIN_DIR, ROOT = sys.argv[1], sys.argv[2]
SAMPLE = os.path.join(ROOT, "samples", "guestbook")
SVC = "gb"
DEP = "gb-dep1"


def read(path):
    with open(path, "rb") as f:
        return f.read()


CSCFG = read(os.path.join(SAMPLE, "ServiceConfiguration.cscfg")).decode()
CSCFG_SCALED = CSCFG.replace('<Instances count="10" />', '<Instances count="12" />')
assert CSCFG_SCALED != CSCFG


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode()


def step(msg):
    print("--", msg, flush=True)


def sdk(cluster):
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment
    sms = ServiceManagementService(subscription_id=cluster.subscription,
                                   request_session=session,
                                   host="127.0.0.1:%d" % cluster.api_port)
    # Plain HTTP through the SDK's public filter API.
    def plain_http(request, next_filter):
        request.protocol_override = "http"
        return next_filter(request)
    return sms.with_filter(plain_http)


def wait_op(sms, result, timeout=120):
    assert result is not None and re.fullmatch(r"[0-9a-f]{32}", result.request_id), result
    op = sms.wait_for_operation_status(result.request_id, timeout=timeout, sleep_interval=0.2,
                                       progress_callback=None, success_callback=None)
    assert op.status == "Succeeded", vars(op)
    assert op.http_status_code == "200", vars(op)
    assert op.error is None, vars(op)
    return op


def expect_http_error(fn, cls, status):
    try:
        fn()
    except cls as e:
        assert e.status_code == status, (e.status_code, str(e))
        return str(e)
    raise AssertionError("expected %s (%d)" % (cls.__name__, status))


def fabric_versions(cluster, slot):
    d = cluster.fabric_get("/fabric/v1/services/%s/deployments/%s" % (SVC, slot))
    return {i["name"]: i["version"] for i in d["instances"]}


def check_instances(dep, web, worker, status=None):
    """Role instances: names, UD = index mod 5 per role, FDs from 3 nodes."""
    insts = list(dep.role_instance_list)
    names = sorted(i.instance_name for i in insts)
    expected = sorted(["WebFront_IN_%d" % k for k in range(web)]
                      + ["Worker_IN_%d" % k for k in range(worker)])
    assert names == expected, names
    fds = set()
    for i in insts:
        role, idx = i.instance_name.split("_IN_")
        assert i.role_name == role
        assert i.instance_upgrade_domain == int(idx) % 5, (i.instance_name, i.instance_upgrade_domain)
        assert i.instance_fault_domain in (0, 1, 2), i.instance_fault_domain
        assert i.instance_size == "Small"
        if role == "WebFront":
            fds.add(i.instance_fault_domain)
        if status is not None:
            assert i.instance_status == status, (i.instance_name, i.instance_status)
    assert len(fds) >= 2, fds  # a role is spread over fault domains
    return insts


def check_ready_endpoints(dep):
    """ReadyRole instances: Started, IpAddress = the host the node serves the
    instance on, LocalPort = its port (it answers HTTP there)."""
    ports = set()
    for i in dep.role_instance_list:
        assert i.instance_status == "ReadyRole", (i.instance_name, i.instance_status)
        assert i.power_state == "Started", i.power_state
        assert i.ip_address == "127.0.0.1", i.ip_address
        if i.role_name == "Worker":
            # Only an internal endpoint: no InstanceEndpoints element.
            assert i.instance_endpoints is None, i.instance_endpoints
            continue
        eps = list(i.instance_endpoints)
        assert len(eps) == 1
        ep = eps[0]
        assert ep.name == "http" and ep.protocol == "http" and ep.public_port == "80", vars(ep)
        port = int(ep.local_port)
        assert port > 0 and port not in ports, port
        ports.add(port)
        # The instance answers on that port: healthy, and it is this instance
        # (the node's id: "<deployment>.<instance>").
        status, body = instance_http(i.ip_address, port, "GET", "/health")
        assert status == 200, (i.instance_name, status, body)
        assert json.loads(body) == {"instance_id": "%s.%s" % (dep.name, i.instance_name),
                                    "state": "ReadyRole"}, body


def instance_http(host, port, method, path, body=None, conn=None):
    """One request on the instance's own port (on `conn` when given, kept
    open); returns (status, body bytes)."""
    c = conn or http.client.HTTPConnection(host, port, timeout=5)
    c.request(method, path, body=body)
    resp = c.getresponse()
    data = resp.read()
    if conn is None:
        c.close()
    return resp.status, data


def instance_address(sms, name):
    """(ip, port) of a WebFront instance, from Get Deployment."""
    d = sms.get_deployment_by_name(SVC, DEP)
    inst = [i for i in d.role_instance_list if i.instance_name == name]
    assert len(inst) == 1, name
    return inst[0].ip_address, int(list(inst[0].instance_endpoints)[0].local_port)


# The instance's two disks through the node's agent routes (node/README.md):
# the OS disk (base image + the instance's layer) and local storage "cache".
DISKS = ("os", "local/cache")


def write_markers(sms, name):
    """A marker file on each disk of `name`; returns {disk: content}."""
    ip, port = instance_address(sms, name)
    markers = {}
    for disk in DISKS:
        content = ("%s marker of %s" % (disk, name)).encode()
        status, body = instance_http(ip, port, "PUT", "/disk/%s/markers/m.txt" % disk, content)
        assert status == 200, (disk, status, body)
        assert json.loads(body)["bytes"] == len(content), body
        markers[disk] = content
    back = read_markers(sms, name)
    assert back == {d: (200, c) for d, c in markers.items()}, back
    return markers


def read_markers(sms, name):
    """{disk: (status, body)} for each marker: (200, content) when the file is
    there, (404, "missing") when the disk says it does not exist."""
    ip, port = instance_address(sms, name)
    out = {}
    for disk in DISKS:
        status, body = instance_http(ip, port, "GET", "/disk/%s/markers/m.txt" % disk)
        if status == 404:
            assert "no such file or directory" in json.loads(body)["error"], body
            body = "missing"
        out[disk] = (status, body)
    return out


def base_image_file(sms, name):
    """(status, body) of a file of the base image, seen through the OS disk."""
    ip, port = instance_address(sms, name)
    return instance_http(ip, port, "GET", "/disk/os/app/VERSION")


def wait_all_ready(sms, slot, count):
    def ready():
        d = sms.get_deployment_by_slot(SVC, slot)
        insts = list(d.role_instance_list)
        return d if len(insts) == count and all(i.instance_status == "ReadyRole" for i in insts) else None
    return wait_until(ready, 60, 0.2, "every instance ReadyRole")


def scenario(cluster):
    step("images and packages (fabricctl)")
    for v in ("v1", "v2"):
        rc, out = cluster.ctl("image", "upload", "gb-" + v, os.path.join(SAMPLE, "image-" + v))
        assert rc == 0, out
    csdef = os.path.join(SAMPLE, "ServiceDefinition.csdef")
    pkg_file = os.path.join(cluster.dir, "guestbook-v2.json")
    rc, out = cluster.ctl("package", "create", "guestbook-v1", "--csdef", csdef, "--image", "gb-v1")
    assert rc == 0 and "package guestbook-v1 created: image gb-v1" in out, out
    rc, out = cluster.ctl("package", "create", "guestbook-v2", "--csdef", csdef, "--image", "gb-v2",
                          "--output-file", pkg_file)
    assert rc == 0, out
    doc = json.loads(read(pkg_file))
    assert doc["format"] == "fabric-package/1" and doc["image"] == "gb-v2", doc
    rc, out = cluster.ctl("--output", "json", "package", "list")
    names = [p["name"] for p in json.loads(out)["packages"]]
    assert rc == 0 and names == ["guestbook-v1", "guestbook-v2"], out
    rc, out = cluster.ctl("package", "create", "bad", "--csdef", csdef, "--image", "no-such-image")
    assert rc == 1 and "unknown image 'no-such-image'" in out, out
    rc, out = cluster.ctl("package", "create", "bad", "--csdef", "/nonexistent.csdef", "--image", "gb-v1")
    assert rc == 2, out

    sms = sdk(cluster)

    step("list (empty), create hosted service, 404 for an unknown one")
    assert list(sms.list_hosted_services()) == []
    wait_op(sms, sms.create_hosted_service(SVC, label="Guestbook", description="R&D guestbook",
                                           location="West US"))
    services = list(sms.list_hosted_services())
    assert [s.service_name for s in services] == [SVC]
    props = services[0].hosted_service_properties
    assert props.label == "Guestbook" and props.description == "R&D guestbook", vars(props)
    assert props.location == "West US" and props.status == "Created", vars(props)
    expect_http_error(lambda: sms.get_hosted_service_properties("no-such-service"),
                      AzureMissingResourceHttpError, 404)
    expect_http_error(lambda: sms.create_hosted_service(SVC, label="again", location="West US"),
                      AzureConflictHttpError, 409)

    step("create a deployment in staging (not started)")
    wait_op(sms, sms.create_deployment(SVC, "Staging", DEP, "guestbook-v1", "v1", b64(CSCFG),
                                       start_deployment=False))
    d = sms.get_deployment_by_slot(SVC, "staging")
    assert d.name == DEP and d.deployment_slot == "Staging", (d.name, d.deployment_slot)
    assert d.status == "Suspended" and d.label == "v1", (d.status, d.label)
    assert d.configuration == CSCFG, d.configuration
    assert re.fullmatch(r"[0-9a-f]{32}", d.private_id), d.private_id
    assert d.upgrade_status is None and d.upgrade_domain_count == "5"
    assert d.locked is False and d.rollback_allowed is False
    assert sorted(r.role_name for r in d.role_list) == ["WebFront", "Worker"]
    for i in check_instances(d, 10, 4, "StoppedVM"):
        assert i.power_state == "Stopped"
    by_name = sms.get_deployment_by_name(SVC, DEP)
    assert by_name.name == DEP and len(by_name.role_instance_list) == 14
    detail = sms.get_hosted_service_properties(SVC, embed_detail=True)
    assert [x.name for x in detail.deployments] == [DEP]
    assert len(detail.deployments[0].role_instance_list) == 14

    step("start it (Running, every instance ReadyRole with its endpoint)")
    wait_op(sms, sms.update_deployment_status(SVC, DEP, "Running"))
    d = sms.get_deployment_by_slot(SVC, "Staging")
    assert d.status == "Running", d.status
    check_instances(d, 10, 4, "ReadyRole")
    check_ready_endpoints(d)
    assert set(fabric_versions(cluster, "staging").values()) == {"gb-v1"}

    step("upgrade, Manual mode, walking each UD")
    wait_op(sms, sms.upgrade_deployment(SVC, DEP, "Manual", "guestbook-v2", b64(CSCFG), "v2",
                                        False))
    d = sms.get_deployment_by_name(SVC, DEP)
    u = d.upgrade_status
    assert u is not None and u.upgrade_type == "Manual", vars(u) if u else None
    assert u.current_upgrade_domain_state == "Before" and u.current_upgrade_domain == "0", vars(u)
    assert d.label == "v2" and d.locked is True and d.rollback_allowed is True
    step("a second mutation during the walk is refused (409)")
    expect_http_error(lambda: sms.change_deployment_configuration(SVC, DEP, b64(CSCFG_SCALED)),
                      AzureConflictHttpError, 409)
    expect_http_error(lambda: sms.upgrade_deployment(SVC, DEP, "Auto", "guestbook-v1", b64(CSCFG),
                                                     "again", False),
                      AzureConflictHttpError, 409)
    for ud in range(5):
        wait_op(sms, sms.walk_upgrade_domain(SVC, DEP, ud))
        d = sms.get_deployment_by_name(SVC, DEP)
        versions = fabric_versions(cluster, "staging")
        for i in d.role_instance_list:
            want = "gb-v2" if i.instance_upgrade_domain <= ud else "gb-v1"
            assert versions[i.instance_name] == want, (ud, i.instance_name, versions)
        if ud < 4:
            u = d.upgrade_status
            assert u is not None and u.current_upgrade_domain == str(ud + 1), vars(u) if u else None
            assert u.current_upgrade_domain_state == "Before", vars(u)
        else:
            assert d.upgrade_status is None and d.locked is False and d.rollback_allowed is False
    check_instances(d, 10, 4, "ReadyRole")
    assert d.label == "v2" and d.configuration == CSCFG

    step("upgrade, Auto mode")
    wait_op(sms, sms.upgrade_deployment(SVC, DEP, "Auto", "guestbook-v1", b64(CSCFG), "v3", True))
    d = sms.get_deployment_by_name(SVC, DEP)
    assert d.upgrade_status is None and d.label == "v3", d.label
    assert set(fabric_versions(cluster, "staging").values()) == {"gb-v1"}
    check_instances(d, 10, 4, "ReadyRole")

    step("change the configuration: scale WebFront out to 12")
    wait_op(sms, sms.change_deployment_configuration(SVC, DEP, b64(CSCFG_SCALED)))
    d = sms.get_deployment_by_name(SVC, DEP)
    check_instances(d, 12, 4, "ReadyRole")
    assert d.configuration == CSCFG_SCALED
    check_ready_endpoints(d)

    step("reboot and reimage an instance: the disks after each (markers)")
    # The reboot quirk (a reboot that degenerates into a reimage) is off: no
    # probability was set, so a reboot must keep the OS disk.
    conf = cluster.fabric_get("/fabric/v1/services/%s/deployments/staging/configuration" % SVC)
    assert conf["reboot_reimage_probability"] == 0, conf
    assert conf["instance_reboot_reimage_probability"] == {}, conf
    base = (200, b"guestbook v1\n")
    markers = {}
    for name in ("WebFront_IN_0", "WebFront_IN_1"):
        assert base_image_file(sms, name) == base
        markers[name] = write_markers(sms, name)
    # A connection opened before the reboot: the guest going down closes the
    # instance's port, so a reboot that did nothing would leave it open.
    ip, port = instance_address(sms, "WebFront_IN_0")
    before = http.client.HTTPConnection(ip, port, timeout=5)
    assert instance_http(ip, port, "GET", "/health", conn=before)[0] == 200
    wait_op(sms, sms.reboot_role_instance(SVC, DEP, "WebFront_IN_0"))
    try:
        outcome = instance_http(ip, port, "GET", "/health", conn=before)
    except (ConnectionError, http.client.HTTPException) as e:
        outcome = type(e).__name__
    before.close()
    assert isinstance(outcome, str), "the port stayed open through the reboot: %r" % (outcome,)
    # Reboot: OS disk and local storage kept.
    after = read_markers(sms, "WebFront_IN_0")
    assert after == {d: (200, c) for d, c in markers["WebFront_IN_0"].items()}, after
    assert base_image_file(sms, "WebFront_IN_0") == base
    wait_op(sms, sms.reimage_role_instance(SVC, DEP, "WebFront_IN_1"))
    # Reimage: the OS disk reset to the base image (the marker gone, the
    # image's files there), local storage kept.
    after = read_markers(sms, "WebFront_IN_1")
    assert after == {"os": (404, "missing"),
                     "local/cache": (200, markers["WebFront_IN_1"]["local/cache"])}, after
    assert base_image_file(sms, "WebFront_IN_1") == base
    d = sms.get_deployment_by_name(SVC, DEP)
    check_instances(d, 12, 4, "ReadyRole")
    expect_http_error(lambda: sms.reboot_role_instance(SVC, DEP, "WebFront_IN_99"),
                      AzureMissingResourceHttpError, 404)

    step("swap to production")
    wait_op(sms, sms.swap_deployment(SVC, "", DEP))
    d = sms.get_deployment_by_slot(SVC, "production")
    assert d.name == DEP and d.deployment_slot == "Production", (d.name, d.deployment_slot)
    assert d.url == "http://%s.cloudapp.net/" % SVC, d.url
    expect_http_error(lambda: sms.get_deployment_by_slot(SVC, "staging"),
                      AzureMissingResourceHttpError, 404)
    d = wait_all_ready(sms, "Production", 16)
    check_ready_endpoints(d)

    step("roll back an upgrade in progress")
    expect_http_error(lambda: sms.rollback_update_or_upgrade(SVC, DEP, "Auto", True),
                      AzureConflictHttpError, 409)  # nothing to roll back yet
    wait_op(sms, sms.upgrade_deployment(SVC, DEP, "Manual", "guestbook-v2", b64(CSCFG_SCALED),
                                        "v4", False))
    wait_op(sms, sms.walk_upgrade_domain(SVC, DEP, 0))
    d = sms.get_deployment_by_name(SVC, DEP)
    assert d.rollback_allowed is True and d.label == "v4"
    assert d.upgrade_status.current_upgrade_domain == "1"
    versions = fabric_versions(cluster, "production")
    assert sorted(n for n, v in versions.items() if v == "gb-v2") == \
        ["WebFront_IN_0", "WebFront_IN_10", "WebFront_IN_5", "Worker_IN_0"], versions
    wait_op(sms, sms.rollback_update_or_upgrade(SVC, DEP, "Auto", True))
    d = sms.get_deployment_by_name(SVC, DEP)
    assert d.upgrade_status is None and d.rollback_allowed is False and d.label == "v3", d.label
    assert set(fabric_versions(cluster, "production").values()) == {"gb-v1"}
    check_instances(d, 12, 4, "ReadyRole")

    step("errors: unknown service, deployment, operation; delete a service with a deployment")
    expect_http_error(lambda: sms.get_deployment_by_slot("no-such-service", "production"),
                      AzureMissingResourceHttpError, 404)
    expect_http_error(lambda: sms.get_deployment_by_name(SVC, "no-such-deployment"),
                      AzureMissingResourceHttpError, 404)
    expect_http_error(lambda: sms.get_operation_status("0" * 32),
                      AzureMissingResourceHttpError, 404)
    expect_http_error(lambda: sms.delete_hosted_service(SVC), AzureConflictHttpError, 409)

    step("delete the deployment and the service")
    wait_op(sms, sms.delete_deployment(SVC, DEP))
    expect_http_error(lambda: sms.get_deployment_by_name(SVC, DEP),
                      AzureMissingResourceHttpError, 404)
    assert list(sms.get_hosted_service_properties(SVC, embed_detail=True).deployments) == []
    wait_op(sms, sms.delete_hosted_service(SVC))
    assert list(sms.list_hosted_services()) == []
    nodes = cluster.fabric_get("/fabric/v1/nodes")["nodes"]
    wait_until(lambda: all(not n["instances"] for n in cluster.fabric_get("/fabric/v1/nodes")["nodes"]),
               30, 0.2, "every node to have removed its instances")
    assert len(nodes) == 3


def main():
    started = time.time()
    with Cluster(BIN_DIR, nodes=3) as cluster:
        scenario(cluster)
    print("PASS in %.1fs" % (time.time() - started))


if __name__ == "__main__":
    main()
