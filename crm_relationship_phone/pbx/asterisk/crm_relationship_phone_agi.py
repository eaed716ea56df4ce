#!/usr/bin/env python3
"""Asterisk AGI script: tells Odoo (add-on crm_relationship_phone) about a call and names the caller.

Run by Asterisk on an incoming call, it posts a ``ringing`` event to Odoo's
``/crm_relationship_phone/event``: the operators' screens show the customer and
the call is recorded under the channel's unique id. Then it names the caller
on the phones (``CALLERID(name)``) and sets channel variables for the dialplan:

    CRM_STATUS         ok, unauthorized, bad_request, timeout or error
    CRM_MATCH_COUNT    how many contacts have the number (0 when unknown)
    CRM_CUSTOMER_ID    the customer's id when the number belongs to one customer, else empty
    CRM_CUSTOMER_IDS   the ids of every customer with the number, comma-separated
    CRM_CUSTOMER_URL   the customer's card in Odoo when there is one customer, else empty
    CRM_CALLER_NAME    the name Odoo gives the caller (empty when unknown)
    CRM_PHONE_CALL_ID  the id of the phone call record in Odoo

Whatever happens (Odoo down or slow, wrong key, bad option), the script logs
through VERBOSE, sets CRM_STATUS and ends with status 0: the call goes on. Odoo
is waited for 1.5 seconds at most.

The same script, run with ``--event=answered`` or ``--event=hangup``, completes
the call record: answered (the operator and the talk time), ended, or missed
(a call-back is planned in Odoo).

Install
    cp crm_relationship_phone_agi.py /var/lib/asterisk/agi-bin/
    chmod 755 /var/lib/asterisk/agi-bin/crm_relationship_phone_agi.py
    # the PBX key generated in Odoo, readable by Asterisk only
    install -m 600 -o asterisk -g asterisk /dev/null /etc/asterisk/crm_relationship_phone.key
    # then write the key into that file

Options (or environment variables, e.g. set in Asterisk's service environment)
    --url=URL          CRM_ODOO_URL       Odoo's address: https://odoo.example.com
    --key-file=PATH    CRM_PBX_KEY_FILE   file holding the PBX key
                                          (default /etc/asterisk/crm_relationship_phone.key)
    --key=KEY          CRM_PBX_KEY        the PBX key itself (visible in the process list: prefer a file)
    --database=NAME    CRM_ODOO_DATABASE  only when the Odoo server hosts several databases
    --timeout=SECONDS  CRM_TIMEOUT        how long the call waits for Odoo at most (1.5)
    --event=EVENT      ringing (default), answered, hangup or missed
    --direction=DIR    inbound (default) or outbound
    --queue=CODE       the queue that rings (the code of a PBX queue in Odoo);
                       inbound default: the dialled extension
    --extension=EXT    the extension that rings, answered or dialled; a channel name is read
                       as its extension (PJSIP/201-0000002a, Local/201@from-queue-00000012;1)
    --number=NUMBER    the other party; default: the caller id (inbound), the dialled extension (outbound)
    --call-id=ID       the call's id in Odoo; default: the channel's unique id (agi_uniqueid)
    --dialstatus=S     hangup: ${DIALSTATUS}; ANSWER means answered
    --billsec=SECONDS  hangup: ${CDR(billsec)}, the talk time
    --name-length=N    longest caller name sent to the phones (40)

Dialplan (extensions.conf; on FreePBX: /etc/asterisk/extensions_custom.conf)

    [crm-incoming]
    exten => _X.,1,Set(CHANNEL(hangup_handler_push)=crm-hangup,s,1)
     same => n,AGI(crm_relationship_phone_agi.py,--url=https://odoo.example.com,--queue=600)
     same => n,Dial(PJSIP/201&PJSIP/202,30,U(crm-answered))
     same => n,Hangup()

    ; on the operator's channel, when the operator answers: the pop-up shows the call in progress
    [crm-answered]
    exten => s,1,AGI(crm_relationship_phone_agi.py,--event=answered,--call-id=${CHANNEL(linkedid)},--extension=${CHANNEL(name)})
     same => n,Return()

    ; on the caller's channel, after the hang-up: ended (talk time = billsec) or missed
    [crm-hangup]
    exten => s,1,AGI(crm_relationship_phone_agi.py,--event=hangup,--dialstatus=${DIALSTATUS},--billsec=${CDR(billsec)},--extension=${CDR(dstchannel)})
     same => n,Return()

    ; outgoing calls of the operators: the number is the dialled one, the extension the caller id
    [crm-outgoing]
    exten => _0X.,1,Set(CHANNEL(hangup_handler_push)=crm-hangup,s,1)
     same => n,AGI(crm_relationship_phone_agi.py,--direction=outbound)
     same => n,Dial(PJSIP/${EXTEN}@trunk)

The hang-up handler alone is enough to complete a call: a call is answered when
DIALSTATUS is ANSWER or, after Queue() (which leaves DIALSTATUS empty), when it
has a destination channel and a billsec; otherwise it was missed.
"""  # noqa: E501 - dialplan lines cannot be wrapped

import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

EVENT_PATH = "/crm_relationship_phone/event"
DEFAULT_KEY_FILE = "/etc/asterisk/crm_relationship_phone.key"
DEFAULT_TIMEOUT = 1.5
DEFAULT_NAME_LENGTH = 40
MAX_ANSWER_BYTES = 256 * 1024
LOG_PREFIX = "crm_relationship_phone"
# Extensions Asterisk runs for itself, never a queue or an operator.
SPECIAL_EXTENSIONS = ("", "s", "h", "i", "t", "T", "o", "a", "e")


class OptionError(Exception):
    pass


class OdooError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class ArgumentParser(argparse.ArgumentParser):
    """An option error must not end the script before it told Asterisk."""

    def error(self, message):
        raise OptionError(message)


class Agi:
    """The AGI dialogue: the environment Asterisk sends first, then one reply per command."""

    def __init__(self, stdin, stdout):
        self.stdin = stdin
        self.stdout = stdout
        self.gone = False

    def read_environment(self):
        environment = {}
        while True:
            line = self.stdin.readline()
            if not line:
                self.gone = True
                break
            line = line.decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                break
            key, __, value = line.partition(":")
            environment[key.strip()] = value.strip()
        return environment

    def command(self, line):
        """Send ``line``; the code and the result of Asterisk's answer, or None when the
        channel is gone (the script then stops talking to it)."""
        if self.gone:
            return None
        try:
            self.stdout.write(line.encode("utf-8") + b"\n")
            self.stdout.flush()
        except OSError:
            self.gone = True
            return None
        while True:
            reply = self.stdin.readline()
            if not reply:
                self.gone = True
                return None
            reply = reply.decode("utf-8", "replace").rstrip("\r\n")
            if reply == "HANGUP":
                # Sent by Asterisk when the caller hangs up (AGISIGHUP): the replies follow.
                continue
            if reply.startswith("520-"):
                # Usage text of a malformed command, until "520 End of proper usage."
                while True:
                    usage = self.stdin.readline()
                    if not usage or usage.startswith(b"520 "):
                        break
                return 520, ""
            code, __, rest = reply.partition(" ")
            result = rest[len("result=") :].split(" ", 1)[0] if rest.startswith("result=") else ""
            return int(code) if code.isdigit() else 0, result

    def set_variable(self, name, value):
        return self.command("SET VARIABLE %s %s" % (name, quote(value)))

    def verbose(self, message, level=1):
        return self.command("VERBOSE %s %d" % (quote("%s: %s" % (LOG_PREFIX, message)), level))


def quote(value):
    """``value`` as one AGI argument: control characters (which would end the command)
    turned into spaces, backslashes and double quotes escaped."""
    text = "".join(" " if ord(char) < 32 or ord(char) == 127 else char for char in str(value))
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def extension_of(value):
    """The extension of a channel name (``PJSIP/201-0000002a``, ``Local/201@from-queue-00000012;1``),
    or ``value`` itself when it is already an extension."""
    value = (value or "").strip()
    if "/" not in value:
        return value
    value = value.split("/", 1)[1]
    if "@" in value:
        return value.split("@", 1)[0]
    return value.rsplit("-", 1)[0]


def caller_number(value):
    value = (value or "").strip()
    return "" if value.lower() in ("unknown", "anonymous", "<unknown>") else value


def parse_options(argv, environ):
    parser = ArgumentParser(prog="crm_relationship_phone_agi.py", add_help=False)
    parser.add_argument("--url", default=environ.get("CRM_ODOO_URL", ""))
    parser.add_argument("--key", default=environ.get("CRM_PBX_KEY", ""))
    parser.add_argument("--key-file", default=environ.get("CRM_PBX_KEY_FILE", ""))
    parser.add_argument("--database", default=environ.get("CRM_ODOO_DATABASE", ""))
    parser.add_argument("--timeout", type=float, default=environ.get("CRM_TIMEOUT") or DEFAULT_TIMEOUT)
    parser.add_argument("--event", default="ringing", choices=("ringing", "answered", "hangup", "missed"))
    parser.add_argument("--direction", default="inbound", choices=("inbound", "outbound"))
    parser.add_argument("--queue", default="")
    parser.add_argument("--extension", default="")
    parser.add_argument("--number", default="")
    parser.add_argument("--call-id", default="")
    parser.add_argument("--dialstatus", default="")
    parser.add_argument("--billsec", default="")
    parser.add_argument("--name-length", type=int, default=DEFAULT_NAME_LENGTH)
    # Asterisk passes empty arguments for unset variables: they are dropped.
    options = parser.parse_args([arg for arg in argv if arg.strip()])
    if not options.url.startswith(("http://", "https://")):
        raise OptionError("give Odoo's address with --url=https://... (or CRM_ODOO_URL)")
    if not options.key:
        key_file = options.key_file or DEFAULT_KEY_FILE
        try:
            with open(key_file, encoding="utf-8") as file:
                options.key = file.read().strip()
        except OSError as error:
            raise OptionError("no PBX key: --key-file %s cannot be read (%s)" % (key_file, error)) from error
    if not options.key:
        raise OptionError("no PBX key: give --key-file, --key or CRM_PBX_KEY")
    if options.timeout <= 0:
        raise OptionError("--timeout must be a positive number of seconds")
    return options


def build_events(options, agi_env, now):
    """The events to post, as ``/crm_relationship_phone/event`` reads them."""
    direction = options.direction
    agi_extension = agi_env.get("agi_extension", "")
    if agi_extension in SPECIAL_EXTENSIONS:
        agi_extension = ""
    callerid = caller_number(agi_env.get("agi_callerid"))
    if direction == "inbound":
        number = options.number or callerid
        extension = extension_of(options.extension)
        queue = options.queue or ("" if extension else agi_extension)
    else:
        number = options.number or agi_extension
        extension = extension_of(options.extension) or callerid
        queue = options.queue
    common = {
        "call_id": options.call_id or agi_env.get("agi_uniqueid", ""),
        "direction": direction,
        "number": number,
    }
    if extension:
        common["extension"] = extension
    if queue:
        common["queue"] = queue
    if options.event in ("ringing", "answered", "missed"):
        return [dict(common, event=options.event, timestamp=now)]
    try:
        billsec = max(0, int(float(options.billsec or 0)))
    except ValueError:
        billsec = 0
    dialstatus = options.dialstatus.strip().upper()
    answered = dialstatus == "ANSWER" or (not dialstatus and billsec > 0 and bool(extension))
    if not answered:
        return [dict(common, event="missed", timestamp=now)]
    return [
        dict(common, event="answered", timestamp=now - billsec),
        dict(common, event="hangup", timestamp=now),
    ]


def post_events(options, events):
    """Odoo's answer to ``events``; ``OdooError`` when Odoo refuses, fails or is too slow."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Authorization": "Bearer %s" % options.key,
        "User-Agent": "crm_relationship_phone_agi/1.0",
    }
    if options.database:
        headers["X-Odoo-Database"] = options.database
    request = urllib.request.Request(
        options.url.rstrip("/") + EVENT_PATH,
        data=json.dumps(events if len(events) > 1 else events[0]).encode("utf-8"),
        headers=headers,
        method="POST",
    )
    outcome = {}

    def send():
        try:
            with urllib.request.urlopen(request, timeout=options.timeout) as response:
                outcome["status"], outcome["body"] = response.status, response.read(MAX_ANSWER_BYTES)
        except urllib.error.HTTPError as error:
            outcome["status"], outcome["body"] = error.code, error.read(MAX_ANSWER_BYTES)
        except Exception as error:  # noqa: BLE001 - reported to Asterisk, never raised in the call
            outcome["error"] = error

    # The socket timeout bounds each read, not name resolution nor the whole exchange:
    # the call waits for the thread at most the timeout, then goes on without Odoo.
    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    thread.join(options.timeout)
    if thread.is_alive():
        raise OdooError("timeout", "Odoo did not answer within %s s" % options.timeout)
    if "error" in outcome:
        reason = getattr(outcome["error"], "reason", outcome["error"])
        status = "timeout" if "timed out" in str(reason) else "error"
        raise OdooError(status, "Odoo cannot be reached: %s" % reason)
    try:
        answer = json.loads(outcome["body"].decode("utf-8") or "null")
    except ValueError:
        answer = None
    if outcome["status"] != 200 or not isinstance(answer, dict):
        message = answer.get("message") if isinstance(answer, dict) else ""
        status = {401: "unauthorized", 400: "bad_request"}.get(outcome["status"], "error")
        raise OdooError(status, "Odoo answered HTTP %s %s" % (outcome["status"], message or ""))
    return answer


def report_to_dialplan(agi, options, answer):
    """Name the caller on the phones and hand the lookup to the dialplan."""
    contacts = [contact for contact in answer.get("contacts") or [] if isinstance(contact, dict)]
    customer_ids = []
    for contact in contacts:
        customer_id = str(contact.get("customer_id") or "")
        if customer_id and customer_id not in customer_ids:
            customer_ids.append(customer_id)
    single = len(customer_ids) == 1
    name = str(answer.get("name") or "").strip()
    calls = answer.get("calls") or [{}]
    if name and options.direction == "inbound" and options.event == "ringing" and options.name_length > 0:
        agi.set_variable("CALLERID(name)", name[: options.name_length].rstrip())
    agi.set_variable("CRM_STATUS", "ok")
    agi.set_variable("CRM_CALLER_NAME", name)
    agi.set_variable("CRM_MATCH_COUNT", int(answer.get("match_count") or 0))
    agi.set_variable("CRM_CUSTOMER_ID", customer_ids[0] if single else "")
    agi.set_variable("CRM_CUSTOMER_IDS", ",".join(customer_ids))
    agi.set_variable("CRM_CUSTOMER_URL", (contacts[0].get("url") or "") if single else "")
    agi.set_variable("CRM_PHONE_CALL_ID", (calls[-1] or {}).get("id") or "")


def run(agi, argv, environ):
    agi_env = agi.read_environment()
    try:
        options = parse_options(argv, environ)
    except OptionError as error:
        agi.set_variable("CRM_STATUS", "error")
        agi.verbose("not run, %s" % error)
        return
    events = build_events(options, agi_env, int(time.time()))
    if not events[0]["call_id"]:
        agi.set_variable("CRM_STATUS", "error")
        agi.verbose("not run, no call id (agi_uniqueid or --call-id)")
        return
    try:
        answer = post_events(options, events)
    except OdooError as error:
        agi.set_variable("CRM_STATUS", error.status)
        call_id, number = events[0]["call_id"], events[0]["number"] or "an unknown number"
        agi.verbose("%s %s of %s not recorded, %s" % (call_id, options.event, number, error))
        return
    report_to_dialplan(agi, options, answer)
    agi.verbose(
        "%s %s, %s matching contacts" % (events[0]["call_id"], options.event, answer.get("match_count") or 0),
        level=3,
    )


def main(argv=None, environ=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    # Asterisk sends SIGHUP when the caller hangs up during the script: the event
    # being posted still reaches Odoo, the commands that follow are refused.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    agi = Agi(sys.stdin.buffer, sys.stdout.buffer)
    try:
        run(agi, argv, os.environ if environ is None else environ)
    except Exception as error:  # noqa: BLE001 - the call must go on whatever happened here
        agi.verbose("unexpected error, the call goes on: %r" % (error,))
    return 0


if __name__ == "__main__":
    sys.exit(main())
