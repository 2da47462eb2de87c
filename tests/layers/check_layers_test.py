#!/usr/bin/env python3
"""Tests of tools/layers/check_layers.py (ctest: layers_checker_tests, unit).

The checker must fail, naming file and line, on each kind of planted
mistake (tests/data/layers/bad_tree against the project's own table, and
small tables written to a temp dir), and must pass a tree that follows its
table. Usage: check_layers_test.py REPO_ROOT
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

ROOT = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
CHECKER = os.path.join(ROOT, "tools", "layers", "check_layers.py")
TABLE = os.path.join(ROOT, "tools", "layers", "layers.ini")
BAD_TREE = os.path.join(ROOT, "tests", "data", "layers", "bad_tree")


def run(root, table=TABLE):
    p = subprocess.run([sys.executable, CHECKER, "--root", root, "--table", table],
                       capture_output=True, text=True)
    return p.returncode, p.stdout.splitlines(), p.stderr


def write(base, rel, text):
    path = os.path.join(base, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(text))


class PlantedTree(unittest.TestCase):
    """The project's table on a tree with one mistake of each kind."""

    @classmethod
    def setUpClass(cls):
        cls.rc, cls.lines, cls.err = run(BAD_TREE)

    def test_fails(self):
        self.assertEqual(self.rc, 1, self.err)
        self.assertIn("6 problem(s)", self.err)

    def test_names_an_include_up_a_layer_with_file_and_line(self):
        self.assertIn('model/planner.hpp:3: layer model includes "coordinator/controller.hpp" '
                      'of layer coordinator, which is not below it (model may use: result)',
                      self.lines)
        self.assertTrue(any(l.startswith('images/store.cpp:3: layer images includes '
                                         '"node/disk/os_disk.hpp" of layer disk')
                            for l in self.lines), self.lines)

    def test_names_a_third_party_header_the_layer_does_not_list(self):
        self.assertTrue(any(l.startswith("model/planner.hpp:4: layer model includes "
                                         "<caf/all.hpp>") for l in self.lines), self.lines)
        self.assertTrue(any(l.startswith("protocol/codec.hpp:4: layer protocol includes "
                                         "<zmq.hpp>") for l in self.lines), self.lines)

    def test_names_a_quoted_include_that_is_no_file(self):
        self.assertTrue(any(l.startswith('images/store.cpp:4: includes "images/missing.hpp", '
                                         'which is not a file') for l in self.lines), self.lines)

    def test_names_a_file_no_layer_claims(self):
        self.assertTrue(any(l.startswith("stray/orphan.cpp:1: no layer") for l in self.lines),
                        self.lines)

    def test_allowed_includes_are_not_reported(self):
        # coordinator/controller.hpp includes the model, CAF and nlohmann:
        # all allowed; model/planner.hpp:5-7 (<vector>, <pugixml.hpp>, result).
        self.assertFalse(any(l.startswith("coordinator/") for l in self.lines), self.lines)
        self.assertFalse(any(l.startswith(("model/planner.hpp:5", "model/planner.hpp:6",
                                           "model/planner.hpp:7")) for l in self.lines))


class SmallTables(unittest.TestCase):
    """Tables written for the test: globs, transitivity, table errors."""

    TABLE = """
        [headers]
        caf = caf/*
        [layer base]
        paths = base/*
        [layer mid]
        paths = mid/*
        uses = base
        [layer control]
        paths = top/controller*.?pp top/plan*
        uses = mid
        [layer top]
        paths = top/*
        uses = control
        headers = caf
        """

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.table = os.path.join(self.dir, "layers.ini")
        write(self.dir, "layers.ini", self.TABLE)
        self.tree = os.path.join(self.dir, "tree")
        write(self.tree, "base/a.hpp", "#include <string>\n")
        write(self.tree, "mid/b.hpp", '#include "base/a.hpp"\n')
        write(self.tree, "top/controller.hpp", '#include "mid/b.hpp"\n#include "base/a.hpp"\n')
        write(self.tree, "top/actor.cpp", '#include "top/controller.hpp"\n#include <caf/all.hpp>\n')

    def tearDown(self):
        self.tmp.cleanup()

    def test_a_tree_that_follows_its_table_passes(self):
        rc, lines, err = run(self.tree, self.table)
        self.assertEqual((rc, lines), (0, ["check_layers: 4 file(s) follow the layer table"]), err)

    def test_a_file_glob_layer_is_held_to_its_own_rules(self):
        # top/controller.hpp is in layer `control` (longest pattern), which
        # may not include CAF nor the rest of top/ (above it).
        write(self.tree, "top/controller.hpp",
              '#include "mid/b.hpp"\n#include <caf/all.hpp>\n#include "top/actor_api.hpp"\n')
        write(self.tree, "top/actor_api.hpp", "#pragma once\n")
        rc, lines, _ = run(self.tree, self.table)
        self.assertEqual(rc, 1)
        self.assertEqual(lines, [
            "top/controller.hpp:2: layer control includes <caf/all.hpp>, which is neither the "
            "standard library nor in its header groups (none)",
            'top/controller.hpp:3: layer control includes "top/actor_api.hpp" of layer top, '
            "which is not below it (control may use: base, mid)"])

    def test_a_lower_layer_may_not_include_a_higher_one(self):
        write(self.tree, "base/a.hpp", '#include <string>\n\n#include "mid/b.hpp"\n')
        rc, lines, _ = run(self.tree, self.table)
        self.assertEqual(rc, 1)
        self.assertEqual(lines, ['base/a.hpp:3: layer base includes "mid/b.hpp" of layer mid, '
                                 "which is not below it (base may use: no other layer)"])

    def test_a_cycle_in_the_table_is_refused(self):
        write(self.dir, "layers.ini", self.TABLE.replace("paths = base/*",
                                                         "paths = base/*\n        uses = top"))
        rc, _, err = run(self.tree, self.table)
        self.assertEqual(rc, 2)
        self.assertIn("cycle", err)

    def test_an_unknown_layer_or_group_is_refused(self):
        write(self.dir, "layers.ini", self.TABLE.replace("uses = base", "uses = bsae"))
        rc, _, err = run(self.tree, self.table)
        self.assertEqual(rc, 2)
        self.assertIn("unknown layer bsae", err)


class ProjectTree(unittest.TestCase):
    def test_the_project_follows_its_table(self):
        rc, lines, err = run(ROOT)
        self.assertEqual(rc, 0, "\n".join(lines) + err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
