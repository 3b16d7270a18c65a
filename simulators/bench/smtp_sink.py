"""An SMTP server for the mail benchmark (simulators/bench/mail.sh): accepts every message
and appends one JSON line per message, {"rcpt_tos": [...], "message_id": "..."}, to a spool
file, before it answers 250. Once yunguan has been told a mail was accepted, that mail is in
the spool, so counting lines and distinct Message-IDs afterwards finds lost and duplicated
mail.

Run with Debian's interpreter, which sees `apt-get install python3-aiosmtpd` (a `python3`
earlier on the PATH, such as pyenv's, may not):

    /usr/bin/python3 simulators/bench/smtp_sink.py PORT SPOOL_FILE

Adapted from the test server in tests/api/smtp.rs; it reads only the headers, so that
parsing stays cheap at thousands of messages.
"""

import email.parser
import json
import sys
import threading

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, spool):
        # Line-buffered: each record reaches the file when its line ends, before the reply.
        self.spool = spool
        self.headers = email.parser.BytesHeaderParser()

    async def handle_DATA(self, server, session, envelope):
        headers = self.headers.parsebytes(envelope.content)
        record = {
            "rcpt_tos": envelope.rcpt_tos,
            "message_id": str(headers.get("Message-ID", "")).strip(),
        }
        self.spool.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"


def main():
    port, spool_path = int(sys.argv[1]), sys.argv[2]
    spool = open(spool_path, "a", encoding="utf-8", buffering=1)
    controller = Controller(Recorder(spool), hostname="127.0.0.1", port=port)
    controller.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
