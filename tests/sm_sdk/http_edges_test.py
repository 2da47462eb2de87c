"""The Service Management facade's header and edge rules, over raw HTTP (no
SDK): x-ms-request-id on every response and a pollable operation for every
id (errors included), a missing or bad x-ms-version refused, another
subscription refused, the default subscription id, a trailing '/' before
?comp=, slot names in any case, bodies as Node sends them (XML prolog,
application/xml), PackageUrl as a package name and as a blob URL (local paths
and file:// refused alike, whatever is there), a UTF-16LE
configuration, Delete Role Instances, status codes per operation, unknown
routes and verbs. One coordinator and one node on loopback.

Usage: http_edges_test.py BIN_DIR REPO_ROOT
"""

import base64
import http.client
import json
import os
import re
import sys
import time
import xml.dom.minidom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, wait_until  # noqa: E402

BIN_DIR, ROOT = sys.argv[1], sys.argv[2]
MODELS = os.path.join(ROOT, "tests", "data", "models")
NS = "http://schemas.microsoft.com/windowsazure"
DEFAULT_SUB = "00000000-0000-0000-0000-000000000000"


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Client:
    def __init__(self, port, sub):
        self.port, self.sub = port, sub

    def call(self, method, path, body=None, version="2014-10-01", sub=None,
             content_type="application/xml"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        headers = {}
        if version is not None:
            headers["x-ms-version"] = version
        if body is not None:
            headers["Content-Type"] = content_type
        data = body.encode("utf-8") if isinstance(body, str) else body
        if method == "POST" and data is None:
            data = b""
        conn.request(method, "/" + (sub or self.sub) + path, body=data, headers=headers)
        r = conn.getresponse()
        text = r.read().decode("utf-8")
        rid = r.getheader("x-ms-request-id")
        conn.close()
        assert rid and re.fullmatch(r"[0-9a-f]{32}", rid), (method, path, rid)
        return r.status, text, rid

    def operation(self, rid, form=None):
        status, text, _ = self.call("GET", "/operations/" + (form or rid))
        assert status == 200, (status, text)
        return parse(text)

    def wait(self, rid, timeout=60):
        def done():
            op = self.operation(rid)
            return op if child(op, "Status") != "InProgress" else None
        op = wait_until(done, timeout, 0.1, "operation " + rid)
        assert child(op, "Status") == "Succeeded", op.toxml()
        return op


def parse(text):
    doc = xml.dom.minidom.parseString(text)
    root = doc.documentElement
    assert root.getAttribute("xmlns") == NS, text
    return root


def child(node, name):
    found = [c for c in node.childNodes if c.nodeType == c.ELEMENT_NODE and c.tagName == name]
    if not found:
        return None
    return "".join(t.data for t in found[0].childNodes if t.nodeType == t.TEXT_NODE)


def error_of(status, text, want_status, want_code):
    assert status == want_status, (status, text)
    root = parse(text)
    assert root.tagName == "Error", text
    assert child(root, "Code") == want_code, text
    assert child(root, "Message"), text
    return child(root, "Message")


def b64(data):
    return base64.b64encode(data).decode()


def create_deployment_body(name, package_url, cscfg_bytes, start=True, prolog=True):
    return (('<?xml version="1.0" encoding="utf-8" standalone="yes"?>' if prolog else "")
            + '<CreateDeployment xmlns="%s"><Name>%s</Name><PackageUrl>%s</PackageUrl>'
              '<Label>%s</Label><Configuration>%s</Configuration>'
              '<StartDeployment>%s</StartDeployment></CreateDeployment>'
            % (NS, name, package_url, b64(name.encode()), b64(cscfg_bytes),
               "true" if start else "false"))


def edges(cluster):
    c = Client(cluster.api_port, cluster.subscription)

    print("-- x-ms-version and subscription, request id and operation on errors")
    status, text, rid = c.call("GET", "/services/hostedservices", version=None)
    error_of(status, text, 400, "MissingOrIncorrectVersionHeader")
    op = c.operation(rid)
    assert child(op, "Status") == "Failed" and child(op, "HttpStatusCode") == "400", op.toxml()
    err = op.getElementsByTagName("Error")[0]
    assert child(err, "Code") == "MissingOrIncorrectVersionHeader", op.toxml()
    for bad in ("bogus", "2009-09-30", ""):
        status, text, _ = c.call("GET", "/services/hostedservices", version=bad)
        error_of(status, text, 400, "MissingOrIncorrectVersionHeader")
    status, text, rid = c.call("GET", "/services/hostedservices", sub="another-subscription")
    error_of(status, text, 403, "AuthenticationFailed")
    assert child(c.operation(rid), "Status") == "Failed"
    status, text, _ = c.call("GET", "/services/hostedservices", version="2017-01-01")
    assert status == 200 and parse(text).tagName == "HostedServices", text

    print("-- operations: every id, either form, no Error unless Failed")
    status, text, rid = c.call("GET", "/services/hostedservices")
    assert status == 200
    guid = "%s-%s-%s-%s-%s" % (rid[:8], rid[8:12], rid[12:16], rid[16:20], rid[20:])
    for form in (rid, guid, guid.upper()):
        op = c.operation(rid, form)
        assert child(op, "ID") == guid and child(op, "Status") == "Succeeded", op.toxml()
        assert child(op, "HttpStatusCode") == "200" and not op.getElementsByTagName("Error")
    status, text, _ = c.call("GET", "/operations/" + "f" * 32)
    error_of(status, text, 404, "ResourceNotFound")

    print("-- create hosted service: Node's body, trailing slash; 201; bad bodies")
    body = ('<?xml version="1.0" encoding="utf-8" standalone="yes"?>'
            '<CreateHostedService xmlns="%s"><ServiceName>edge</ServiceName>'
            '<Label>%s</Label><AffinityGroup>group-1</AffinityGroup></CreateHostedService>'
            % (NS, b64(b"Edge")))
    status, text, rid = c.call("POST", "/services/hostedservices/", body)
    assert status == 201 and text == "", (status, text)
    c.wait(rid)
    status, text, _ = c.call("GET", "/services/hostedservices/edge/")
    assert status == 200, (status, text)
    svc = parse(text)
    props = svc.getElementsByTagName("HostedServiceProperties")[0]
    assert child(props, "AffinityGroup") == "group-1" and child(props, "Location") is None
    assert base64.b64decode(child(props, "Label")) == b"Edge"
    status, text, _ = c.call("POST", "/services/hostedservices", "")
    error_of(status, text, 400, "InvalidXmlRequest")
    status, text, _ = c.call("POST", "/services/hostedservices", body)
    error_of(status, text, 409, "ConflictError")
    status, text, _ = c.call("GET", "/services/hostedservices/nope")
    assert error_of(status, text, 404, "ResourceNotFound") == "The hosted service does not exist."

    print("-- unknown routes and verbs")
    status, text, _ = c.call("GET", "/services/storageservices")
    error_of(status, text, 404, "ResourceNotFound")
    status, text, _ = c.call("PATCH", "/services/hostedservices")
    error_of(status, text, 400, "InvalidHttpVerb")
    status, text, _ = c.call("GET", "/services/hostedservices/edge/deploymentslots/Production")
    assert error_of(status, text, 404, "ResourceNotFound") == "No deployments were found."
    status, text, _ = c.call("GET", "/services/hostedservices/edge/deploymentslots/middle")
    error_of(status, text, 400, "BadRequest")

    print("-- packages: by name, by blob URL; unknown package; local paths refused")
    tiny = os.path.join(cluster.dir, "tiny-image")
    os.makedirs(os.path.join(tiny, "site"))
    with open(os.path.join(tiny, "site", "index.html"), "w") as f:
        f.write("tiny")
    rc, out = cluster.ctl("image", "upload", "tiny", tiny)
    assert rc == 0, out
    pkg_file = os.path.join(cluster.dir, "three-ud.json")
    rc, out = cluster.ctl("package", "create", "three-ud", "--csdef",
                          os.path.join(MODELS, "three-ud.csdef"), "--image", "tiny",
                          "--output-file", pkg_file)
    assert rc == 0, out
    rc, out = cluster.ctl("package", "show", "three-ud")
    assert rc == 0 and "ThreeUd" in out, out
    cscfg = read(os.path.join(MODELS, "three-ud.cscfg"))
    slots = "/services/hostedservices/edge/deploymentslots/"
    status, text, _ = c.call("POST", slots + "production",
                             create_deployment_body("d1", "no-such-package", cscfg))
    assert "no package 'no-such-package'" in error_of(status, text, 400, "BadRequest")

    print("-- a local path or file:// is refused alike, whether the file exists or not")
    for url in (pkg_file, "file://" + pkg_file, "/nonexistent/x.json", "/dev/zero", "../x"):
        status, text, _ = c.call("POST", slots + "production", create_deployment_body("d1", url, cscfg))
        assert ("PackageUrl '%s' is not accepted" % url) in error_of(status, text, 400, "BadRequest"), text

    print("-- create by package name, slot in any case; 202; Locked while it runs")
    status, text, rid = c.call("POST", slots + "PRODUCTION",
                               create_deployment_body("d1", "three-ud", cscfg))
    assert status == 202 and text == "", (status, text)
    c.wait(rid)
    status, text, _ = c.call("GET", slots + "pRoDuCtIoN/")
    assert status == 200, (status, text)
    d = parse(text)
    assert child(d, "DeploymentSlot") == "Production" and child(d, "Name") == "d1", text
    assert child(d, "Locked") == "false" and child(d, "RollbackAllowed") == "false"
    assert child(d, "UpgradeDomainCount") == "3" and not d.getElementsByTagName("UpgradeStatus")
    assert len(d.getElementsByTagName("RoleInstance")) == 3

    print("-- a UTF-16LE configuration with BOM, PackageUrl as a blob URL")
    utf16 = b"\xff\xfe" + cscfg.decode().replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16-le")
    status, text, rid = c.call(
        "POST", slots + "Staging",
        create_deployment_body("d2", "https://acct.blob.core.windows.net/pkgs/three-ud.cspkg",
                               utf16, start=False, prolog=False),
        content_type="application/atom+xml;type=entry;charset=utf-8")
    assert status == 202, (status, text)
    c.wait(rid)
    status, text, _ = c.call("GET", "/services/hostedservices/edge/deployments/d2")
    assert status == 200, (status, text)
    d = parse(text)
    conf = base64.b64decode(child(d, "Configuration")).decode("utf-8")
    assert 'count="3"' in conf and 'encoding="utf-8"' in conf, conf
    assert child(d, "Status") == "Suspended"

    print("-- trailing slash before ?comp=, 202 per async op; rollback 200 by name, 202 by slot")
    dep = "/services/hostedservices/edge/deployments/d1/"
    status, text, rid = c.call(
        "POST", dep + "?comp=status",
        '<UpdateDeploymentStatus xmlns="%s"><Status>Running</Status></UpdateDeploymentStatus>' % NS)
    assert status == 202, (status, text)
    c.wait(rid)
    rb = ('<RollbackUpdateOrUpgrade xmlns="%s"><Mode>Auto</Mode><Force>true</Force>'
          '</RollbackUpdateOrUpgrade>' % NS)
    status, text, _ = c.call("POST", dep + "?comp=rollback", rb)
    error_of(status, text, 409, "ConflictError")  # nothing to roll back
    up = ('<UpgradeDeployment xmlns="%s"><Mode>Manual</Mode><PackageUrl>three-ud</PackageUrl>'
          '<Configuration>%s</Configuration><Label>%s</Label><Force>false</Force>'
          '</UpgradeDeployment>' % (NS, b64(cscfg), b64(b"up")))
    status, text, rid = c.call("POST", dep + "?comp=upgrade", up.replace("<Mode>Manual", "<Mode>Sideways"))
    error_of(status, text, 400, "BadRequest")
    status, text, rid = c.call("POST", dep + "?comp=upgrade", up)
    assert status == 202, (status, text)
    c.wait(rid)  # Manual: Succeeded once accepted
    status, text, _ = c.call("GET", slots + "production")
    assert status == 200, (status, text)
    d = parse(text)
    assert child(d, "Locked") == "true" and child(d, "RollbackAllowed") == "true", text
    u = d.getElementsByTagName("UpgradeStatus")[0]
    assert child(u, "UpgradeType") == "Manual" and child(u, "CurrentUpgradeDomainState") == "Before"
    walk = '<WalkUpgradeDomain xmlns="%s"><UpgradeDomain>%d</UpgradeDomain></WalkUpgradeDomain>'
    status, text, _ = c.call("POST", dep + "?comp=walkupgradedomain", walk % (NS, 7))
    error_of(status, text, 400, "BadRequest")
    status, text, _ = c.call("POST", dep + "?comp=walkupgradedomain", walk % (NS, 1))
    error_of(status, text, 409, "ConflictError")  # out of order
    status, text, rid = c.call("POST", dep + "?comp=rollback", rb)
    assert status == 200, (status, text)  # by name: 200 (Node)
    c.wait(rid)
    status, text, rid = c.call("POST", slots + "production/?comp=upgrade", up)
    assert status == 202
    status, text, rid = c.call("POST", slots + "production/?comp=rollback", rb)
    assert status == 202, (status, text)  # by slot: 202 (Node)
    c.wait(rid)
    status, text, _ = c.call("POST", dep, up)
    error_of(status, text, 400, "MissingOrInvalidRequiredQueryParameter")

    print("-- delete role instances (the highest-numbered ones), reboot without a body")
    names = '<RoleInstances  xmlns="%s"><Name>%s</Name></RoleInstances >'
    status, text, _ = c.call("POST", dep + "roleinstances/?comp=delete", names % (NS, "Web_IN_0"))
    assert "highest-numbered" in error_of(status, text, 400, "BadRequest")
    status, text, _ = c.call("POST", dep + "roleinstances/?comp=delete", names % (NS, "Web_IN_9"))
    error_of(status, text, 404, "ResourceNotFound")
    status, text, rid = c.call("POST", dep + "roleinstances/?comp=delete", names % (NS, "Web_IN_2"))
    assert status == 202, (status, text)
    c.wait(rid)
    status, text, _ = c.call("GET", dep)
    assert status == 200, (status, text)
    d = parse(text)
    assert [child(i, "InstanceName") for i in d.getElementsByTagName("RoleInstance")] == \
        ["Web_IN_0", "Web_IN_1"], text
    assert 'count="2"' in base64.b64decode(child(d, "Configuration")).decode()
    status, text, rid = c.call("POST", dep + "roleinstances/Web_IN_1?comp=reboot")
    assert status == 202, (status, text)
    c.wait(rid)
    status, text, _ = c.call("POST", dep + "roleinstances/Web_IN_1?comp=explode")
    error_of(status, text, 400, "MissingOrInvalidRequiredQueryParameter")

    print("-- swap names checked; delete by slot and by name; delete service 200")
    swap = '<Swap xmlns="%s"><Production>%s</Production><SourceDeployment>%s</SourceDeployment></Swap>'
    status, text, _ = c.call("POST", "/services/hostedservices/edge", swap % (NS, "d9", "d2"))
    error_of(status, text, 409, "ConflictError")
    status, text, _ = c.call("POST", "/services/hostedservices/edge", swap % (NS, "d1", "d9"))
    error_of(status, text, 404, "ResourceNotFound")
    status, text, rid = c.call("DELETE", slots + "STAGING")
    assert status == 202, (status, text)
    c.wait(rid)
    status, text, rid = c.call("DELETE", "/services/hostedservices/edge/deployments/d1")
    assert status == 202, (status, text)
    c.wait(rid)
    status, text, rid = c.call("DELETE", "/services/hostedservices/edge")
    assert status == 200 and text == "", (status, text)
    c.wait(rid)


def default_subscription():
    print("-- default --subscription-id")
    with Cluster(BIN_DIR, nodes=0, subscription=None) as cluster:
        c = Client(cluster.api_port, DEFAULT_SUB)
        status, text, _ = c.call("GET", "/services/hostedservices")
        assert status == 200 and parse(text).tagName == "HostedServices", (status, text)
        status, text, _ = c.call("GET", "/services/hostedservices", sub="4e1c5a2b-0d5f-4f3e-9a61-2b7c8d9e0f11")
        error_of(status, text, 403, "AuthenticationFailed")


def main():
    started = time.time()
    with Cluster(BIN_DIR, nodes=1) as cluster:
        edges(cluster)
    default_subscription()
    print("PASS in %.1fs" % (time.time() - started))


if __name__ == "__main__":
    main()
