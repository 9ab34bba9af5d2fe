#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""One closing line over meson test logs: 'N passed, N failed'."""
import json
import sys

passed = failed = skipped = 0
for build in sys.argv[1:]:
    with open(f"{build}/meson-logs/testlog.json") as f:
        for line in f:
            r = json.loads(line)
            if r["result"] in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r["result"] == "SKIP":
                skipped += 1
            else:
                failed += 1
                print(f"FAILED: {build}: {r['name']} ({r['result']})")
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed or skipped or passed == 0 else 0)
