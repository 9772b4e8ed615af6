"""A real SMTP server for Keyward's tests, on 127.0.0.1 (aiosmtpd).

Each message it accepts is written to OUT_DIR as one JSON file (written whole, then
renamed): the envelope sender and recipients, the login used (if any), the message as
received, and its headers and text decoded as a mail reader would. Recipients whose address starts with "reject" are refused for good (550).
With --user and --password, it asks for that login (AUTH PLAIN/LOGIN; allowed without
TLS when it speaks plain text). With --tls starttls it offers STARTTLS and requires it
before anything else (a login included); with --tls implicit it speaks TLS from the first
byte; either with the certificate and key given. Prints "ready" once it listens; runs
until it is killed.

    python smtp_receiver.py PORT OUT_DIR [--user U --password P]
                            [--tls starttls|implicit --cert CERT.pem --key KEY.pem]
"""

import argparse
import email
import email.policy
import json
import os
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Saver:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("reject"):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = "%013d-%04d.json" % (int(time.time() * 1000), self.count)
        login = session.auth_data
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        record = {
            "headers": [[k, str(v)] for k, v in msg.items()],
            "body": msg.get_content(),
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": login.decode() if isinstance(login, bytes) else None,
            "data": envelope.content.decode("utf-8", "replace"),
        }
        tmp = os.path.join(self.out_dir, "." + name)
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(self.out_dir, name))
        return "250 Message accepted"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("out_dir")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--tls", choices=["starttls", "implicit"])
    p.add_argument("--cert")
    p.add_argument("--key")
    a = p.parse_args()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            auth_data.login.decode() == a.user
            and auth_data.password.decode() == a.password
        )
        return AuthResult(success=ok, auth_data=auth_data.login if ok else None)

    kwargs = {}
    if a.user is not None:
        kwargs = dict(
            authenticator=authenticate,
            # aiosmtpd counts only STARTTLS as TLS; a TLS-from-the-start connection
            # is encrypted already.
            auth_require_tls=a.tls == "starttls",
            auth_required=True,
        )
    if a.tls is not None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        if a.tls == "starttls":
            kwargs.update(tls_context=ctx, require_starttls=True)
        else:
            kwargs.update(ssl_context=ctx)
    controller = Controller(
        Saver(a.out_dir), hostname="127.0.0.1", port=a.port, **kwargs
    )
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
