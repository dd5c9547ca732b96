"""A real SMTP server for the mail tests (aiosmtpd): STARTTLS required, AUTH required after it.

    python3 smtp_server.py PORT CERT KEY OUTDIR USER PASSWORD

Each message it takes is written to OUTDIR as N.eml, with N.env beside it (MAIL FROM, the
recipients, whether the session was encrypted and authenticated). Prints "ready" once it
listens, and stops when its standard input closes.
"""

import pathlib
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, certfile, keyfile, outdir, user, password = sys.argv[1:7]
out = pathlib.Path(outdir)


class Keep:
    async def handle_DATA(self, server, session, envelope):
        n = time.time_ns()
        (out / f"{n}.eml").write_bytes(envelope.content)
        facts = [envelope.mail_from, ",".join(envelope.rcpt_tos), str(session.ssl is not None), str(session.authenticated)]
        (out / f"{n}.env").write_text("\n".join(facts) + "\n")
        return "250 OK"


def check(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
    # handled=False: the server answers a failure with its own 535 (else it says nothing).
    return AuthResult(success=ok, handled=False)


tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(certfile, keyfile)
server = Controller(
    Keep(),
    hostname="127.0.0.1",
    port=int(port),
    tls_context=tls,
    require_starttls=True,
    auth_required=True,
    auth_require_tls=True,
    authenticator=check,
)
server.start()
print("ready", flush=True)
try:
    sys.stdin.read()
finally:
    server.stop()
