#!/usr/bin/env python3
"""Convert an .xlsx into an Excel Binary Workbook (.xlsb) holding the same cell values.

Usage: python3 scripts/make-xlsb.py IN.xlsx OUT.xlsb   (needs openpyxl: pip install openpyxl)

Developers only: it makes the committed fixture tests/fixtures/371321-沂南县-2026-10.xlsb, because
no Rust crate writes .xlsb and LibreOffice only reads it. It follows [MS-XLSB]: BIFF12 records
(variable-length type and size) in zip parts. Values only: formulas are written as their cached
results, formatting is dropped except a date style for date cells; merged ranges are kept.
"""
import datetime
import struct
import sys
import zipfile

import openpyxl
from openpyxl.utils.datetime import to_excel


def rec(typ, body=b""):
    """One BIFF12 record: type in 1-2 bytes and size in 1-4 bytes, 7 bits per byte (2.1.4)."""
    head = bytearray([typ]) if typ < 0x80 else bytearray([(typ & 0x7F) | 0x80, typ >> 7])
    size = len(body)
    while True:
        head.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            return bytes(head) + body


def u32(*vals):
    return struct.pack("<%dI" % len(vals), *vals)


def wstr(s):
    """XLWideString: character count, then UTF-16LE (counted in UTF-16 units, not code points)."""
    data = s.encode("utf-16-le")
    return u32(len(data) // 2) + data


def cell(col, style=0):
    """The Cell structure (2.5.9) every cell record starts with: column, 24-bit style index, flags."""
    return u32(col) + struct.pack("<I", style & 0xFFFFFF)


# BErr codes (2.5.97.2) for error values, which openpyxl hands back as their text.
ERRORS = {"#NULL!": 0x00, "#DIV/0!": 0x07, "#VALUE!": 0x0F, "#REF!": 0x17,
          "#NAME?": 0x1D, "#NUM!": 0x24, "#N/A": 0x2A}
DATE_XF = 1  # cell XF 1 uses built-in number format 14 (a date), so readers see dates as dates


def cell_record(col, c, strings):
    v = c.value
    if c.data_type == "e" and v in ERRORS:
        return rec(0x0003, cell(col) + bytes([ERRORS[v]]))           # BrtCellError
    if isinstance(v, bool):
        return rec(0x0004, cell(col) + bytes([int(v)]))              # BrtCellBool
    if isinstance(v, (datetime.datetime, datetime.date)):
        return rec(0x0005, cell(col, DATE_XF) + struct.pack("<d", to_excel(v)))  # BrtCellReal
    if isinstance(v, (int, float)):
        # Excel stores whole numbers that fit in 30 bits as RK (2.5.122), as calamine meets them
        # in real files; everything else as an 8-byte float.
        if float(v).is_integer() and -(1 << 29) <= v < (1 << 29):
            return rec(0x0002, cell(col) + struct.pack("<i", (int(v) << 2) | 2))  # BrtCellRk
        return rec(0x0005, cell(col) + struct.pack("<d", v))         # BrtCellReal
    if isinstance(v, str):
        # All text goes through the shared string table (BrtCellIsst), as Excel writes it;
        # pyxlsb, used to check the output, cannot read inline BrtCellSt.
        idx = strings.setdefault(v, len(strings))
        strings.refs += 1
        return rec(0x0007, cell(col) + u32(idx))                     # BrtCellIsst
    raise SystemExit("unsupported value %r in %s" % (v, c.coordinate))


def sheet_part(ws, strings):
    rows, bounds = [], None
    for row in ws.iter_rows():
        recs = [(c.column - 1, cell_record(c.column - 1, c, strings))
                for c in row if c.value is not None and c.value != ""]
        if not recs:
            continue  # blank cells and empty rows are not written at all
        r, c1, c2 = row[0].row - 1, recs[0][0], recs[-1][0]
        bounds = (r, r, c1, c2) if bounds is None else (
            min(bounds[0], r), r, min(bounds[2], c1), max(bounds[3], c2))
        # BrtRowHdr: row, style, height 300 twips (15 pt), flags, one column span.
        hdr = u32(r, 0) + struct.pack("<HHB", 300, 0, 0) + u32(1, c1, c2)
        rows.append(rec(0x0000, hdr) + b"".join(x for _, x in recs))
    r1, r2, c1, c2 = bounds or (0, 0, 0, 0)
    out = [rec(0x0081),                                # BrtBeginSheet
           rec(0x0094, u32(r1, r2, c1, c2)),           # BrtWsDim (calamine requires it)
           rec(0x0091), *rows, rec(0x0092)]            # BrtBeginSheetData ... BrtEndSheetData
    merges = list(ws.merged_cells.ranges)
    if merges:
        out.append(rec(0x00B1, u32(len(merges))))      # BrtBeginMergeCells
        out += [rec(0x00B0, u32(m.min_row - 1, m.max_row - 1, m.min_col - 1, m.max_col - 1))
                for m in merges]                       # BrtMergeCell
        out.append(rec(0x00B2))                        # BrtEndMergeCells
    out.append(rec(0x0082))                            # BrtEndSheet
    return b"".join(out)


def color_rgb(r, g, b):
    """BrtColor (2.4.334) as an ARGB colour: fValidRGB=1, xColorType=2."""
    return bytes([0x05, 0, 0, 0, r, g, b, 0xFF])


def styles_part():
    """A minimal styles part: 1 font, the 2 fills Excel insists on, 1 border, the Normal style,
    cell XF 0 (General) and cell XF 1 (date)."""
    auto = bytes(8)                                                    # BrtColor, automatic
    font = (struct.pack("<HHHHBBBB", 220, 0, 400, 0, 0, 2, 134, 0)    # 11 pt, normal, GB2312
            + color_rgb(0, 0, 0) + bytes([0]) + wstr("宋体"))
    def fill(pattern):
        idx = lambda i: bytes([0x02, i, 0, 0, 0, 0, 0, 0])              # indexed (system) colours
        return u32(pattern) + idx(64) + idx(65) + u32(0) + bytes(40) + u32(0)
    border = bytes([0]) + (bytes([0, 0]) + auto) * 5
    def xf(parent, fmt):
        # alcv=bottom (2<<3) and fLocked (1<<12): Excel's defaults
        return struct.pack("<HHHHHBBHH", parent, fmt, 0, 0, 0, 0, 0, 0x1010, 0)
    parts = [
        # calamine 0.38 walks this part without skipping the bodies of records it does not
        # know, so it also reads the font/fill/border bytes below as record types; none of them
        # happens to look like BrtBeginFmts or BrtBeginCellXFs. Keep it that way when editing.
        rec(0x0116),                                                   # BrtBeginStyleSheet
        rec(0x0263, u32(1)), rec(0x002B, font), rec(0x0264),           # fonts
        rec(0x025B, u32(2)), rec(0x002D, fill(0)), rec(0x002D, fill(0x11)), rec(0x025C),  # fills
        rec(0x0265, u32(1)), rec(0x002E, border), rec(0x0266),         # borders
        rec(0x0272, u32(1)), rec(0x002F, xf(0xFFFF, 0)), rec(0x0273),  # cell style XFs
        rec(0x0269, u32(2)), rec(0x002F, xf(0, 0)), rec(0x002F, xf(0, 14)), rec(0x026A),  # cell XFs
        rec(0x026B, u32(1)),                                           # BrtBeginStyles
        rec(0x0030, u32(0) + struct.pack("<HBB", 1, 0, 0xFF) + wstr("Normal")),  # BrtStyle
        rec(0x026C),                                                   # BrtEndStyles
        rec(0x0117),                                                   # BrtEndStyleSheet
    ]
    return b"".join(parts)


REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
CT = "application/vnd.ms-excel."


class Strings(dict):
    """Shared string table: text -> index, plus the number of cells using it (BrtBeginSst)."""
    refs = 0


def main(src, dst):
    wb = openpyxl.load_workbook(src, data_only=True)  # data_only: formulas give cached values
    strings, sheets = Strings(), []
    for ws in wb.worksheets:
        sheets.append((ws.title, ws.sheet_state, sheet_part(ws, strings)))
    sst = (rec(0x009F, u32(strings.refs, len(strings)))
           + b"".join(rec(0x0013, b"\x00" + wstr(s)) for s in strings)  # BrtSSTItem, plain
           + rec(0x00A0))
    states = {"visible": 0, "hidden": 1, "veryHidden": 2}
    book = [rec(0x0083),                                   # BrtBeginBook
            rec(0x0099, u32(0, 0) + wstr("")),             # BrtWbProp: 1900 dates
            rec(0x008F)]                                   # BrtBeginBundleShs
    for i, (name, state, _) in enumerate(sheets, 1):
        book.append(rec(0x009C, u32(states[state], i) + wstr("rId%d" % i) + wstr(name)))  # BrtBundleSh
    book += [rec(0x0090), rec(0x0084)]                     # BrtEndBundleShs, BrtEndBook
    n = len(sheets)
    wb_rels = "".join('<Relationship Id="rId%d" Type="%sworksheet" Target="worksheets/sheet%d.bin"/>'
                      % (i, REL, i) for i in range(1, n + 1))
    wb_rels += ('<Relationship Id="rId%d" Type="%ssharedStrings" Target="sharedStrings.bin"/>'
                '<Relationship Id="rId%d" Type="%sstyles" Target="styles.bin"/>'
                % (n + 1, REL, n + 2, REL))
    overrides = "".join('<Override PartName="/xl/worksheets/sheet%d.bin" ContentType="%sworksheet"/>'
                        % (i, CT) for i in range(1, n + 1))
    xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    rels_ns = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        def put(name, data):  # fixed timestamps: the same input gives the same bytes
            zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        put("[Content_Types].xml", xml +
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.bin" ContentType="%ssheet.binary.macroEnabled.main"/>'
                   '%s<Override PartName="/xl/sharedStrings.bin" ContentType="%ssharedStrings"/>'
                   '<Override PartName="/xl/styles.bin" ContentType="%sstyles"/></Types>'
                   % (CT, overrides, CT, CT))
        put("_rels/.rels", xml + '<Relationships %s><Relationship Id="rId1" '
                   'Type="%sofficeDocument" Target="xl/workbook.bin"/></Relationships>' % (rels_ns, REL))
        put("xl/workbook.bin", b"".join(book))
        put("xl/_rels/workbook.bin.rels", xml + "<Relationships %s>%s</Relationships>" % (rels_ns, wb_rels))
        for i, (_, _, data) in enumerate(sheets, 1):
            put("xl/worksheets/sheet%d.bin" % i, data)
        put("xl/sharedStrings.bin", sst)
        put("xl/styles.bin", styles_part())


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
