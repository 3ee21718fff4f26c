"""Comparing our tool's output with the expected values, and naming the causes of differences.

`compare` walks the expected canonical JSON and our tool's JSON side by side. It is strict
where JSON is loose: an integer must come back as a JSON integer (not 1.0), a bool as a bool,
-0.0 as -0.0; f64 values compare numerically (`parse_ours` keeps our spelling, and a spelling
other than Python's repr is only a note). The signature helpers reduce a difference or an
error message to its cause (schema type @ JSON path with indices as *, or the error text
without numbers), so that the report shows one group per cause instead of one per sample.
"""

import json
import math
import re


class FloatText(float):
    """A float that remembers how our tool spelled it."""
    text = ""


def parse_ours(line):
    def pf(s):
        x = FloatText(s)
        x.text = s
        return x
    return json.loads(line, parse_float=pf)


def compare(exp, act, path, diffs, notes):
    """Appends (path, expected, actual) to diffs for each difference, and to notes each f64
    that is equal but spelled differently from Python's repr."""
    if isinstance(exp, bool):
        if not (isinstance(act, bool) and act == exp):
            diffs.append((path, exp, act))
    elif isinstance(exp, int):
        if not (type(act) is int and act == exp):
            diffs.append((path, exp, act))
    elif isinstance(exp, float):
        if isinstance(act, bool) or not isinstance(act, (int, float)):
            diffs.append((path, exp, act))
            return
        a = float(act)
        if a != exp or (exp == 0.0 and math.copysign(1, a) != math.copysign(1, exp)):
            diffs.append((path, exp, act))
            return
        txt = act.text if isinstance(act, FloatText) else str(act)
        if txt != repr(exp):
            notes.append("f64 %s spelled %s (Python repr %s)" % (path, txt, repr(exp)))
    elif isinstance(exp, str):
        if not (isinstance(act, str) and act == exp):
            diffs.append((path, exp, act))
    elif isinstance(exp, list):
        if not isinstance(act, list) or len(act) != len(exp):
            diffs.append((path, exp, act))
            return
        for i, (e, a) in enumerate(zip(exp, act)):
            compare(e, a, "%s/%d" % (path, i), diffs, notes)
    elif isinstance(exp, dict):
        if not isinstance(act, dict):
            diffs.append((path, exp, act))
            return
        for k in exp:
            if k not in act:
                diffs.append(("%s/%s" % (path, k), exp[k], "<missing>"))
            else:
                compare(exp[k], act[k], "%s/%s" % (path, k), diffs, notes)
        for k in act:
            if k not in exp:
                diffs.append(("%s/%s" % (path, k), "<absent>", act[k]))
    else:
        if exp != act:
            diffs.append((path, exp, act))


def signature_for(path, typemap):
    """The schema type at (or above) a JSON path, for grouping mismatches."""
    p = path
    while p:
        if p in typemap:
            return typemap[p][1]
        p = re.sub(r"/[^/]*$", "", p)
    return "(message level)"


def error_signature(err):
    """An error line without its JSON pointer and numbers, so that equal causes group."""
    line = err.split("\n")[0]
    line = re.sub(r"^/[^ ]*: ", "", line)
    line = re.sub(r"\d+", "N", line)
    return line[:160]


def generic_path(path):
    """A JSON path with its array indices as *."""
    return re.sub(r"/\d+(?=/|$)", "/*", path)


def first_diff_offset(a, b):
    """The first offset at which two byte strings differ (the shorter's length if one is a
    prefix of the other), or None if they are equal."""
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return i
    return min(len(a), len(b)) if len(a) != len(b) else None

