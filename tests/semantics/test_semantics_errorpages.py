"""apyche.semantics.errorpages: status lines and canned error pages.

``data/apache_2.4.71_error_pages.json`` holds the status line and body Debian's
apache2 2.4.71 sent for each status (a mod_lua handler returning the status,
ServerSignature On, ServerAdmin webmaster@example.com, Host: localhost)."""

import json
from pathlib import Path

import pytest

from apyche.semantics.errorpages import (DEFAULT_ADMIN, DOCTYPE, STATUS_LINES, ServerSignature,
                                         canned_error_string, error_page, escape_html, is_url,
                                         reason_phrase, signature, status_line)

FIXTURE = json.loads((Path(__file__).parent / "data" / "apache_2.4.71_error_pages.json").read_text())
PAGES = {int(k): v for k, v in FIXTURE["pages"].items()}
SIG_ON = signature("On", banner="Apache/2.4.71 (Debian)", server_name="localhost", port=80)


@pytest.mark.parametrize("status", sorted(PAGES))
def test_error_page_is_byte_identical_to_apache(status):
    line, body = PAGES[status]
    got = error_page(status, signature_html=SIG_ON, server_admin="webmaster@example.com")
    assert (got or "") == body
    assert line == "HTTP/1.1 " + status_line(status)


def test_unknown_status_is_answered_as_500():
    assert status_line(418) == "500 Internal Server Error"
    assert error_page(418) == error_page(500)


def test_status_table_has_every_apache_status():
    assert len(STATUS_LINES) == 59
    assert STATUS_LINES[416] == "416 Requested Range Not Satisfiable"
    assert STATUS_LINES[414] == "414 Request-URI Too Long"
    assert STATUS_LINES[413] == "413 Request Entity Too Large"


def test_reason_phrase():
    assert reason_phrase(404) == "Not Found"
    assert reason_phrase(999) == "Internal Server Error"


def test_header_only_statuses_have_no_body():
    assert error_page(204) is None and error_page(304) is None


def test_404_wording():
    assert canned_error_string(404) == "<p>The requested URL was not found on this server.</p>\n"


def test_301_links_escaped_location():
    assert canned_error_string(301, location='http://x/?a=1&b="2"') == (
        '<p>The document has moved <a href="http://x/?a=1&amp;b=&quot;2&quot;">here</a>.</p>\n')


def test_303_wording():
    assert "The answer to your request is located" in canned_error_string(303, location="/x")


def test_405_names_escaped_method():
    assert canned_error_string(405, method="G<T") == "<p>The requested method G&lt;T is not allowed for this URL.</p>\n"


def test_413_names_method():
    assert canned_error_string(413, method="POST").startswith(
        "The requested resource does not allow request data with POST requests")


def test_414_with_error_notes():
    assert canned_error_string(414, error_notes="too long") == (
        "<p>The requested URL's length exceeds the capacity\nlimit for this server.<br />\ntoo long</p>\n")


def test_417_echoes_expect_header():
    assert "    Expect: foo&lt;\n" in canned_error_string(417, expect="foo<")


def test_500_default_admin():
    assert DEFAULT_ADMIN in canned_error_string(500)


def test_500_verbose_error_notes():
    assert canned_error_string(500, error_notes="boom", verbose_error_to="*") == "boom<p />\n"


def test_recursive_error_paragraph():
    page = error_page(404, recursive_error=500)
    assert ("<p>Additionally, a 500 Internal Server Error\nerror was encountered while trying "
            "to use an ErrorDocument to handle the request.</p>\n") in page


def test_signature_off_is_empty_and_page_has_no_hr():
    assert signature(ServerSignature.OFF, banner="b", server_name="n", port=1) == ""
    assert "<hr>" not in error_page(404)


def test_signature_email_links_server_admin():
    # byte-compared with apache2 2.4.71 (ServerSignature EMail on port 18084)
    sig = signature("EMail", banner="Apache/2.4.71 (Debian)", server_name="localhost",
                    port=18084, server_admin="webmaster@example.com")
    assert sig == ('<hr>\n<address>Apache/2.4.71 (Debian) Server at <a href="mailto:webmaster@example.com">'
                   "localhost</a> Port 18084</address>\n")


def test_signature_email_with_url_admin_has_no_mailto():
    sig = signature("email", banner="B", server_name="h", port=80, server_admin="https://x/contact")
    assert 'href="https://x/contact"' in sig


def test_signature_escapes_server_name():
    assert "a&lt;b" in signature("on", banner="B", server_name="a<b", port=80)


def test_error_page_starts_with_html401_doctype():
    assert error_page(404).startswith(DOCTYPE)


def test_escape_html_leaves_single_quote():
    assert escape_html("<'&\">") == "&lt;'&amp;&quot;&gt;"


@pytest.mark.parametrize("u,expected", [("http://x", True), ("mailto:a@b", True), ("a@b", False),
                                        (":x", False), ("a b:c", False)])
def test_is_url(u, expected):
    assert is_url(u) is expected
