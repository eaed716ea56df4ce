import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from odoo.tests import tagged
from odoo.tools.misc import file_path

from .common import PBX_KEY, CrmRelationshipPhoneHttpCase

AGI_SCRIPT = "crm_relationship_phone/pbx/asterisk/crm_relationship_phone_agi.py"


def parse_agi_args(line):
    """The words of an AGI command as Asterisk splits them (``parse_args`` of res_agi.c):
    blanks separate words, double quotes group them, a backslash makes the next character literal."""
    words, word, quoted, escaped, in_word = [], [], False, False, False
    for char in line:
        if escaped:
            word.append(char)
            escaped, in_word = False, True
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted, in_word = not quoted, True
        elif char in " \t" and not quoted:
            if in_word:
                words.append("".join(word))
            word, in_word = [], False
        else:
            word.append(char)
            in_word = True
    if in_word:
        words.append("".join(word))
    return words


class FakeAsterisk:
    """What the script sees of Asterisk: the AGI environment of a channel on its
    input, then ``200 result=1`` to every command it writes."""

    def __init__(self, command, environment, env, hangup=False):
        self.command, self.environment, self.env = command, environment, env
        self.hangup = hangup
        self.commands = []

    def run(self, timeout=60):
        process = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env
        )
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        try:
            lines = "".join(f"{key}: {value}\n" for key, value in self.environment.items())
            process.stdin.write((lines + "\n").encode())
            process.stdin.flush()
            for line in process.stdout:
                self.commands.append(line.decode().rstrip("\n"))
                if self.hangup and len(self.commands) == 1:
                    # The caller hangs up: Asterisk signals the script (AGISIGHUP).
                    process.send_signal(signal.SIGHUP)
                process.stdin.write(b"200 result=1\n")
                process.stdin.flush()
            self.stderr = process.stderr.read().decode()
            self.returncode = process.wait()
        finally:
            watchdog.cancel()
        return self

    @property
    def variables(self):
        """The channel variables the script set, by name."""
        variables = {}
        for command in self.commands:
            words = parse_agi_args(command)
            if words[:2] == ["SET", "VARIABLE"]:
                variables[words[2]] = words[3]
        return variables

    @property
    def messages(self):
        return [parse_agi_args(command)[1] for command in self.commands if command.startswith("VERBOSE ")]


@tagged("post_install", "-at_install")
class TestCrmRelationshipPhoneAgi(CrmRelationshipPhoneHttpCase):
    """The AGI script run as Asterisk runs it, talking to the test server over HTTP."""

    _pbx_kind = "asterisk"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.script = file_path(AGI_SCRIPT)
        key_file = tempfile.NamedTemporaryFile("w", prefix="crm_pbx_key_", delete=False)  # noqa: SIM115
        cls.addClassCleanup(os.unlink, key_file.name)
        with key_file:
            key_file.write(PBX_KEY + "\n")
        cls.key_file = key_file.name

    def _agi(self, *args, callerid, uniqueid, extension="600", url=None, environ=None, hangup=False):
        """Run the script on a channel of ``callerid`` as ``AGI(crm_relationship_phone_agi.py,<args>)``
        would. The interpreter runs isolated, without site-packages: the standard library only."""
        environment = {
            "agi_request": "crm_relationship_phone_agi.py",
            "agi_channel": "PJSIP/trunk-0000001a",
            "agi_language": "it",
            "agi_type": "PJSIP",
            "agi_uniqueid": uniqueid,
            "agi_version": "20.9.3",
            "agi_callerid": callerid,
            "agi_calleridname": "unknown",
            "agi_callingpres": "0",
            "agi_dnid": extension,
            "agi_context": "crm-incoming",
            "agi_extension": extension,
            "agi_priority": "2",
            "agi_enhanced": "0.0",
            "agi_accountcode": "",
            "agi_threadid": "139872631240448",
        }
        environment.update({f"agi_arg_{index}": arg for index, arg in enumerate(args, start=1)})
        options = [f"--url={url or self.base_url()}", f"--database={self.env.cr.dbname}", "--timeout=30"]
        if environ is None:
            options.append(f"--key-file={self.key_file}")
        command = [sys.executable, "-I", "-S", self.script, *options, *args]
        asterisk = FakeAsterisk(
            command, environment, dict(environ or {}, PATH=os.environ.get("PATH", "")), hangup=hangup
        )
        if url:
            return asterisk.run()
        with self._outside_requests():
            return asterisk.run()

    def _phone_call(self, uniqueid):
        return self.env["crm.relationship.phone.call"].search(
            [("pbx_id", "=", self.pbx.id), ("pbx_call_id", "=", uniqueid)]
        )

    def test_script_is_an_executable_agi(self):
        self.assertTrue(os.access(self.script, os.X_OK), "Asterisk runs the script itself")
        with open(self.script, encoding="utf-8") as script:
            source = script.read()
        self.assertTrue(source.startswith("#!/usr/bin/env python3\n"))
        self.assertIn(
            "same => n,AGI(crm_relationship_phone_agi.py,", source, "the docstring shows the dialplan"
        )

    def test_known_caller(self):
        asterisk = self._agi("--queue=600", callerid="+393497712045", uniqueid="1761901234.101")
        self.assertEqual(asterisk.returncode, 0, asterisk.stderr)
        self.assertIn('SET VARIABLE CALLERID(name) "Marco Rossi (Rossi Impianti S.r.l.)"', asterisk.commands)
        call = self._phone_call("1761901234.101")
        self.assertRecordValues(
            call,
            [
                {
                    "pbx_call_id": "1761901234.101",
                    "direction": "inbound",
                    "state": "ringing",
                    "number": "+393497712045",
                    "queue_id": self.queue.id,
                    "contact_id": self.marco.id,
                    "partner_id": self.rossi.id,
                    "match_count": 1,
                }
            ],
        )
        self.assertEqual(
            call.notified_user_ids, self.operator | self.operator_2, "the queue's members see it"
        )
        self.assertDictEqual(
            asterisk.variables,
            {
                "CALLERID(name)": "Marco Rossi (Rossi Impianti S.r.l.)",
                "CRM_STATUS": "ok",
                "CRM_CALLER_NAME": "Marco Rossi (Rossi Impianti S.r.l.)",
                "CRM_MATCH_COUNT": "1",
                "CRM_CUSTOMER_ID": str(self.rossi.id),
                "CRM_CUSTOMER_IDS": str(self.rossi.id),
                "CRM_CUSTOMER_URL": f"{self.base_url()}/odoo/customer-relationship/{self.rossi.id}",
                "CRM_PHONE_CALL_ID": str(call.id),
            },
        )

    def test_caller_hangs_up_during_the_script(self):
        asterisk = self._agi(callerid="+393497712045", uniqueid="1761901234.113", hangup=True)
        self.assertEqual(asterisk.returncode, 0, "the hang-up signal does not kill the script")
        self.assertEqual(asterisk.variables["CRM_STATUS"], "ok")
        self.assertEqual(asterisk.variables["CRM_CUSTOMER_ID"], str(self.rossi.id))
        self.assertTrue(self._phone_call("1761901234.113"))

    def test_shared_number_gives_both_customers(self):
        asterisk = self._agi(callerid="0471555012", uniqueid="1761901234.102")
        self.assertEqual(asterisk.returncode, 0, asterisk.stderr)
        variables = asterisk.variables
        self.assertEqual(
            set(variables["CRM_CALLER_NAME"].split(" / ")), {"Bianchi Caldaie S.n.c.", "Verdi Clima S.p.A."}
        )
        self.assertEqual(variables["CALLERID(name)"], variables["CRM_CALLER_NAME"][:40], "the phones show 40")
        self.assertEqual(variables["CRM_MATCH_COUNT"], "2")
        self.assertEqual(
            set(variables["CRM_CUSTOMER_IDS"].split(",")), {str(self.bianchi.id), str(self.verdi.id)}
        )
        self.assertEqual(variables["CRM_CUSTOMER_ID"], "", "two customers: the dialplan cannot route to one")
        call = self._phone_call("1761901234.102")
        self.assertRecordValues(call, [{"match_count": 2, "partner_id": False, "queue_id": self.queue.id}])
        self.assertEqual(call.candidate_ids, self.anna | self.paolo)

    def test_unknown_number(self):
        asterisk = self._agi(callerid="+390699991234", uniqueid="1761901234.103")
        self.assertEqual(asterisk.returncode, 0, asterisk.stderr)
        self.assertFalse([command for command in asterisk.commands if "CALLERID" in command])
        self.assertEqual(asterisk.variables["CRM_MATCH_COUNT"], "0")
        self.assertEqual(asterisk.variables["CRM_STATUS"], "ok")
        self.assertRecordValues(
            self._phone_call("1761901234.103"),
            [{"state": "ringing", "number": "+390699991234", "match_count": 0, "partner_id": False}],
        )

    def test_name_escaped_and_shortened(self):
        customer = self._create_customer(
            'Idraulica "Il Tubo\\" di Esposito Giovanni Battista & Figli S.n.c.', False
        )
        self._create_contact(customer, "Gennaro", "+39 081 555 0199")
        asterisk = self._agi(callerid="+390815550199", uniqueid="1761901234.104")
        self.assertEqual(asterisk.returncode, 0, asterisk.stderr)
        name = 'Gennaro (Idraulica "Il Tubo\\" di Esposito Giovanni Battista & Figli S.n.c.)'
        self.assertEqual(asterisk.variables["CALLERID(name)"], name[:40].rstrip())
        self.assertEqual(asterisk.variables["CRM_CALLER_NAME"], name)

    def test_wrong_key(self):
        with self.assertLogs("odoo.addons.crm_relationship_phone.controllers.main", "WARNING"):
            asterisk = self._agi(
                callerid="+393497712045", uniqueid="1761901234.105", environ={"CRM_PBX_KEY": "not-the-key"}
            )
        self.assertEqual(asterisk.returncode, 0, asterisk.stderr)
        self.assertEqual(asterisk.variables, {"CRM_STATUS": "unauthorized"})
        self.assertEqual(len(asterisk.messages), 1)
        self.assertIn("HTTP 401", asterisk.messages[0])
        self.assertFalse(self._phone_call("1761901234.105"))

    def test_odoo_unreachable_or_slow(self):
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        asterisk = self._agi(
            callerid="+393497712045", uniqueid="1761901234.106", url=f"http://127.0.0.1:{port}"
        )
        self.assertEqual(asterisk.returncode, 0, asterisk.stderr)
        self.assertEqual(asterisk.variables, {"CRM_STATUS": "error"})
        self.assertIn("cannot be reached", asterisk.messages[0])

        with socket.socket() as silent:
            # Accepts the connection and never answers.
            silent.bind(("127.0.0.1", 0))
            silent.listen(1)
            port = silent.getsockname()[1]
            started = time.monotonic()
            asterisk = self._agi(
                "--timeout=0.5",
                callerid="+393497712045",
                uniqueid="1761901234.107",
                url=f"http://127.0.0.1:{port}",
            )
            elapsed = time.monotonic() - started
        self.assertEqual(asterisk.returncode, 0, asterisk.stderr)
        self.assertEqual(asterisk.variables, {"CRM_STATUS": "timeout"})
        self.assertLess(elapsed, 3, "the call waits for Odoo no longer than the timeout")

    def test_hangup_completes_the_call(self):
        self._agi("--queue=600", callerid="+393497712045", uniqueid="1761901234.108")
        # The hang-up handler of the caller's channel: answered at 201, 95 seconds of talk.
        asterisk = self._agi(
            "--event=hangup",
            "--dialstatus=ANSWER",
            "--billsec=95",
            "--extension=PJSIP/201-0000002a",
            callerid="+393497712045",
            uniqueid="1761901234.108",
            extension="s",
        )
        self.assertEqual(asterisk.returncode, 0, asterisk.stderr)
        self.assertNotIn(
            "CALLERID(name)", asterisk.variables, "the caller is named when the phones ring only"
        )
        call = self._phone_call("1761901234.108")
        self.assertRecordValues(
            call, [{"state": "done", "talk_seconds": 95, "user_id": self.operator.id, "extension": "201"}]
        )
        self.assertRecordValues(call.call_ids, [{"user_id": self.operator.id, "duration": 1.6}])

    def test_hangup_of_a_queue_call(self):
        # Queue() leaves DIALSTATUS empty; its member is a Local channel.
        self._agi("--queue=600", callerid="+393497712045", uniqueid="1761901234.109")
        self._agi(
            "--event=hangup",
            "--dialstatus=",
            "--billsec=40",
            "--extension=Local/202@from-queue-00000012;1",
            callerid="+393497712045",
            uniqueid="1761901234.109",
            extension="h",
        )
        self.assertRecordValues(
            self._phone_call("1761901234.109"),
            [{"state": "done", "talk_seconds": 40, "user_id": self.operator_2.id}],
        )

    def test_hangup_of_a_missed_call(self):
        self._agi("--queue=600", callerid="+393497712045", uniqueid="1761901234.110")
        self._agi(
            "--event=hangup",
            "--dialstatus=NOANSWER",
            "--billsec=0",
            "--extension=",
            callerid="+393497712045",
            uniqueid="1761901234.110",
            extension="s",
        )
        call = self._phone_call("1761901234.110")
        self.assertRecordValues(call, [{"state": "missed", "talk_seconds": 0, "user_id": False}])
        self.assertRecordValues(
            call.callback_activity_id,
            [{"res_model": "res.partner", "res_id": self.rossi.id, "user_id": self.supervisor.id}],
        )

    def test_answered_from_the_operator_channel(self):
        self._agi("--queue=600", callerid="+393497712045", uniqueid="1761901234.111")
        # U() runs on the operator's channel: its own unique id, the caller's as linkedid.
        self._agi(
            "--event=answered",
            "--call-id=1761901234.111",
            "--extension=PJSIP/202-0000002b",
            callerid="+393497712045",
            uniqueid="1761901234.112",
            extension="s",
        )
        self.assertRecordValues(
            self._phone_call("1761901234.111"), [{"state": "answered", "user_id": self.operator_2.id}]
        )
        self.assertFalse(self._phone_call("1761901234.112"))
