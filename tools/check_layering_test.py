#!/usr/bin/env python3
"""Tests for check_layering.py: it must fail on each kind of violation and pass a clean tree."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_layering  # noqa: E402


def make_tree(files):
    root = tempfile.mkdtemp(prefix="layering_test_")
    for rel, text in files.items():
        path = os.path.join(root, "src", "lepton", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    return os.path.join(root, "src")


MODULES = [
    {"name": "base", "dir": "src/lepton/base", "deps": []},
    {"name": "store", "dir": "src/lepton/store", "deps": ["base"]},
    {"name": "api", "dir": "src/lepton/api", "deps": ["store"]},
]


class CheckLayeringTest(unittest.TestCase):
    def test_clean_tree_passes(self):
        src = make_tree({
            "base/a.h": "#include <string>\n",
            "store/s.cc": '#include "lepton/base/a.h"\n',
            "api/x.cc": '#include "lepton/base/a.h"\n#include <boost/beast.hpp>\n',
            "api/x_test.cc": '#include "lepton/store/testing/t.h"\n',
        })
        self.assertEqual(check_layering.check(MODULES, src), [])

    def test_undeclared_dependency_fails(self):
        src = make_tree({"store/s.cc": '#include "lepton/api/x.h"\n'})
        problems = check_layering.check(MODULES, src)
        self.assertEqual(len(problems), 1)
        self.assertIn("module store does not depend on api", problems[0])

    def test_cycle_fails(self):
        modules = [dict(m) for m in MODULES]
        modules[0] = {"name": "base", "dir": "src/lepton/base", "deps": ["api"]}
        problems = check_layering.check(modules, make_tree({"base/a.h": ""}))
        self.assertTrue(any("cycle" in p for p in problems), problems)

    def test_internal_header_of_other_module_fails(self):
        src = make_tree({"api/x.cc": '#include "lepton/store/internal/pool.h"\n'})
        self.assertTrue(any("internal to module store" in p
                            for p in check_layering.check(MODULES, src)))

    def test_third_party_outside_its_adapter_fails(self):
        src = make_tree({"store/s.cc": "#include <boost/asio.hpp>\n"})
        self.assertTrue(any("third-party boost/asio.hpp" in p
                            for p in check_layering.check(MODULES, src)))

    def test_test_helper_in_production_code_fails(self):
        src = make_tree({"api/x.cc": '#include "lepton/store/testing/t.h"\n'})
        self.assertTrue(any("non-test code" in p for p in check_layering.check(MODULES, src)))


if __name__ == "__main__":
    unittest.main()
