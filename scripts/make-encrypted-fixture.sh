#!/usr/bin/env bash
# Makes the password-to-open fixtures (password "1234"), which the tool must reject with a plain
# Chinese reason. Developers only; the results are committed. The salt is random, so each run
# gives different bytes.
#   tests/fixtures/encrypted-password.xlsx: Excel's "Encrypt with Password" wraps the .xlsx in a
#     CFB (OLE) file with EncryptionInfo and EncryptedPackage streams; msoffcrypto-tool writes the
#     same (Agile encryption). Needs: pip install msoffcrypto-tool
#   tests/fixtures/encrypted-password.xls: BIFF8 whose Workbook stream has a FILEPASS record
#     (RC4), saved by LibreOffice. Needs: apt-get install libreoffice-calc-nogui python3-uno
set -euo pipefail
cd "$(dirname "$0")/.."
msoffcrypto-tool -e -p 1234 sample-data/371302-兰山区-2026-10.xlsx tests/fixtures/encrypted-password.xlsx
# the system python: it is the one with LibreOffice's uno module
/usr/bin/python3 scripts/lo-save-xls-with-password.py \
    sample-data/371312-河东区-2026-10.xls tests/fixtures/encrypted-password.xls 1234
ls -l tests/fixtures/encrypted-password.*
