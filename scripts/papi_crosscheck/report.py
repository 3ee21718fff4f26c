"""Collecting results and printing the report.

Checks run in worker threads, one message each; each records what it finds in an `EventLog`,
which the main thread replays into the single `Results` in message order, so the report is
the same on every run with the same seed whatever the thread timing. Mismatches are grouped
by kind (decode value, encode bytes, tool error, and for encode which input form), then by
cause (see compare.py), each group with its message names, sample tags and a few examples:
one bug shows up as one group, however many samples it breaks.
"""

import json
from collections import Counter, defaultdict

from .papi import VERSION


class EventLog:
    """Records Results calls from a worker thread, to replay them in a fixed order."""

    def __init__(self):
        self.events = []
        self.counts = Counter()

    def add(self, *a, **k):
        self.events.append(("add", a, k))

    def note(self, *a, **k):
        self.events.append(("note", a, k))

    def replay(self, res):
        res.counts.update(self.counts)
        for what, a, k in self.events:
            getattr(res, what)(*a, **k)


class Results:
    """Counts, notes, and mismatches grouped by kind and cause (with up to `limit` examples each)."""

    def __init__(self, limit):
        self.limit = limit
        self.counts = Counter()
        self.groups = defaultdict(lambda: defaultdict(list))  # kind -> signature -> [example]
        self.group_counts = defaultdict(Counter)
        self.group_msgs = defaultdict(lambda: defaultdict(set))
        self.group_tags = defaultdict(lambda: defaultdict(Counter))
        self.notes = Counter()
        self.note_examples = {}
        self.kind_samples = defaultdict(set)

    def add(self, kind, sig, msg, example, tags=()):
        self.kind_samples[kind].add((msg, example.get("hex"), example.get("ours", "")[:40]))
        self.group_counts[kind][sig] += 1
        self.group_msgs[kind][sig].add(msg)
        for t in tags:
            self.group_tags[kind][sig][t] += 1
        if len(self.groups[kind][sig]) < self.limit:
            self.groups[kind][sig].append(example)

    def note(self, key, example=None):
        self.notes[key] += 1
        if example is not None and key not in self.note_examples:
            self.note_examples[key] = example

    def mismatches(self):
        """Mismatching samples, summed over kinds (a sample can count under two kinds)."""
        return sum(len(v) for v in self.kind_samples.values())


def short(obj, limit):
    s = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"), default=repr)
    if limit and len(s) > limit:
        return s[:limit] + "...(%d chars)" % len(s)
    return s


def papi_repr(v, limit):
    s = repr(v)
    if limit and len(s) > limit:
        return s[:limit] + "...(%d chars)" % len(s)
    return s


def print_preamble(seed, per_message, files, schema, papi_messages):
    print("papi-crosscheck: vpp_papi %s, seed %s, %d samples per message" % (VERSION, seed, per_message))
    print("schema: %d .api.json files, %d messages (vpp_papi built %d), %d typedefs, %d unions, %d enums "
          "(%d flag sets), %d aliases" % (len(files), len(schema.order), len(papi_messages), len(schema.types),
                                          len(schema.unions), len(schema.enums), len(schema.flagsets()),
                                          len(schema.aliases)))
    if schema.conflicts:
        print("schema conflicts (first definition used):", *schema.conflicts[:10], sep="\n  ")


def print_selftest(ok, bad, failures):
    print("normaliser self-test on public.jsonl: %d/%d vectors: papi unpack -> canonical == json, "
          "json -> papi pack == hex" % (ok, ok + bad))
    for f in failures[:10]:
        print("  SELFTEST FAILURE:", f)


def print_report(res, messages, samples, gen_time, elapsed, coverage, errors, max_chars):
    """The report after the run: totals, coverage, notes, internal errors, then every
    mismatch group with its examples."""
    print()
    print("messages checked: %d, samples: %d (python generation/papi %.1fs, total %.1fs)" % (
        messages, samples, gen_time, elapsed))
    c = res.counts
    print("decode: %d checked, %d equal, %d value mismatches, %d tool errors" % (
        c["decode checks"], c["decode ok"], c["decode mismatch"], c["decode failed"]))
    print("encode: %d checked, %d byte-identical, %d byte mismatches, %d tool errors" % (
        c["encode checks"], c["encode ok"], c["encode mismatch"], c["encode failed"]))
    print("  encode inputs: %d our decoded JSON, %d papi-derived JSON after a decode mismatch, "
          "%d partial (defaults/length fields omitted), %d lenient (README 3.10 forms)" % (
              c["encode checks: ours"], c["encode checks: expected"], c["encode checks: partial"],
              c["encode checks: lenient"]))
    print("sample coverage tags: " + ", ".join("%s=%d" % kv for kv in sorted(coverage.items())))
    if res.notes:
        print()
        print("notes (not counted as mismatches):")
        for k, n in sorted(res.notes.items(), key=lambda kv: -kv[1]):
            ex = res.note_examples.get(k)
            print("  %6d  %s%s" % (n, k, ("\n          e.g. " + short(ex, 300)) if ex else ""))
    if errors:
        print()
        print("INTERNAL ERRORS in this script (%d):" % len(errors))
        for e in errors[:5]:
            print(e)
    total_mismatch = res.mismatches()
    print()
    if not total_mismatch:
        print("MISMATCHES: none")
    else:
        print("MISMATCHES: %d (grouped by kind, then by cause: schema type @ JSON path, or error text)"
              % total_mismatch)
        for kind in sorted(res.group_counts):
            sigs = res.group_counts[kind]
            print()
            print("== %s: %d samples, %d messages" % (
                kind, len(res.kind_samples[kind]), len(set().union(*res.group_msgs[kind].values()))))
            for sig, n in sorted(sigs.items(), key=lambda kv: -kv[1]):
                msgs = sorted(res.group_msgs[kind][sig])
                tags = res.group_tags[kind][sig]
                print("  -- %s: %d samples in %d messages (%s%s)" % (
                    sig, n, len(msgs), ", ".join(msgs[:6]), ", ..." if len(msgs) > 6 else ""))
                if tags:
                    print("     sample tags: %s" % ", ".join(
                        "%s=%d" % kv for kv in sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))))
                for i, ex in enumerate(res.groups[kind][sig], 1):
                    print("     example %d: %s" % (i, ex["message"]))
                    print("       hex:      %s" % short(ex["hex"], max_chars))
                    if "ours_hex" in ex:
                        print("       our hex:  %s" % short(ex["ours_hex"], max_chars))
                    print("       papi:     %s" % ex["papi"])
                    print("       expected: %s" % ex["expected"])
                    print("       ours:     %s" % ex["ours"])
                    if "diff" in ex:
                        print("       diff:     %s" % ex["diff"])
    return total_mismatch
