#!/usr/bin/python3
"""Save a spreadsheet as Excel 97-2003 (.xls) with a password to open, through LibreOffice.

Usage: /usr/bin/python3 scripts/lo-save-xls-with-password.py IN OUT.xls PASSWORD

`soffice --convert-to` has no way to pass a password (LibreOffice 7.4 ignores one given as
filter options), so this starts a headless LibreOffice, loads IN over UNO and stores it with the
"Password" media property, which the .xls export turns into a FILEPASS record (RC4 encryption).
Needs LibreOffice and its Python bridge (Debian: libreoffice-calc-nogui python3-uno); run it
with the system python, which is the one that can import uno.
"""
import os
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException


def props(**kw):
    out = []
    for k, v in kw.items():
        p = PropertyValue()
        p.Name, p.Value = k, v
        out.append(p)
    return tuple(out)


def main(src, dst, password):
    pipe = "yuebao_xls_%d" % os.getpid()
    profile = tempfile.mkdtemp(prefix="lo-profile-")  # own profile: no clash with a running LO
    office = subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo",
                               "-env:UserInstallation=file://" + profile,
                               "--accept=pipe,name=%s;urp;" % pipe])
    try:
        ctx = uno.getComponentContext()
        resolver = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", ctx)
        for _ in range(120):  # LibreOffice takes a few seconds to start listening
            try:
                remote = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
                break
            except NoConnectException:
                time.sleep(0.5)
        else:
            raise SystemExit("LibreOffice did not start")
        desktop = remote.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", remote)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(src)),
                                           "_blank", 0, props(Hidden=True))
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(dst)),
                       props(FilterName="MS Excel 97", Password=password, Overwrite=True))
        doc.close(True)
        try:
            desktop.terminate()
        except Exception:
            pass  # the bridge drops as LibreOffice exits
    finally:
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
