#!/usr/bin/env python3
"""Builds the hostile and the big-but-honest files that `make bench-intake` feeds to
`yuebao validate` one at a time, measuring peak memory and time (developers; not run by CI).

    python3 scripts/hostile-files.py OUT_DIR

Stdlib only. Every file is built here from scratch or from the committed demo month, so the
set can be rebuilt on any machine. Sizes are chosen against the default limits: 50 MB per file,
200 MB inflated, 2,000,000 cells.
"""
import io, os, pathlib, shutil, subprocess, sys, tempfile, zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
MB = 1 << 20

CT = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      b'<Default Extension="xml" ContentType="application/xml"/>'
      b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
      b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
      b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
      b'</Types>')
RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        b'</Relationships>')
WB = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
      b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
      b'<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WB_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
           b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
           b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
           b'</Relationships>')
SHEET_HEAD = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_TAIL = b'</sheetData></worksheet>'


def col(n):
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def xlsx(path, sheet_chunks, shared=None, tail=None):
    """An xlsx whose sheet XML is streamed from `sheet_chunks` (bytes pieces); `tail` pieces
    follow </sheetData> (merged ranges)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WB)
        z.writestr("xl/_rels/workbook.xml.rels", WB_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as w:
            w.write(SHEET_HEAD)
            for chunk in sheet_chunks:
                w.write(chunk)
            if tail is None:
                w.write(SHEET_TAIL)
            else:
                w.write(b"</sheetData>")
                for chunk in tail:
                    w.write(chunk)
                w.write(b"</worksheet>")
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as w:
            w.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for chunk in (shared or []):
                w.write(chunk)
            w.write(b"</sst>")


def cells_rows(n_cells, per_row=50):
    """Numeric cells, `per_row` to a row."""
    rows = (n_cells + per_row - 1) // per_row
    buf = io.BytesIO()
    for r in range(rows):
        buf.write(b'<row r="%d">' % (r + 1))
        for c in range(min(per_row, n_cells - r * per_row)):
            buf.write(b'<c r="%s%d"><v>%d</v></c>' % (col(c).encode(), r + 1, c))
        buf.write(b"</row>")
        if buf.tell() > 4 * MB:
            yield buf.getvalue()
            buf = io.BytesIO()
    yield buf.getvalue()


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)

    # 1 GB of sheet XML in a ~1 MB zip, sizes told honestly.
    filler = b'<row r="1"/>' * (MB // 12)
    xlsx(out / "bomb-1gb.xlsx", (filler for _ in range(1024)))
    # The same bomb with its sizes rewritten to lie (only inflating finds out).
    data = bytearray((out / "bomb-1gb.xlsx").read_bytes())
    i = 0
    while True:
        i = data.find(b"PK\x01\x02", i)
        if i < 0:
            break
        data[i + 24:i + 28] = (1000).to_bytes(4, "little")
        i += 4
    (out / "bomb-1gb-lying.xlsx").write_bytes(bytes(data))
    # 2.5 million tiny shared strings (more than the cell limit) in 200 MB of XML.
    xlsx(out / "shared-strings-2.5m.xlsx", [b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'],
         (b"<si><t>%d</t></si>" % i for i in range(2_500_000)))
    # 1.9 million shared strings: under the limits, so calamine keeps them all.
    xlsx(out / "shared-strings-1.9m.xlsx", [b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'],
         (b"<si><t>%d</t></si>" % i for i in range(1_900_000)))
    # 4 million merged ranges (150 MB of XML, under the inflation limit): a sheet of nothing.
    def merges():
        yield b'<mergeCells count="4000000">'
        for block in range(40):
            yield b"".join(b'<mergeCell ref="A%d:B%d"/>' % (r, r) for r in range(block * 100000 + 1, block * 100000 + 100001))
        yield b"</mergeCells>"
    xlsx(out / "merges-4m.xlsx", [b'<row r="1"><c r="A1"><v>1</v></c></row>'], tail=merges())
    # 1.9 million numeric cells: an honest, huge sheet under the cell limit.
    xlsx(out / "cells-1.9m.xlsx", cells_rows(1_900_000))
    # 2.1 million: over the cell limit.
    xlsx(out / "cells-2.1m.xlsx", cells_rows(2_100_000))

    # A 50 MB CSV that is one long line of fields; and one endless field.
    (out / "one-line-50mb.csv").write_bytes(b"1," * (26 * 1000 * 1000 - 1) + b"1")
    (out / "one-field-49mb.csv").write_bytes(b"x" * (49 * MB))
    # A 49 MB HTML table of tiny cells, and UTF-16 tab-separated text of 49 MB.
    with open(out / "html-49mb.xls", "wb") as f:
        f.write(b"<html><body><table>")
        row = b"<tr>" + b"<td>1</td>" * 100 + b"</tr>"
        for _ in range(49 * MB // len(row)):
            f.write(row)
        f.write(b"</table></body></html>")
    with open(out / "unicode-text-49mb.txt", "wb") as f:
        f.write(b"\xff\xfe")
        line = ("1\t" * 99 + "1\r\n").encode("utf-16-le")
        for _ in range(49 * MB // len(line)):
            f.write(line)
    # Deeply nested tables and a span the size of a sheet.
    (out / "nested-tables.html").write_bytes(b"<table><tr><td>" * 200_000 + b"x")
    (out / "huge-spans.html").write_bytes(b"<table>" + b'<tr><td colspan="1000" rowspan="65534">x</td></tr>' * 20_000 + b"</table>")

    # An .ods whose one cell repeats across a whole row, a million rows down.
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
               '<office:body><office:spreadsheet><table:table table:name="S">'
               '<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="1024" office:value-type="float" office:value="1"/></table:table-row>'
               '</table:table></office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(out / "repeated-cells.ods", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                   '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                   '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')

    # Honest but large: the county form with a value at XFD1048576 … as xls, IV65536 is the
    # farthest cell; LibreOffice saves it (skipped when LibreOffice is absent).
    if shutil.which("soffice"):
        with tempfile.TemporaryDirectory() as tmp:
            src = pathlib.Path(tmp) / "far-cell-iv65536.xlsx"
            xlsx(src, [b'<row r="1"><c r="A1"><v>1</v></c></row><row r="65536"><c r="IV65536"><v>1</v></c></row>'])
            subprocess.run(["soffice", "--headless", "--convert-to", "xls", "--outdir", str(out), str(src)],
                           check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    xlsx(out / "far-cell-xfd1048576.xlsx", [b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'])

    # Files of the wrong kind, cut short, or empty.
    good = (ROOT / "sample-data/371302-兰山区-2026-10.xlsx").read_bytes()
    (out / "truncated.xlsx").write_bytes(good[: len(good) // 2])
    (out / "empty.xlsx").write_bytes(b"")
    (out / "print.pdf.xlsx").write_bytes(b"%PDF-1.4\n%%EOF\n")
    shutil.copy(ROOT / "tests/fixtures/encrypted-password.xlsx", out / "encrypted.xlsx")
    shutil.copy(ROOT / "tests/fixtures/corrupt-huge-dimension.xls", out / "corrupt-huge-dimension.xls")
    shutil.copy(ROOT / "tests/fixtures/corrupt-sheet-xml.xlsx", out / "corrupt-sheet-xml.xlsx")
    for f in sorted(out.iterdir()):
        print(f"{f.stat().st_size / MB:9.1f} MB  {f.name}")


if __name__ == "__main__":
    main()
