#!/usr/bin/env python3
"""Check an .xlsb made by make-xlsb.py against its .xlsx, cell by cell, with an independent reader.

Usage: python3 scripts/check-xlsb.py IN.xlsx OUT.xlsb   (needs openpyxl and pyxlsb)
"""
import sys

import datetime

import openpyxl
import pyxlsb
from openpyxl.utils.datetime import to_excel

# pyxlsb gives an error cell as its BErr code in hex
ERRORS = {"0x0": "#NULL!", "0x7": "#DIV/0!", "0xf": "#VALUE!", "0x17": "#REF!",
          "0x1d": "#NAME?", "0x24": "#NUM!", "0x2a": "#N/A"}


def xlsx_cells(path):
    wb = openpyxl.load_workbook(path, data_only=True)
    return {ws.title: {(c.row - 1, c.column - 1): c.value for row in ws.iter_rows() for c in row
                       if c.value is not None and c.value != ""}
            for ws in wb.worksheets}


def xlsb_cells(path):
    with pyxlsb.open_workbook(path) as wb:
        out = {}
        for name in wb.sheets:
            with wb.get_sheet(name) as ws:
                out[name] = {(c.r, c.c): c.v for row in ws.rows(sparse=True) for c in row
                             if c.v is not None}
        return out


def main(xlsx, xlsb):
    want, got = xlsx_cells(xlsx), xlsb_cells(xlsb)
    bad = []
    if list(want) != list(got):
        bad.append("sheet names %s != %s" % (list(want), list(got)))
    for name, cells in want.items():
        other = got.get(name, {})
        for pos in sorted(set(cells) | set(other)):
            a, b = cells.get(pos), other.get(pos)
            if isinstance(a, (datetime.date, datetime.datetime)):
                a = to_excel(a)  # .xlsb keeps a date as its serial number
            if isinstance(a, str) and a.startswith("#"):
                b = ERRORS.get(b, b)
            # pyxlsb gives every number as a float; a number must equal, text must be identical
            same = (a == b and type(a) is type(b)) if isinstance(a, (str, bool)) else (
                isinstance(b, float) and not isinstance(a, bool) and a == b)
            if not same:
                bad.append("%s R%dC%d: xlsx %r, xlsb %r" % (name, pos[0] + 1, pos[1] + 1, a, b))
    n = sum(len(c) for c in want.values())
    print("%d sheets, %d cells compared, %d differences" % (len(want), n, len(bad)))
    for line in bad:
        print("  " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
