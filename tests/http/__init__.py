"""Protocol-layer tests (apyche.http) over real sockets."""
