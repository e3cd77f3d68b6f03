"""Collect the STIX 2.1 patterning test vectors that ship inside the
stix2-matcher and stix2-patterns wheels, as JSON, for Rampart's own tests.

The vectors live in those packages' pytest suites as parametrised cases.
Rather than re-typing them, this runs both suites in-process with a small
plugin that wraps `match()` and `validate()`: every call is written down with
what the reference implementation answered, and with the outcome pytest gave
the test, so cases the suites themselves expect to fail (xfail) or that fail
here are left out.

Usage: python3 pattern_vectors.py OUT.json
"""

import json
import os
import sys

import pytest
import stix2matcher
import stix2patterns
from stix2patterns.exceptions import ParseException
from stix2matcher.matcher import MatcherException


class Recorder:
    def __init__(self):
        self.matches = []
        self.validations = []
        self.current = None
        self.outcomes = {}

    def _wrap_match(self, real, nodeid):
        def recorded(pattern, observed_data_sdos, verbose=False, stix_version="2.1"):
            case = {
                "test": nodeid,
                "pattern": pattern,
                # A copy as it is now: some tests change their data in place.
                "observations": json.loads(json.dumps(observed_data_sdos)),
            }
            self.matches.append(case)
            try:
                sdos = real(pattern, observed_data_sdos, verbose, stix_version)
            except ParseException:
                case["outcome"] = "parse_error"
                raise
            except MatcherException:
                case["outcome"] = "match_error"
                raise
            case["outcome"] = "match" if sdos else "no_match"
            # The observed-data of the first binding, as the suite checks it.
            case["matched"] = sorted(sdo["objects"][0]["id"] for sdo in sdos)
            return sdos

        return recorded

    def _wrap_validate(self, real, nodeid):
        def recorded(user_input, ret_errs=False, print_errs=False, stix_version="2.1"):
            result = real(user_input, ret_errs=True, print_errs=False, stix_version=stix_version)
            valid, errors = result
            self.validations.append({
                "test": nodeid,
                "pattern": user_input,
                "valid": bool(valid),
                "errors": list(errors),
            })
            return result if ret_errs else valid

        return recorded

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        module = item.module
        saved = {}
        for name, wrap in (("match", self._wrap_match), ("validate", self._wrap_validate)):
            if hasattr(module, name):
                saved[name] = getattr(module, name)
                setattr(module, name, wrap(saved[name], item.nodeid))
        try:
            yield
        finally:
            for name, real in saved.items():
                setattr(module, name, real)

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            xfail = hasattr(report, "wasxfail")
            self.outcomes[report.nodeid] = "xfail" if xfail else report.outcome


def main():
    out = sys.argv[1]
    suites = [
        os.path.join(os.path.dirname(stix2matcher.__file__), "test", "v21"),
        os.path.join(os.path.dirname(stix2patterns.__file__), "test", "v21"),
    ]
    recorder = Recorder()
    code = pytest.main(["-q", "-p", "no:cacheprovider", *suites], plugins=[recorder])
    if code not in (0, 1):
        sys.exit("the reference test suites did not run (pytest exit %d)" % code)

    def kept(cases):
        return [c for c in cases if recorder.outcomes.get(c["test"]) == "passed"]

    vectors = {
        "stix2_matcher": stix2matcher.__version__ if hasattr(stix2matcher, "__version__") else None,
        "matches": kept(recorder.matches),
        "validations": kept(recorder.validations),
        "left_out": sorted(t for t, o in recorder.outcomes.items() if o != "passed"),
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(vectors, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
