"""apyche: a web server in Python that runs on Apache httpd 2.4 configuration."""

__version__ = "0.1.0"

# The version string Apache-compatible tools see (Server header, ?auto's
# ServerVersion).  apache_exporter parses "name/MAJOR.MINOR.PATCH".
SERVER_VERSION = "Apache/2.4.71"
SERVER_NAME_TOKEN = "apyche"
