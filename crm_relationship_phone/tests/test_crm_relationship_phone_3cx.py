import json
import re
from datetime import datetime, timedelta

from lxml import etree

from odoo.tests import tagged
from odoo.tools.misc import file_path

from .common import PBX_KEY, CrmRelationshipPhoneHttpCase

TEMPLATE_PATH = "crm_relationship_phone/pbx/3cx/crm_relationship_phone_3cx.xml"
# .NET formats of DateTime.ToString() the template may use, as strftime formats.
DOTNET_DATE_FORMATS = {"u": "%Y-%m-%d %H:%M:%SZ", "s": "%Y-%m-%dT%H:%M:%S"}


class ThreeCxTemplate:
    """The shipped template, run as 3CX runs it: parameters filled on the CRM
    Integration page, a scenario's request built from its URL, method, headers and
    body with 3CX's variables substituted, its answer read through the Rules,
    Variables and Outputs. A variable or expression this reader does not know
    fails the test: the template uses something 3CX's tests never provided."""

    def __init__(self, parameters):
        self.root = etree.parse(file_path(TEMPLATE_PATH)).getroot()
        declared = {param.get("Name"): param.get("Default") or "" for param in self.root.iter("Parameter")}
        unknown = set(parameters) - set(declared)
        if unknown:
            raise AssertionError(f"The template declares no parameters {unknown}")
        self.parameters = dict(declared, **parameters)

    def scenario(self, scenario_id):
        scenarios = [node for node in self.root.iter("Scenario") if (node.get("Id") or "") == scenario_id]
        if len(scenarios) != 1:
            raise AssertionError(f"The template has {len(scenarios)} scenarios with Id {scenario_id!r}")
        return scenarios[0]

    def format_number(self, number):
        """The caller's number as the template's <Number> element makes it."""
        element = self.root.find("Number")
        prefix, max_length = element.get("Prefix"), element.get("MaxLength")
        international = number.startswith(("+", "00"))
        digits = number[1:] if number.startswith("+") else number.removeprefix("00")
        if international:
            number = {"AsIs": number, "Off": digits, "Plus": "+" + digits, "Zeros": "00" + digits}[prefix]
        if max_length:
            number = number[-int(self.expand(max_length, {})) :]
        return number

    def expand(self, text, variables):
        values = dict(self.parameters, **variables)

        def method(match):
            name, fmt = match.groups()
            return values[name].strftime(DOTNET_DATE_FORMATS[fmt])

        def variable(match):
            if match.group(1) not in values:
                raise AssertionError(f"3CX gives no variable [{match.group(1)}] here")
            return str(values[match.group(1)])

        text = re.sub(r'\[\[(\w+)\]\.ToString\("(\w+)"\)\]', method, text or "")
        text = re.sub(r"\[(\w+)\]", variable, text)
        if "[" in text:
            raise AssertionError(f"Unknown expression in {text!r}")
        return text

    def skipped(self, request, variables):
        condition = self.expand(request.get("SkipIf"), variables)
        if not condition:
            return False
        left, operator, right = re.fullmatch(r"(.*?)(==|!=)(.*)", condition).groups()
        return (left == right) == (operator == "==")

    def build_request(self, scenario_id, variables):
        """``url_open`` keyword arguments of the scenario's request, or None when skipped."""
        request = self.scenario(scenario_id).find("Request")
        if self.skipped(request, variables):
            return None
        headers = {
            value.get("Key"): self.expand(value.text, variables)
            for value in request.iterfind("Headers/Value")
        }
        body = {
            value.get("Key"): self.expand(value.text, variables)
            for value in request.iterfind("PostValues/Value")
        }
        method = {"Get": "GET", "Post": "POST"}[request.get("RequestType")]
        kwargs = {"url": self.expand(request.get("Url"), variables), "method": method, "headers": headers}
        if request.get("RequestEncoding") == "Json":
            kwargs["data"] = json.dumps(body).encode()
            headers["Content-Type"] = request.get("RequestContentType") or "application/json"
        elif body:
            kwargs["data"] = body
            headers["Content-Type"] = request.get("RequestContentType") or "application/x-www-form-urlencoded"
        return kwargs

    def read_contacts(self, scenario_id, answer, variables):
        """The contacts 3CX makes of the JSON ``answer``: one dict of outputs per record
        that passes the Rules, its Variables read by their paths."""
        scenario = self.scenario(scenario_id)
        (rule,) = scenario.iterfind("Rules/Rule")
        list_key, __, rule_field = rule.text.partition(".")
        records = [
            record for record in answer.get(list_key) or [] if record.get(rule_field) not in (None, "")
        ]
        contacts = []
        for record in records:
            found = {}
            for node in scenario.iterfind("Variables/Variable"):
                record_key, __, field = node.get("Path").partition(".")
                if record_key != list_key:
                    raise AssertionError(f"Variable {node.get('Name')} reads outside the records")
                found[node.get("Name")] = "" if record.get(field) is None else str(record[field])
            contacts.append(
                {
                    output.get("Type"): self.expand(output.get("Value"), dict(variables, **found))
                    for output in scenario.iterfind("Outputs/Output")
                }
            )
        return contacts


@tagged("post_install", "-at_install")
class TestCrmRelationshipPhone3cx(CrmRelationshipPhoneHttpCase):
    _pbx_kind = "3cx"

    def setUp(self):
        super().setUp()
        self.template = self._template(PBX_KEY)

    def _template(self, key):
        return ThreeCxTemplate(
            {
                "OdooUrl": self.base_url(),
                "PbxKey": key,
                "Database": self.env.cr.dbname,
                "ReportCallEnabled": "True",
            }
        )

    def _send(self, template, scenario_id, variables):
        kwargs = template.build_request(scenario_id, variables)
        url = kwargs.pop("url")
        return self.url_open(url, timeout=30, **kwargs)

    def _lookup(self, number, template=None):
        """The contacts 3CX shows for a call from ``number`` (as the trunk gives it)."""
        template = template or self.template
        variables = {"Number": template.format_number(number)}
        response = self._send(template, "", variables)
        return response, template.read_contacts("", response.json(), variables)

    def _report_call(self, call_type, number, agent, start, talk_seconds, wait_seconds, queue=""):
        """3CX's call report (scenario ReportCall) of a call that rang at ``start``, waited
        ``wait_seconds`` and talked ``talk_seconds``: Duration is the talk time, hh:mm:ss."""
        variables = {
            "CallType": call_type,
            "Number": self.template.format_number(number),
            "Agent": agent,
            "QueueExtension": queue,
            "Duration": "%02d:%02d:%02d" % (talk_seconds // 3600, talk_seconds // 60 % 60, talk_seconds % 60),
            "CallStartTimeUTC": start,
            "CallEndTimeUTC": start + timedelta(seconds=wait_seconds + talk_seconds),
        }
        response = self._send(self.template, "ReportCall", variables)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def test_template_is_well_formed(self):
        root = self.template.root
        self.assertEqual(root.tag, "Crm")
        self.assertEqual({node.get("Id") for node in root.iter("Scenario")}, {"", "ReportCall"})
        self.assertEqual(
            self.template.format_number("+393497712045"), "+393497712045", "the whole number, as is"
        )
        for comment in root.xpath("//comment()"):
            self.assertNotIn("--", comment.text, "3CX rejects a template whose comments hold --")

    def test_lookup_one_contact(self):
        response, contacts = self._lookup("+393497712045")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            contacts,
            [
                {
                    "ContactID": str(self.marco.id),
                    "FirstName": "Marco",
                    "LastName": "Rossi",
                    "CompanyName": "Rossi Impianti S.r.l.",
                    "Email": "marco.rossi@rossi-impianti.it",
                    "PhoneBusiness": "+393497712045",
                    "ContactUrl": f"{self.base_url()}/odoo/customer-relationship/{self.rossi.id}",
                }
            ],
        )

    def test_lookup_shared_number_gives_every_contact(self):
        for number in ("+390471555012", "00390471555012", "0471555012"):
            with self.subTest(number=number):
                __, contacts = self._lookup(number)
                self.assertEqual(
                    {(contact["ContactID"], contact["CompanyName"]) for contact in contacts},
                    {
                        (str(self.anna.id), "Bianchi Caldaie S.n.c."),
                        (str(self.paolo.id), "Verdi Clima S.p.A."),
                    },
                )
                self.assertEqual(
                    {contact["ContactUrl"].rsplit("/", 1)[1] for contact in contacts},
                    {str(self.bianchi.id), str(self.verdi.id)},
                )

    def test_lookup_unknown_number_and_wrong_key(self):
        response, contacts = self._lookup("+390699991234")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(contacts, [], "an unknown number is no contact for 3CX")
        with self.assertLogs("odoo.addons.crm_relationship_phone.controllers.main", "WARNING"):
            response, contacts = self._lookup("+393497712045", template=self._template("not-the-key"))
        self.assertEqual(response.status_code, 401)
        self.assertEqual(contacts, [])

    def test_journal(self):
        call_activity = [("activity_type_id", "=", self.env.ref("mail.mail_activity_data_call").id)]
        call_activity.append(("id", "not in", self.env["mail.activity"].search(call_activity).ids))
        start = datetime(2026, 3, 2, 9, 0, 0)
        # Marco calls the support queue, 201 answers after 8 seconds and talks 6 min 12 s.
        inbound = self._report_call("Inbound", "+393497712045", "201", start, 372, 8, queue="600")
        # Marco calls again at 10:00, nobody answers in 25 seconds.
        missed = self._report_call(
            "Missed", "+393497712045", "", start + timedelta(hours=1), 0, 25, queue="600"
        )
        # 202 calls Marco back at 11:00: 5 seconds of ringing, 2 minutes of talk.
        outbound = self._report_call("Outbound", "+393497712045", "202", start + timedelta(hours=2), 120, 5)
        # 202 calls the shared number at 12:00, nobody answers.
        not_answered = self._report_call(
            "Notanswered", "0471555012", "202", start + timedelta(hours=3), 0, 30
        )

        calls = self._phone_calls()
        self.assertEqual(len(calls), 4)
        by_id = {answer["calls"][0]["id"]: answer for answer in (inbound, missed, outbound, not_answered)}
        self.assertEqual(set(by_id), set(calls.ids))
        self.assertEqual([call["created"] for call in inbound["calls"]], [True, False, False])
        call_in, call_missed, call_out, call_not_answered = (
            calls.browse(answer["calls"][0]["id"]) for answer in (inbound, missed, outbound, not_answered)
        )

        self.assertRecordValues(
            call_in,
            [
                {
                    "direction": "inbound",
                    "state": "done",
                    "date_ring": start,
                    "date_answer": start + timedelta(seconds=8),
                    "date_end": start + timedelta(seconds=380),
                    "talk_seconds": 372,
                    "wait_seconds": 8,
                    "user_id": self.operator.id,
                    "queue_id": self.queue.id,
                    "contact_id": self.marco.id,
                    "partner_id": self.rossi.id,
                }
            ],
        )
        self.assertRecordValues(
            call_in.call_ids,
            [
                {
                    "partner_id": self.rossi.id,
                    "contact_id": self.marco.id,
                    "user_id": self.operator.id,
                    "direction": "inbound",
                    "date_start": start + timedelta(seconds=8),
                    "duration": 6.2,
                }
            ],
        )

        self.assertRecordValues(
            call_missed,
            [
                {
                    "direction": "inbound",
                    "state": "missed",
                    "talk_seconds": 0,
                    "wait_seconds": 25,
                    "user_id": False,
                }
            ],
        )
        callback = call_missed.callback_activity_id
        self.assertRecordValues(
            callback,
            [
                {
                    "res_model": "res.partner",
                    "res_id": self.rossi.id,
                    "user_id": self.supervisor.id,
                    "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                }
            ],
        )
        self.assertRecordValues(
            call_missed.call_ids, [{"state": "done", "next_action_activity_id": callback.id}]
        )

        self.assertRecordValues(
            call_out,
            [
                {
                    "direction": "outbound",
                    "state": "done",
                    "talk_seconds": 120,
                    "wait_seconds": 5,
                    "user_id": self.operator_2.id,
                    "partner_id": self.rossi.id,
                }
            ],
        )
        self.assertRecordValues(
            call_out.call_ids, [{"direction": "outbound", "user_id": self.operator_2.id, "duration": 2.0}]
        )
        self.assertRecordValues(
            call_not_answered,
            [
                {
                    "direction": "outbound",
                    "state": "missed",
                    "user_id": self.operator_2.id,
                    "match_count": 2,
                    "partner_id": False,
                }
            ],
        )
        self.assertEqual(call_not_answered.candidate_ids, self.anna | self.paolo)
        self.assertFalse(
            call_not_answered.call_ids, "two customers share the number: no customer call is guessed"
        )

        # 3CX sends the same reports again (a retry after a timeout): nothing new is recorded.
        customer_calls = calls.call_ids
        activities = self.env["mail.activity"].search(call_activity)
        self.assertEqual(len(activities), 2, "a call-back for each call nobody answered")
        again = [
            self._report_call("Inbound", "+393497712045", "201", start, 372, 8, queue="600"),
            self._report_call("Missed", "+393497712045", "", start + timedelta(hours=1), 0, 25, queue="600"),
            self._report_call("Outbound", "+393497712045", "202", start + timedelta(hours=2), 120, 5),
            self._report_call("Notanswered", "0471555012", "202", start + timedelta(hours=3), 0, 30),
        ]
        self.assertEqual(self._phone_calls(), calls)
        self.assertEqual(self._phone_calls().call_ids, customer_calls)
        self.assertEqual(self.env["mail.activity"].search(call_activity), activities)
        self.assertEqual([answer["calls"][0]["id"] for answer in again], calls.browse(list(by_id)).ids)
        self.assertFalse(any(call["created"] for answer in again for call in answer["calls"]))
        self.assertRecordValues(
            call_in, [{"state": "done", "talk_seconds": 372, "user_id": self.operator.id}]
        )

    def test_journal_disabled(self):
        template = ThreeCxTemplate(
            {
                "OdooUrl": self.base_url(),
                "PbxKey": PBX_KEY,
                "Database": self.env.cr.dbname,
                "ReportCallEnabled": "False",
            }
        )
        self.assertIsNone(
            template.build_request("ReportCall", {}), "with journaling off, 3CX sends no report"
        )
