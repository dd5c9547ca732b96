#!/usr/bin/env python3
"""The month as a user would script it with pandas + openpyxl, for `make bench` to time beside
yuebao and its floor (scripts/bench.sh): read every county workbook, find the form's table by
its row of column numbers 1 … 21, check every figure (a non-negative whole number), the nine
栏目关系 on every row and the 合计 against the sum of the rows, then roll the accepted sheets of
one month up into one workbook per city, one per province and, when the files span several
provinces, one for the nation (a county's city is its code's first four digits, its province
the first two).

Usage: pandas_rollup.py PERIOD OUT_DIR DIR…   (PERIOD as 2026-10)
"""
import os
import re
import sys
from collections import defaultdict

import numpy as np
import pandas as pd

RULES = [(1, 2), (2, 3), (2, 4), (7, 8), (10, 11), (10, 12), (13, 14), (15, 16), (15, 17)]
WIDTH = 21
NUMBERS = np.arange(1, WIDTH + 1, dtype=float)
FOOTER = ("栏目关系", "备注", "单位负责人", "填表人")
UNIT = re.compile(r"(\d{6})")
PERIOD = re.compile(r"(\d{4})\s*[年.\-/]\s*(\d{1,2})")


def table(sheet: pd.DataFrame):
    """(header row, first column) of the column-number row, or None."""
    nums = sheet.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    rows, cols = nums.shape
    for r in range(rows):
        hits = np.flatnonzero(nums[r] == 1.0)
        for c in hits:
            if c + WIDTH <= cols and np.array_equal(nums[r, c:c + WIDTH], NUMBERS):
                return r, c
    return None


def check(path: str):
    """(region code, period, total row, findings) of one workbook's first form sheet."""
    findings = []
    sheets = pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
    for name, sheet in sheets.items():
        loc = table(sheet)
        if loc is None:
            continue
        r0, c0 = loc
        above = " ".join(str(v) for v in sheet.iloc[:r0].to_numpy().ravel() if isinstance(v, str))
        unit = UNIT.search(above)
        period = PERIOD.search(above)
        code = unit.group(1) if unit else os.path.basename(path)[:6]
        when = f"{int(period.group(1)):04d}-{int(period.group(2)):02d}" if period else None
        raw = sheet.to_numpy(dtype=object)
        figures = sheet.iloc[:, c0:c0 + WIDTH].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        data, total = [], None
        for r in range(r0 + 1, len(raw)):
            label = "".join(str(v) for v in raw[r, :c0] if isinstance(v, str)).replace(" ", "")
            if any(f in label for f in FOOTER):
                break
            cells = raw[r, c0:c0 + WIDTH]
            blank = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in cells])
            if blank.all() and not label:
                continue
            values = figures[r]
            unread = np.isnan(values) & ~blank
            values = np.nan_to_num(values)
            if unread.any() or (values < 0).any() or (values != np.floor(values)).any():
                findings.append(f"{path}:{name}: row {r + 1}: not a count")
            for a, b in RULES:
                if values[a - 1] < values[b - 1]:
                    findings.append(f"{path}:{name}: row {r + 1}: ({a}) < ({b})")
            if "合计" in label:
                total = values
            else:
                data.append(values)
        if total is None:
            total = np.sum(data, axis=0) if data else np.zeros(WIDTH)
        elif data and not np.array_equal(total, np.sum(data, axis=0)):
            findings.append(f"{path}:{name}: 合计 is not the sum of the rows")
        return code, when, total, findings
    return None, None, None, [f"{path}: no table"]


def main():
    period, out, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out, exist_ok=True)
    paths = sorted(os.path.join(d, f) for d in dirs for f in os.listdir(d) if f.endswith((".xlsx", ".xls", ".ods")))
    cities = defaultdict(dict)
    problems = 0
    for p in paths:
        code, when, total, findings = check(p)
        problems += len(findings)
        if code and when == period and total is not None and not findings:
            cities[code[:4] + "00"][code] = total
    columns = [f"({k})" for k in range(1, WIDTH + 1)]
    provinces = defaultdict(dict)
    books = 0

    def book(rows, name):
        nonlocal books
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
        frame.loc["合计"] = frame.sum()
        frame.to_excel(os.path.join(out, f"{name}-{period}.xlsx"), engine="openpyxl")
        books += 1
        return frame.loc["合计"].to_numpy()

    for city, counties in sorted(cities.items()):
        provinces[city[:2] + "0000"][city] = book(counties, city)
    nation = {p: book(rows, p) for p, rows in sorted(provinces.items())}
    if len(nation) > 1:
        book(nation, "000000")
    print(f"{len(paths)} files, {problems} findings, {books} workbooks")


if __name__ == "__main__":
    main()
