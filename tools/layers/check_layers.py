#!/usr/bin/env python3
"""Checks that every #include in the tree points down the layer table.

Usage: check_layers.py [--root DIR] [--table FILE] [--list]

Reads the layer table (tools/layers/layers.ini by default, see README.md in
this folder), assigns every C++ file under --root to one layer, and reports
each include a layer is not allowed:

  - a project file ("model/x.hpp") of a layer that is neither the file's own
    layer nor one it uses, directly or through the layers it uses;
  - a system or third-party header (<caf/all.hpp>) that matches neither the
    C++/C standard library nor a header group the file's layer lists;
  - a quoted include that names no file of the tree.

Also refused: a file no layer claims, a table whose `uses` form a cycle or
name an unknown layer or group. Output: one `path:line: message` per problem
(paths relative to --root), then a summary; exit status 0 when the tree
follows the table, 1 when it does not, 2 when the table itself is wrong.

Python 3 standard library only.
"""

import argparse
import configparser
import fnmatch
import os
import re
import sys

# The C++17 standard library headers and the C library headers (both
# spellings). Always allowed: no layer lists them.
STD_HEADERS = set("""
algorithm any array atomic bitset cassert ccomplex cctype cerrno cfenv cfloat
charconv chrono cinttypes ciso646 climits clocale cmath codecvt complex
condition_variable csetjmp csignal cstdalign cstdarg cstdbool cstddef cstdint
cstdio cstdlib cstring ctgmath ctime cuchar cwchar cwctype deque exception
execution filesystem forward_list fstream functional future initializer_list
iomanip ios iosfwd iostream istream iterator limits list locale map
memory memory_resource mutex new numeric optional ostream queue random ratio
regex scoped_allocator set shared_mutex sstream stack stdexcept streambuf
string string_view strstream system_error thread tuple type_traits typeindex
typeinfo unordered_map unordered_set utility valarray variant vector
assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h
limits.h locale.h math.h setjmp.h signal.h stdalign.h stdarg.h stdbool.h
stddef.h stdint.h stdio.h stdlib.h string.h tgmath.h time.h uchar.h wchar.h
wctype.h
""".split())

SOURCE_SUFFIXES = (".hpp", ".cpp", ".h", ".cc", ".cxx", ".hh", ".ipp", ".inl")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


class TableError(Exception):
    pass


def words(value):
    return value.split() if value else []


class Layer:
    def __init__(self, name, paths, uses, headers, what):
        self.name = name
        self.paths = paths
        self.uses = uses
        self.headers = headers
        self.what = what
        self.below = set()  # every layer reachable through `uses`


def load_table(path):
    parser = configparser.ConfigParser(interpolation=None, comment_prefixes=("#", ";"),
                                       inline_comment_prefixes=("#",))
    parser.optionxform = str
    try:
        with open(path, encoding="utf-8") as f:
            parser.read_file(f)
    except (OSError, configparser.Error) as e:
        raise TableError(f"{path}: {e}")
    groups = {}
    if parser.has_section("headers"):
        for name, value in parser.items("headers"):
            groups[name] = words(value)
    scan = {"exclude": []}
    if parser.has_section("scan"):
        scan["exclude"] = words(parser.get("scan", "exclude", fallback=""))
    layers = {}
    for section in parser.sections():
        if not section.startswith("layer "):
            if section not in ("headers", "scan"):
                raise TableError(f"{path}: unknown section [{section}]")
            continue
        name = section[len("layer "):].strip()
        if not name or name in layers:
            raise TableError(f"{path}: [{section}]: empty or repeated layer name")
        sec = parser[section]
        unknown = set(sec.keys()) - {"paths", "uses", "headers", "what"}
        if unknown:
            raise TableError(f"{path}: [{section}]: unknown key(s) {', '.join(sorted(unknown))}")
        paths = words(sec.get("paths", ""))
        if not paths:
            raise TableError(f"{path}: [{section}]: no paths")
        layers[name] = Layer(name, paths, words(sec.get("uses", "")),
                             words(sec.get("headers", "")), sec.get("what", ""))
    if not layers:
        raise TableError(f"{path}: no [layer ...] section")
    for layer in layers.values():
        for used in layer.uses:
            if used != "*" and used not in layers:
                raise TableError(f"{path}: layer {layer.name} uses unknown layer {used}")
        for group in layer.headers:
            if group != "*" and group not in groups:
                raise TableError(f"{path}: layer {layer.name} lists unknown header group {group}")
    # The uses graph must be acyclic: that is what makes them layers.
    state = {}

    def visit(name, stack):
        if state.get(name) == "done":
            return layers[name].below
        if state.get(name) == "active":
            cycle = stack[stack.index(name):] + [name]
            raise TableError(f"{path}: the layers form a cycle: {' -> '.join(cycle)}")
        state[name] = "active"
        below = set()
        for used in layers[name].uses:
            if used == "*":
                continue
            below.add(used)
            below |= visit(used, stack + [name])
        layers[name].below = below
        state[name] = "done"
        return below

    for name in layers:
        visit(name, [])
    for layer in layers.values():
        if "*" in layer.uses:
            layer.below = set(layers) - {layer.name}
    return layers, groups, scan


def layer_of(rel, layers):
    """The layer whose matching path pattern is the longest (most specific)."""
    best = None
    best_len = -1
    tie = None
    for layer in layers.values():
        for pattern in layer.paths:
            if fnmatch.fnmatchcase(rel, pattern):
                if len(pattern) > best_len:
                    best, best_len, tie = layer, len(pattern), None
                elif len(pattern) == best_len and layer is not best:
                    tie = layer
    if tie is not None:
        raise TableError(f"{rel}: claimed equally by layers {best.name} and {tie.name}")
    return best


def source_files(root, exclude):
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        keep = []
        for d in sorted(dirnames):
            rel = rel_dir + d
            if d.startswith(".") or d == "build" or d.startswith("build-") \
                    or any(fnmatch.fnmatchcase(rel + "/", p) for p in exclude):
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            rel = rel_dir + name
            if name.endswith(SOURCE_SUFFIXES) \
                    and not any(fnmatch.fnmatchcase(rel, p) for p in exclude):
                yield rel


def header_allowed(header, layer, groups):
    if header in STD_HEADERS:
        return True
    for group in layer.headers:
        patterns = ["*"] if group == "*" else groups[group]
        if any(fnmatch.fnmatchcase(header, p) for p in patterns):
            return True
    return False


def check(root, table_path):
    layers, groups, scan = load_table(table_path)
    problems = []
    files = list(source_files(root, scan["exclude"]))
    owner = {}
    for rel in files:
        layer = layer_of(rel, layers)
        if layer is None:
            problems.append(f"{rel}:1: no layer of the table claims this file; "
                            f"add its folder (or the file) to a layer's paths")
        owner[rel] = layer
    for rel in files:
        layer = owner[rel]
        if layer is None:
            continue
        try:
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
        except OSError as e:
            problems.append(f"{rel}:1: cannot read: {e}")
            continue
        for number, line in enumerate(lines, 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            quote, name = m.group(1), m.group(2).strip()
            target = None
            if os.path.isfile(os.path.join(root, name)):
                target = os.path.normpath(name).replace(os.sep, "/")
            elif quote == '"':
                local = os.path.normpath(os.path.join(os.path.dirname(rel), name))
                if os.path.isfile(os.path.join(root, local)):
                    target = local.replace(os.sep, "/")
            if target is not None and not target.startswith("../"):
                used = owner.get(target) or layer_of(target, layers)
                if used is None:
                    problems.append(f"{rel}:{number}: includes \"{name}\", which no layer "
                                    f"claims")
                elif used is not layer and used.name not in layer.below:
                    allowed = ", ".join(sorted(layer.below)) or "no other layer"
                    problems.append(f"{rel}:{number}: layer {layer.name} includes \"{name}\" "
                                    f"of layer {used.name}, which is not below it "
                                    f"({layer.name} may use: {allowed})")
                continue
            if quote == '"':
                problems.append(f"{rel}:{number}: includes \"{name}\", which is not a file "
                                f"of the tree (third-party headers take <...>)")
                continue
            if not header_allowed(name, layer, groups):
                listed = " ".join(layer.headers) or "none"
                problems.append(f"{rel}:{number}: layer {layer.name} includes <{name}>, which "
                                f"is neither the standard library nor in its header groups "
                                f"({listed})")
    return files, problems


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..")),
                    help="the tree to check (default: this repository)")
    ap.add_argument("--table", default=os.path.join(here, "layers.ini"),
                    help="the layer table (default: layers.ini beside this script)")
    ap.add_argument("--list", action="store_true",
                    help="print each file with its layer and exit")
    args = ap.parse_args(argv)
    root = os.path.abspath(args.root)
    try:
        if args.list:
            layers, _, scan = load_table(args.table)
            for rel in source_files(root, scan["exclude"]):
                layer = layer_of(rel, layers)
                print(f"{layer.name if layer else '-':16} {rel}")
            return 0
        files, problems = check(root, args.table)
    except TableError as e:
        print(f"layer table: {e}", file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    if problems:
        print(f"check_layers: {len(problems)} problem(s) against the layer table "
              f"{os.path.relpath(args.table)} in {len(files)} file(s)", file=sys.stderr)
        return 1
    print(f"check_layers: {len(files)} file(s) follow the layer table")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
