"""A real SMTP server for Canopy's tests (aiosmtpd): it writes each accepted message as JSON
into a directory, and answers some recipients as a real server would refuse them:

- `bounce...@...`: 550 on RCPT (a permanent failure; the sender must not retry);
- `tempfail...@...`: 451 on RCPT twice, then accepted (a temporary failure; retry).

Usage: python3 sink.py PORT DIR. Prints `READY` when listening; exits when stdin closes (the
test process that started it is gone).
"""

import json
import os
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0
        self.tempfails = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if local.startswith("tempfail"):
            seen = self.tempfails.get(address, 0)
            self.tempfails[address] = seen + 1
            if seen < 2:
                return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        path = os.path.join(self.outdir, "%08d-%d.json" % (n, os.getpid()))
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(
                {
                    "from": envelope.mail_from,
                    "to": envelope.rcpt_tos,
                    "data": envelope.content.decode("utf-8", "replace"),
                },
                f,
            )
        os.rename(tmp, path)
        return "250 2.0.0 accepted"


def main():
    port, outdir = int(sys.argv[1]), sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    controller = Controller(Sink(outdir), hostname="127.0.0.1", port=port)
    controller.start()
    print("READY", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
