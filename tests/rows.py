"""rows.py - writing result rows from Python: the format of tests/rows.sh, which tells what a
row is (SUITE, TEST, STATUS, GIVEN, DESCRIPTION, HINT, SECONDS; tab-separated, with
backslashes, tabs and newlines escaped as \\\\, \\t and \\n), for the kit's Python parts.

    row(path, suite, test, status, given, desc, hint="", seconds="")   appends one row
    line(suite, test, status, given, desc, hint="", seconds="")        the row, as text
    Checks(suite)     for a check of tests/checks/: rows go to $ROWS (tests/check sets it;
                      by hand, a new file build/results/SUITE.by-hand.tsv); .passed(),
                      .failed(), .skipped() write them, .done() prints them (tests/report)
                      and returns its exit status
    read(path), lines(path), head(path, n), tail(path, n)
                      a file's text; its lines; its first / last n lines as one string
    read_rubric(path) the grader's rubric (tests/grader/rubric): {(LESSON, TEST): (points,
                      group)}, in file order
    suite_lessons(dir), list_tests(suite)
                      the lessons with a suite NN-name.sh in dir; a suite's tests (see below)
"""

import glob
import os
import re
import subprocess

KIT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def field(text):
    return str(text).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def line(suite, test, status, given, desc, hint="", seconds=""):
    fields = "\t".join(field(f) for f in (suite, test, status, given, desc, hint))
    return f"{fields}\t{seconds}\n"


def row(path, suite, test, status, given, desc, hint="", seconds=""):
    # Text from logs may not be UTF-8: its bytes go into the row unchanged (surrogateescape).
    with open(path, "a", encoding="utf-8", errors="surrogateescape") as f:
        f.write(line(suite, test, status, given, desc, hint, seconds))


def read_rubric(path):
    """LESSON TEST -> (points, group), in file order (malformed lines left out)."""
    rubric = {}
    with open(path, encoding="utf-8") as f:
        for text in f:
            w = text.split("#", 1)[0].split()
            if len(w) == 4 and w[2].isdigit():
                rubric[(w[0], w[1])] = (int(w[2]), w[3])
    return rubric


def read(path):
    """A file's text ('' when it cannot be read), its bytes that are not UTF-8 kept as they are."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
            return f.read()
    except OSError:
        return ""


def lines(path):
    """A file's lines, each with its newline (the last one may have none)."""
    parts = read(path).split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def head(path, n):
    return "".join(lines(path)[:n])


def tail(path, n):
    return "".join(lines(path)[-n:])


class Checks:
    def __init__(self, suite):
        self.suite, self.n = suite, 0
        self.path = os.environ.get("ROWS")
        if not self.path:
            os.makedirs(f"{KIT}/build/results", exist_ok=True)
            self.path = f"{KIT}/build/results/{suite}.by-hand.tsv"
            open(self.path, "w").close()

    def add(self, status, desc, hint, name):
        # NAME defaults to checkN: the Nth row this check writes.
        self.n += 1
        row(self.path, self.suite, name or f"check{self.n}", status, 0, desc, hint)

    def passed(self, desc, name=None):
        self.add("pass", desc, "", name)

    def failed(self, desc, hint, name=None):
        self.add("fail", desc, hint, name)

    def skipped(self, desc, why, name=None):
        self.add("skip", desc, why, name)

    def done(self):
        return subprocess.call([f"{KIT}/tests/report", "show", "--label", self.suite, self.path])


# ---- the lesson suites (tests/NN-name.sh) ---------------------------------------------

TEST_RE = re.compile(r"^\s*(?:function\s+)?(test[A-Za-z0-9_]*)\s*\(\)")
DESCRIBE_RE = re.compile(r'(?:^|[{;])\s*describe\s+"(.*?)"\s*(?:;.*)?$')
NEEDS_RE = re.compile(r"(?:^|;)\s*needs\s+([^;#]*)")
SLOW_RE = re.compile(r"(?:^|;)\s*slow\s*(?:$|[;#])")


def suite_lessons(suites):
    return [os.path.basename(s)[:-3] for s in sorted(glob.glob(f"{suites}/[0-9][0-9]-*.sh"))]


def list_tests(suite):
    """[(test, [needed tests], description, slow)] for each test function of SUITE, in file
    order (shunit2's own): the words of its `needs` lines, the text of its `describe` line,
    and whether it says `slow`."""
    tests = []
    with open(suite, encoding="utf-8", errors="surrogateescape") as f:
        for text in f:
            m = TEST_RE.match(text)
            if m:
                tests.append([m.group(1), [], "", False])
            if not tests:
                continue
            m = DESCRIBE_RE.search(text)
            if m and not tests[-1][2]:
                tests[-1][2] = m.group(1).replace('\\"', '"')
            m = NEEDS_RE.search(text)
            if m:
                tests[-1][1] += m.group(1).split()
            if SLOW_RE.search(text):
                tests[-1][3] = True
    return [(t, needs, desc or t, slow) for t, needs, desc, slow in tests]
