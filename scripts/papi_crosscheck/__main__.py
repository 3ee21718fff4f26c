"""The command line: `python -m papi_crosscheck [options]`, run from scripts/ (see __init__.py).

Parses the options, loads the schema and vpp_papi, self-tests the normaliser, then makes the
samples of each message in the main thread (vpp_papi and the random generator, in message
order: that is what makes a seed reproducible) while a thread pool runs our CLI on the
messages already made (the processes are the slow part), and prints the report. Exit status:
0 when everything matches, 1 on any mismatch (or self-test failure, or internal error of this
check), 2 on set-up errors (our CLI missing, vpp_papi not importable).
"""

import argparse
import os
import re
import sys
import time
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from . import __doc__ as OVERVIEW
from . import papi
from .report import Results, print_preamble, print_report, print_selftest
from .samples import SampleMaker, selftest
from .schema import Schema, api_files
from .tool import ToolChecker

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args():
    ap = argparse.ArgumentParser(prog="python -m papi_crosscheck", description=OVERVIEW.split("\n\n")[0])
    ap.add_argument("--per-message", type=int, default=20, help="random samples per message (default 20)")
    ap.add_argument("--seed", default="1", help="random seed (default 1); runs are deterministic")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(REPO), "shared"),
                    help="the shared ground-truth folder (default: ../shared beside the repository)")
    ap.add_argument("--bin", default=os.path.join(REPO, ".build-papi/debug/vpp-gateway"),
                    help="our CLI (default .build-papi/debug/vpp-gateway)")
    ap.add_argument("--messages", default=None, help="only messages matching this regular expression")
    ap.add_argument("--jobs", type=int, default=max(2, (os.cpu_count() or 2) * 2),
                    help="parallel tool processes")
    ap.add_argument("--full-schema", action="store_true",
                    help="give our tool every API folder (slow: ~0.5 s per process) instead of only the "
                         "message's own .api.json (which repeats every type it imports)")
    ap.add_argument("--header", choices=("fixed", "random"), default="fixed",
                    help="fixed: client_index 0 / context 0x11223344 (default); random: per-message values")
    ap.add_argument("--valid-prefix-len", action="store_true",
                    help="never generate prefix lengths above 32 (IPv4) / 128 (IPv6); by default about 3%% of "
                         "prefixes get a length up to 255, which the wire (u8) and vpp_papi allow")
    ap.add_argument("--examples", type=int, default=3, help="examples per mismatch group (default 3)")
    ap.add_argument("--max-chars", type=int, default=1500, help="truncate printed JSON/papi values (0: never)")
    return ap.parse_args()


def main():
    args = parse_args()
    t0 = time.time()
    if not os.path.exists(args.bin):
        sys.stderr.write("papi-crosscheck: %s missing; build it with\n  swift build --scratch-path .build-papi "
                         "--product vpp-gateway\n" % args.bin)
        return 2
    files = api_files(args.shared)
    schema = Schema(files)
    papi.quiet_logging()
    papi.patch_enum_unpack()
    papi_messages = papi.load_messages(files)
    res = Results(args.examples)
    maker = SampleMaker(schema, papi_messages, res, args.seed, args.per_message,
                        random_header=args.header == "random", valid_prefix_len=args.valid_prefix_len)
    checker = ToolChecker(schema, papi_messages, args.bin, args.shared, args.full_schema, args.max_chars,
                          maker.msg_ids, maker.headers)

    print_preamble(args.seed, args.per_message, files, schema, papi_messages)
    ok, bad, failures = selftest(schema, papi_messages, args.shared)
    print_selftest(ok, bad, failures)

    names = [n for n in schema.order if not args.messages or re.search(args.messages, n)]
    for n in names:
        if n not in papi_messages:
            res.note("message unknown to vpp_papi (skipped)", n)
    names = [n for n in names if n in papi_messages]

    gen_time = 0.0
    n_samples = 0
    coverage = Counter()
    errors = []

    def work(name, samples):
        try:
            return checker.check_message(name, samples)
        except Exception:
            errors.append("%s: %s" % (name, traceback.format_exc()))
            return None

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = []
        for name in names:
            t = time.time()
            try:
                samples = maker.make_samples(name)
            except Exception:
                errors.append("%s (generation): %s" % (name, traceback.format_exc()))
                continue
            gen_time += time.time() - t
            n_samples += len(samples)
            for smp in samples:
                coverage.update(smp.tags)
                coverage["mode:" + smp.mode] += 1
            futures.append(pool.submit(work, name, samples))
        for f in futures:
            log = f.result()
            if log is not None:
                log.replay(res)

    mismatches = print_report(res, len(names), n_samples, gen_time, time.time() - t0, coverage, errors,
                              args.max_chars)
    return 1 if (mismatches or errors or bad) else 0


if __name__ == "__main__":
    sys.exit(main())
