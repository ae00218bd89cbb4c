"""Select the Endava rows for the French held-back and tune texts added on 2026-12-05.

Reproduces, auditably, the row choice described in ``knowledge_index/eval/real/README.md``
("French held-back texts added (2026-12-05)"):

1. read ``all_tickets.csv`` (blob ``7f19bfc2ecbdcc1d9a38a632002cb301fdd9baf4``; 0-based data rows);
2. drop empty titles, later copies of a title (the first row of a title is kept) and
   machine-generated mail (purchase orders, time-card reminders, "wants to access" requests,
   leaver and new-starter forms, newsletters, device alerts);
3. keep titles naming an IT topic (``TOPIC_WORDS``) and order them by
   ``sha256("endava-topical-<row>")``;
4. start after the last French text already in the set (row 2463 of the topical order),
   skip every row already used by either split (any ``endava-*-<row>`` id), and keep only
   rows held back by the split rule ``int(sha256("endava-row-<row>"), 16) % 100 < 40``
   (with ``--split tune``: only the rows the rule sends to the tune split, for the French tune
   texts added afterwards; ``ADDED_TUNE_ROWS``, ``SKIPPED_TUNE_ROWS``).

It prints the candidate rows with their English title, the first body words and what was done
with each (``ADDED_ROWS``, ``SKIPPED_ROWS``: the manual step), and checks that the added rows
are the first candidates in order. The script reads only ids from the split files, never their
texts or labels.

    python scripts/sample_french_heldout.py /path/to/all_tickets.csv [--split tune] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
from pathlib import Path

REAL_DIR = Path(__file__).resolve().parent.parent / "knowledge_index" / "eval" / "real"
SPLIT_FILES = ("tune.yaml", "heldout.yaml")
LAST_FRENCH_ROW = 2463  # the last French text of the original set in the topical order

MACHINE_MAIL = re.compile(
    r"\b(purchase|po|pas|time ?cards?|timecard|wants to access|leaver|starter|starters"
    r"|newsletter|notification|alert|alerts)\b"
)
TOPIC_WORDS = re.compile(
    r"\b(passwords?|locked|unlock|admin|mailbox(es)?|e?mail|outlook|calendar|distribution"
    r"|printers?|print(ing)?|scan(ner)?|toner|monitors?|screen|display|laptops?|computer|pc"
    r"|desktop|keyboard|mouse|headphones|headset|charger|docking|dock|cable|adapter|backpack"
    r"|bag|stand|cooler|ram|phone|mobile|licen[cs]es?|software|install(ation|ed)?|reinstall"
    r"|wireless|wifi|vpn|network|internet|folder|sharepoint|onedrive|backup|windows|upgrade"
    r"|virus|suspicious|spam|phishing|confluence|jira|visual studio|skype|socket|usb)\b"
)
# The manual step, recorded: candidates written in French (in candidate order) and those skipped
# because no help-desk agent could tell what is asked from them.
ADDED_ROWS: tuple[int, ...] = (
    2508,
    1570,
    4284,
    1581,
    285,
    5425,
    2878,
    2843,
    464,
    5131,
    3321,
    4622,
    3162,
    524,
    3549,
    1902,
    4662,
    2133,
    3127,
    223,
    2629,
    4911,
    1379,
    3167,
    1542,
    1118,
    2518,
    2952,
    294,
    2846,
    1404,
    259,
    2369,
    3158,
    3231,
    4151,
    1412,
    2273,
    2324,
    2402,
)
SKIPPED_ROWS: dict[int, str] = {
    3670: "'laptop for': title says nothing, body ('change ... right side keyboard') unclear",
    921: "'folder on': title says nothing",
    2979: "'adapter': one word alone",
}
# The same manual step for the French tune texts (rows the split rule sends to tune).
ADDED_TUNE_ROWS: tuple[int, ...] = (
    3786,
    4718,
    753,
    4423,
    508,
    2151,
    3885,
    1176,
    2899,
    1801,
    2277,
    4496,
    5270,
    3278,
    3896,
    2509,
    5081,
    5135,
    1427,
    574,
    2000,
    436,
    1382,
    3044,
    165,
    5144,
    1965,
    3299,
    858,
    2011,
    4931,
    1638,
    4119,
    2285,
    295,
    3064,
    5195,
    251,
    5316,
    386,
    3575,
    4122,
    4797,
    2671,
    373,
    3301,
    2561,
    3949,
    2202,
    4244,
    4364,
    1566,
    1462,
    4377,
    2802,
    1178,
    3101,
    3957,
    1225,
    3559,
    3172,
    4422,
    2421,
    1517,
    1920,
    3678,
    3496,
    4909,
    418,
    84,
    2527,
    5264,
    4446,
    5076,
    2771,
    1648,
    4172,
    352,
    3864,
    4841,
    94,
    4005,
    486,
    2985,
    4018,
    2310,
    4687,
    2430,
    4411,
    4436,
    3420,
    1335,
    3960,
    1124,
    1464,
    1850,
    3941,
    4645,
    258,
    463,
    5345,
    5335,
    1139,
    1647,
    2545,
    2242,
    4480,
    2302,
    4598,
    4226,
    1099,
)
SKIPPED_TUNE_ROWS: dict[int, str] = {
    3092: "'laptop en': the body says it is worn but works, nothing asked",
    2295: "'install' alone, the body names nothing",
    2284: "'admin' alone, the body says nothing",
    2249: "'mail committed spend', the body only 'please log assign'",
    4563: "a forwarded social-network digest, nothing asked",
    148: "'its area clean up en phone': garbled, the body only logs assets",
    4292: "'clearing clearing com admin change': anonymised words only",
    237: "'and upgrade for': what is to be upgraded was removed",
    2453: "'laptop and pc': two devices, no need; the body unreadable",
}
ID_RE = re.compile(r"\bendava-[a-z]+-(\d+)\b")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def held_back(row: int) -> bool:
    return int(digest(f"endava-row-{row}"), 16) % 100 < 40


def used_rows(added: tuple[int, ...], real_dir: Path = REAL_DIR) -> set[int]:
    """Rows used by either split before an addition (the added rows themselves excluded)."""
    rows: set[int] = set()
    for name in SPLIT_FILES:
        rows.update(int(m) for m in ID_RE.findall((real_dir / name).read_text(encoding="utf-8")))
    return rows - set(added)


def distinct_rows(tickets: list[dict[str, str]]) -> list[int]:
    seen: set[str] = set()
    kept: list[int] = []
    for row, ticket in enumerate(tickets):
        title = ticket["title"].strip()
        if not title or title in seen:
            continue
        seen.add(title)
        if MACHINE_MAIL.search(title):
            continue
        kept.append(row)
    return kept


def topical_order(tickets: list[dict[str, str]]) -> list[int]:
    rows = [r for r in distinct_rows(tickets) if TOPIC_WORDS.search(tickets[r]["title"])]
    return sorted(rows, key=lambda r: digest(f"endava-topical-{r}"))


def candidates(tickets: list[dict[str, str]], used: set[int], *, tune: bool = False) -> list[int]:
    order = topical_order(tickets)
    start = order.index(LAST_FRENCH_ROW) + 1
    return [r for r in order[start:] if r not in used and held_back(r) != tune]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--split", choices=("heldout", "tune"), default="heldout")
    parser.add_argument("--limit", type=int, default=80)
    args = parser.parse_args()
    with args.csv.open(newline="", encoding="utf-8") as handle:
        tickets = list(csv.DictReader(handle))
    tune = args.split == "tune"
    added, skipped = (ADDED_TUNE_ROWS, SKIPPED_TUNE_ROWS) if tune else (ADDED_ROWS, SKIPPED_ROWS)
    out = sys.stdout
    rows = candidates(tickets, used_rows(added), tune=tune)
    out.write(f"rows {len(tickets)}, distinct non-machine titles {len(distinct_rows(tickets))}, ")
    out.write(f"{args.split} topical candidates after row {LAST_FRENCH_ROW}: {len(rows)}\n")
    for row in rows[: args.limit]:
        if row in added:
            status = "added"
        elif row in skipped:
            status = f"skipped ({skipped[row]})"
        else:
            status = "not reached"
        body = " ".join(tickets[row]["body"].split()[:12])
        out.write(f"{row}\t{status}\t{tickets[row]['title']}\t| {body}\n")
    taken = [row for row in rows if row in added or row in skipped]
    if tuple(r for r in rows[: len(taken)] if r in added) != added:
        sys.exit("the added rows are not the first candidates in order")


if __name__ == "__main__":
    main()
