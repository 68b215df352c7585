"""The read phase (ap_build_config) and the walk (ap_walk_config).

Expected messages are Apache 2.4.71's, copied from `apache2 -t` runs on the
same configs (the differential module checks many more against a live
apache2).
"""

from __future__ import annotations


import pytest

from apyche.config.errors import ConfigError
from apyche.config.walk import load_config

MPM = "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"


def run(tmp_path, text, files=None, defines=(), env=None):
    (tmp_path / "logs").mkdir(exist_ok=True)
    for name, body in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    conf = tmp_path / "httpd.conf"
    conf.write_text(text)
    return load_config(str(conf), str(tmp_path), defines=list(defines),
                       env=env if env is not None else {})


def error(tmp_path, text, **kw):
    with pytest.raises(ConfigError) as info:
        run(tmp_path, text, **kw)
    return info.value.apache_text("apache2")


# -- structure ------------------------------------------------------------

def test_unclosed_section(tmp_path):
    conf = tmp_path / "httpd.conf"
    assert error(tmp_path, MPM + "<Directory />\nOptions None\n") == (
        f"apache2: Syntax error on line 2 of {conf}: {conf}:2: <Directory> was not closed.")


def test_nested_unclosed_sections_listed_innermost_first(tmp_path):
    conf = tmp_path / "httpd.conf"
    assert error(tmp_path, MPM + "<Directory />\n<Files x>\n") == (
        f"apache2: Syntax error on line 2 of {conf}: {conf}:3: <Files> was not closed."
        f"\\n{conf}:2: <Directory> was not closed.")


def test_mismatched_close(tmp_path):
    assert error(tmp_path, MPM + "<Directory />\n</Files>\n").endswith(
        "Syntax error on line 3 of %s: Expected </Directory> but saw </Files>"
        % (tmp_path / "httpd.conf"))


def test_stray_close(tmp_path):
    assert error(tmp_path, MPM + "</Directory>\n").endswith(
        "line 2 of %s: </Directory> without matching <Directory> section"
        % (tmp_path / "httpd.conf"))


def test_close_missing_bracket(tmp_path):
    assert error(tmp_path, MPM + "<Directory />\n</Directory\n").endswith(
        "</Directory> directive missing closing '>'")


def test_section_names_match_case_insensitively(tmp_path):
    config = run(tmp_path, MPM + "<directory />\n</DIRECTORY>\n")
    assert config.main.sections[0].pattern == "/"


def test_false_conditional_is_soaked_and_reports_at_its_own_line(tmp_path):
    conf = tmp_path / "httpd.conf"
    text = MPM + "<IfModule mod_nope.c>\n<Directory />\n</Files>\n</IfModule>\n"
    assert error(tmp_path, text) == (
        f"apache2: Syntax error on line 2 of {conf}: Expected </Directory> but saw </Files>")


def test_false_conditional_open_at_eof(tmp_path):
    assert error(tmp_path, MPM + "<IfModule mod_nope.c>\nFoo\n").endswith(
        "Expected </IfModule> before end of configuration")


def test_true_conditional_open_at_eof_is_accepted(tmp_path):
    config = run(tmp_path, MPM + "<IfModule core.c>\nServerName x\n")
    assert config.main.get("ServerName") is not None


def test_true_conditional_needs_an_exact_close_line(tmp_path):
    assert error(tmp_path, MPM + "<IfModule core.c>\n</IfModule >\n").endswith(
        "line 3 of %s: </IfModule without matching <IfModule section"
        % (tmp_path / "httpd.conf"))


def test_false_conditional_hides_unknown_directives(tmp_path):
    run(tmp_path, MPM + "<IfModule !core.c>\nNoSuchDirective a b\n</IfModule>\n")


def test_ifmodule_both_name_forms(tmp_path):
    text = (MPM + "<IfModule mpm_event_module>\nDefine A\n</IfModule>\n"
            "<IfModule event.c>\nDefine B\n</IfModule>\n"
            "<IfModule mod_alias.c>\nDefine C\n</IfModule>\n")
    config = run(tmp_path, text)
    assert "A" in config.defines and "B" in config.defines
    assert "C" not in config.defines


def test_ifmodule_missing_argument(tmp_path):
    assert error(tmp_path, MPM + "<IfModule>\n</IfModule>\n").endswith(
        "<IfModule> directive requires additional arguments")


# -- walk -----------------------------------------------------------------

def test_invalid_command(tmp_path):
    conf = tmp_path / "httpd.conf"
    assert error(tmp_path, MPM + "Foo bar\n") == (
        f"AH00526: Syntax error on line 2 of {conf}:\n"
        "Invalid command 'Foo', perhaps misspelled or defined by a module not "
        "included in the server configuration")


def test_directive_of_unloaded_module_is_invalid(tmp_path):
    assert "Invalid command 'Alias'" in error(tmp_path, MPM + "Alias /a /b\n")


def test_self_contained_config_gets_every_module(tmp_path):
    config = run(tmp_path, "Alias /a /tmp\n")
    assert "alias_module" in config.modules and config.mpm == "event"


def test_wrong_context(tmp_path):
    text = MPM + "<VirtualHost *:80>\n<VirtualHost *:81>\n</VirtualHost>\n</VirtualHost>\n"
    assert error(tmp_path, text).endswith(
        "<VirtualHost> cannot occur within <VirtualHost> section")


def test_files_inside_location(tmp_path):
    text = MPM + "<Location />\n<Files a>\n</Files>\n</Location>\n"
    assert error(tmp_path, text).endswith("<Files> cannot occur within <Location> section")


def test_else_without_if(tmp_path):
    assert error(tmp_path, MPM + "<Else>\n</Else>\n").endswith(
        "<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope")


def test_multiple_directory_arguments_reported_after_children(tmp_path):
    text = MPM + '<Directory "/a" "b">\nFoo\n</Directory>\n'
    assert "Invalid command 'Foo'" in error(tmp_path, text)
    text = MPM + '<Directory "/a" "b">\n</Directory>\n'
    assert error(tmp_path, text).endswith("Multiple <Directory> arguments not (yet) supported.")


def test_limit_at_server_level_not_allowed(tmp_path):
    assert error(tmp_path, MPM + "<Limit GET>\n</Limit>\n").endswith("<Limit not allowed here")


def test_flag_must_be_on_or_off(tmp_path):
    assert error(tmp_path, MPM + "KeepAlive maybe\n").endswith("KeepAlive must be On or Off")


def test_no_mpm(tmp_path):
    assert error(tmp_path, "LoadModule alias_module x.so\n") == (
        "AH00534: apache2: Configuration error: No MPM loaded.")


def test_two_mpms(tmp_path):
    text = MPM + "LoadModule mpm_worker_module x.so\n"
    assert error(tmp_path, text).endswith("More than one MPM loaded.")


def test_builtin_module_loaded_again(tmp_path):
    assert error(tmp_path, MPM + "LoadModule log_config_module x.so\n").endswith(
        "module log_config_module is built-in and can't be loaded")


def test_unknown_module_is_a_warning_and_its_ifmodule_false(tmp_path):
    text = MPM + "LoadModule rewrite_module x.so\n<IfModule mod_rewrite.c>\nRewriteEngine On\n</IfModule>\n"
    config = run(tmp_path, text)
    assert any("rewrite_module" in w.text() for w in config.warnings)


def test_error_log_directory_must_exist(tmp_path):
    text = MPM + "ErrorLog /nonexistent/dir/error.log\n"
    assert error(tmp_path, text) == (
        "(2)No such file or directory: AH02291: Cannot access directory "
        "'/nonexistent/dir/' for main error log\nAH00014: Configuration check failed")


# -- variables and includes ---------------------------------------------------

def test_define_and_variables(tmp_path):
    text = MPM + "Define X example.org\nServerName ${X}\n<IfDefine X>\nDefine Y\n</IfDefine>\n"
    config = run(tmp_path, text)
    assert config.main.all("ServerName")[0].args == "example.org"
    assert "Y" in config.defines


def test_variable_from_environment_and_command_line(tmp_path):
    text = MPM + "ServerName ${HOSTX}\n<IfDefine FROMCLI>\nDefine Z\n</IfDefine>\n"
    config = run(tmp_path, text, defines=["FROMCLI"], env={"HOSTX": "env.example"})
    assert config.main.all("ServerName")[0].args == "env.example"
    assert "Z" in config.defines


def test_undefined_variable_is_kept_with_a_warning(tmp_path):
    config = run(tmp_path, MPM + "ServerName ${NOPE}\n")
    assert config.main.all("ServerName")[0].args == "${NOPE}"
    assert any("AH00111" in w.text() for w in config.warnings)


def test_undefine(tmp_path):
    config = run(tmp_path, MPM + "Define A\nUnDefine A\n<IfDefine A>\nDefine B\n</IfDefine>\n")
    assert "B" not in config.defines


def test_include_file_directory_and_wildcards(tmp_path):
    files = {
        "conf/a.conf": "Define FROM_A\n",
        "confdir/2.conf": "Define FROM_2\n",
        "confdir/1.conf": "Define FROM_1\n",
        "sites/x/en.conf": "Define FROM_X\n",
        "sites/y/en.conf": "Define FROM_Y\n",
    }
    text = MPM + "Include conf/a.conf\nInclude confdir\nInclude sites/*/en.conf\n"
    config = run(tmp_path, text, files=files)
    order = [d for d in config.defines if d.startswith("FROM_")]
    assert order == ["FROM_A", "FROM_1", "FROM_2", "FROM_X", "FROM_Y"]


def test_missing_include_is_an_error(tmp_path):
    assert error(tmp_path, MPM + "Include /nonexistent.conf\n").endswith(
        "Could not open configuration file /nonexistent.conf: No such file or directory")


def test_unmatched_wildcard_include_is_an_error_but_optional_is_not(tmp_path):
    (tmp_path / "d").mkdir()
    assert "No matches for the wildcard '*.conf'" in error(
        tmp_path, MPM + f"Include {tmp_path}/d/*.conf\n")
    run(tmp_path, MPM + f"IncludeOptional {tmp_path}/d/*.conf\nIncludeOptional /nonexistent/*.conf\n")


def test_error_in_included_file_is_wrapped_per_level(tmp_path):
    conf = tmp_path / "httpd.conf"
    inc = tmp_path / "inc.conf"
    text = MPM + "Include inc.conf\n"
    assert error(tmp_path, text, files={"inc.conf": "<Directory />\n"}) == (
        f"apache2: Syntax error on line 2 of {conf}: Syntax error on line 1 of "
        f"{inc}: {inc}:1: <Directory> was not closed.")


def test_include_loop_stops_at_the_depth_limit(tmp_path):
    text = MPM + "Include loop.conf\n"
    with pytest.raises(ConfigError) as info:
        run(tmp_path, text, files={"loop.conf": "Include loop.conf\n"})
    assert info.value.message.endswith(
        "Exceeded maximum include depth of 128, There appears to be a recursion.")
    # Printed, the line is cut at Apache's 8190-byte log line limit.
    assert len(info.value.apache_text("apache2")) == 8190


def test_included_walk_errors_name_the_included_file(tmp_path):
    inc = tmp_path / "inc.conf"
    message = error(tmp_path, MPM + "Include inc.conf\n", files={"inc.conf": "\nBogus\n"})
    assert message.startswith(f"AH00526: Syntax error on line 2 of {inc}:")


def test_crlf_config(tmp_path):
    config = run(tmp_path, (MPM + "ServerName a.example\n").replace("\n", "\r\n"))
    assert config.main.all("ServerName")[0].args == "a.example"


def test_non_utf8_argument_does_not_crash(tmp_path):
    conf = tmp_path / "httpd.conf"
    (tmp_path / "logs").mkdir()
    conf.write_bytes(MPM.encode() + b"# caf\xe9\nServerAdmin caf\xe9@example.org\n")
    config = load_config(str(conf), str(tmp_path), env={})
    assert config.main.all("ServerAdmin")


def test_virtual_hosts_in_model(tmp_path):
    text = MPM + ("<VirtualHost *:8080 127.0.0.1:81>\nServerName a.example\n"
                  "<Directory /srv/a>\n</Directory>\n</VirtualHost>\n")
    config = run(tmp_path, text)
    (vh,) = config.vhosts
    assert [str(a) for a in vh.addresses] == ["*:8080", "127.0.0.1:81"]
    assert vh.scope.sections[0].pattern == "/srv/a/"
    assert vh.line == 2
