"""Synthetic DNS worlds and access logs for logresolve tests and the bench.

Addresses come from the documentation ranges (RFC 5737 / RFC 3849) and
names from ``.example`` (RFC 2606), so nothing here names a real host.
"""

from __future__ import annotations

import ipaddress
import random

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


def make_world(rng: random.Random, n_addrs: int) -> tuple[dict, list[str]]:
    """A FakeDNS table plus the list of addresses a log may mention.

    The mix exercises every branch of logresolve: confirmed names, names
    whose forward lookup disagrees (or lists the address second), missing
    PTRs, SERVFAIL, IPv6 and v4-mapped IPv6 clients.
    """
    ptr: dict[str, str] = {}
    addr: dict[str, list[str]] = {}
    servfail: list[str] = []
    addrs: list[str] = []
    v4 = list(ipaddress.ip_network("198.18.0.0/15").hosts())  # RFC 2544
    v6 = ipaddress.ip_network("2001:db8::/64")
    picked = rng.sample(range(len(v4)), n_addrs)
    for i, idx in enumerate(picked):
        kind = rng.random()
        if kind < 0.12:
            ip = str(v6[idx + 1])
        elif kind < 0.15:
            ip = "::ffff:" + str(v4[idx])
        else:
            ip = str(v4[idx])
        addrs.append(ip)
        name = f"host-{i}.{rng.choice(['example', 'example.net', 'test.example'])}"
        fate = rng.random()
        plain = ip.replace("::ffff:", "")
        if fate < 0.15:
            continue                                   # no PTR: NXDOMAIN
        if fate < 0.18:
            servfail.append(ipaddress.ip_address(plain).reverse_pointer)
            continue
        ptr[plain] = name
        if fate < 0.80:
            addr[name] = [plain]                       # confirmed
        elif fate < 0.88:
            addr[name] = [str(v4[(idx + 7) % len(v4)])]  # spoofed PTR
        elif fate < 0.94:
            addr[name] = [str(v4[(idx + 3) % len(v4)]), plain]  # second
        # else: PTR but no forward record at all
    # Hex-looking host names in the first field get a *forward* lookup.
    addr["cafe.example"] = [str(v4[picked[0]])]
    addr["beef.example"] = ["2001:db8::dead:beef"]
    return {"ptr": ptr, "addr": addr, "servfail": servfail}, addrs


def make_log(rng: random.Random, addrs: list[str], n_lines: int,
             oddities: bool = True) -> bytes:
    """``n_lines`` combined-format lines; with ``oddities``, some of them
    are the edge cases Apache's loop treats specially."""
    out = []
    hot = addrs[: max(1, len(addrs) // 10)]
    for i in range(n_lines):
        ip = rng.choice(hot) if rng.random() < 0.5 else rng.choice(addrs)
        r = rng.random() if oddities else 1.0
        if r < 0.02:
            out.append(b"\n")
        elif r < 0.04:
            out.append(ip.encode() + b"\n")                  # no space
        elif r < 0.06:
            out.append(rng.choice([b"cafe.example", b"beef.example",
                                   b"face.example", b"www.example",
                                   b"-", b"::1", b"127.0.0.1"])
                       + b" - - [x] \"GET / HTTP/1.1\" 200 1\n")
        elif r < 0.07:
            out.append(ip.encode() + b"\t- - tab-separated\n")
        elif r < 0.08:
            out.append(b" " + ip.encode() + b" leading space\n")
        else:
            out.append(
                b'%s - - [27/Nov/2026:01:%02d:%02d +0000] "GET /p/%d HTTP/1.1"'
                b' 200 %d "-" "%s"\n'
                % (ip.encode(), (i // 60) % 60, i % 60, i, 100 + i,
                   UA.encode()))
    data = b"".join(out)
    if oddities and rng.random() < 0.5:
        data += rng.choice(addrs).encode()                   # no final \n
    return data
