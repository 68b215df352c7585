"""Pure, I/O-free HTTP semantics for static files, as Apache httpd 2.4.71 has them.

Nothing in this package opens a socket, reads configuration or (except
:func:`mimetypes.load_mime_types`) touches the filesystem: every function takes
plain values and returns plain values, so the protocol and handler layers can
"decide first, then send".  Each module follows one part of Apache and says
which function it ports:

``uri``          request-target → ``r->uri`` (``ap_parse_uri``,
                 ``ap_normalize_path``, ``ap_unescape_url_ex``): 400/404 for
                 hostile paths (CVE-2021-41773/42013).
``etag``         ``FileETag`` and ``ap_make_etag_ex``; ``Last-Modified``.
``conditional``  ``ap_meets_conditions`` → proceed / 304 / 412.
``ranges``       ``ap_set_byterange`` / ``ap_byterange_filter`` → full /
                 single / multipart / 416, plus multipart framing.
``static``       the two steps above in ``default_handler`` order.
``mimetypes``    ``TypesConfig`` + ``mod_mime``'s ``find_ct``.
``errorpages``   ``status_lines``, ``get_canned_error_string``,
                 ``ap_send_error_response``, ``ap_psignature``.
``dates``        ``apr_rfc822_date`` / ``apr_date_parse_http``.

Behaviour was checked against Debian's apache2 2.4.71 on the wire
(``tests/differential/test_semantics_diff.py``).
"""
