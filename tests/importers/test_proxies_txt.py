"""proxies.txt parsing (reliability catalogue T64–T68): forms, rejects with reasons, dedupe, IPv6,
credentials with special characters, binary input."""

from __future__ import annotations

import pytest

from ninerouter.importers.proxies_txt import (
    NotAProxyList,
    ProxyLine,
    decode_lines,
    parse_lines,
    parse_proxy,
)


@pytest.mark.parametrize(
    ("text", "url", "user", "password"),
    [
        ("1.2.3.4:8080", "http://1.2.3.4:8080", None, None),
        ("HTTP://Host.Example:8080", "http://host.example:8080", None, None),
        ("socks5://u:p@h.example:1080/", "socks5://u:p@h.example:1080", "u", "p"),
        ("user:pass@10.0.0.5:3128", "http://user:pass@10.0.0.5:3128", "user", "pass"),
        ("h:3128:user:pa:ss", "http://user:pa%3Ass@h:3128", "user", "pa:ss"),
        ("1.2.3.4:80:user:p@ss", "http://user:p%40ss@1.2.3.4:80", "user", "p@ss"),
        (
            "http://us%40er:p%3As%2Fs%25@h:3128",
            "http://us%40er:p%3As%2Fs%25@h:3128",
            "us@er",
            "p:s/s%",
        ),
        ("[2001:db8::1]:1080", "http://[2001:db8::1]:1080", None, None),
        ("socks5://u:p@[::1]:1080", "socks5://u:p@[::1]:1080", "u", "p"),
        ("[::1]:1080:user:pass", "http://user:pass@[::1]:1080", "user", "pass"),
        ("127.0.0.1:7890", "http://127.0.0.1:7890", None, None),
        ("bücher.example:80", "http://xn--bcher-kva.example:80", None, None),
        (
            "socks5h://u-{session}:x@gw.example:7000",
            "socks5h://u-{session}:x@gw.example:7000",
            "u-{session}",
            "x",
        ),
        ("https://u:p@secure.example:443", "https://u:p@secure.example:443", "u", "p"),
        ("socks4://ident@h:1080", "socks4://ident@h:1080", "ident", None),
    ],
)
def test_accepted_forms_normalise(
    text: str, url: str, user: str | None, password: str | None
) -> None:
    proxy = parse_proxy(text)
    assert (proxy.url, proxy.username, proxy.password) == (url, user, password)
    assert parse_proxy(proxy.url) == proxy  # the stored form parses back to the same proxy


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("h:0", "out of range"),
        ("h:65536", "out of range"),
        ("h:abc", "invalid port"),
        ("justahost", "missing port"),
        ("ftp://h:21", "unsupported scheme 'ftp'"),
        ("garbage here", "spaces"),
        ("http://u:p@ss@h:1", "%40"),
        ("http://u:%zz@h:1", "percent-escape"),
        ("2001:db8::1:1080", "IPv6 literal must be in brackets"),
        ("http://[fe80::1%25eth0]:3128", "link-local"),
        ("169.254.169.254:80", "link-local"),
        ("[::ffff:169.254.169.254]:80", "link-local"),
        ("0xA9FEA9FE:80", "non-dotted"),
        ("2852039166:80", "non-dotted"),
        ("0.0.0.0:1", "unspecified"),
        ("metadata.google.internal:80", "metadata"),
        ("[fd00:ec2::254]:80", "metadata"),
        ("http://h:1/path", "no path"),
        ("socks4://u:p@h:1080", "socks4"),
        ("http://a%3Ab:p@h:1", "cannot contain ':'"),
        ("h:1:u", "expected host:port"),
    ],
)
def test_rejected_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        parse_proxy(text)
    assert reason in str(info.value)


def test_reasons_never_echo_a_password() -> None:
    for text in ("http://u:topsecret@@h:1", "h:99999:u:topsecret", "http://u:topsecret@h:1/x"):
        with pytest.raises(ValueError) as info:
            parse_proxy(text)
        assert "topsecret" not in str(info.value)


def test_mixed_file_every_line_reported() -> None:
    data = (
        "\ufeff# my proxies\r\n"
        "1.2.3.4:8080\r\n"
        "\r\n"
        "  \t5.6.7.8:3128:alice:s3cret \t\r\n"
        "http://bob:pw@proxy.example:8000\r\n"
        "h:0\r\n"
        "ftp://h:21\r\n"
        "1.2.3.4:8080\r\n"
        "HTTP://1.2.3.4:8080\r\n"
        "garbage\r\n"
    ).encode()
    result = parse_lines(decode_lines(data))
    assert [p.line for p in result.accepted] == [2, 4, 5]
    assert [(r.line, r.reason.split(" ")[0]) for r in result.rejected] == [
        (6, "port"),
        (7, "unsupported"),
        (10, "missing"),
    ]
    assert [(d.line, d.of_line) for d in result.duplicates] == [(8, 2), (9, 2)]
    assert result.lines == 10 and result.skipped == 2


def test_dedupe_key_is_scheme_host_port_user() -> None:
    result = parse_lines(
        [
            "http://host.example:8080",
            "host.example:8080",
            "HTTP://HOST.EXAMPLE:8080",
            "socks5://host.example:8080",
            "http://u:a@host.example:8080",
            "http://u:b@host.example:8080",
        ]
    )
    assert [p.line for p in result.accepted] == [1, 4, 5]
    assert [d.line for d in result.duplicates] == [2, 3, 6]


def test_default_scheme_applies_to_lines_without_one() -> None:
    result = parse_lines(["1.2.3.4:1080", "http://1.2.3.4:1081"], default_scheme="socks5")
    assert [p.scheme for p in result.accepted] == ["socks5", "http"]


def test_binary_input_is_not_a_proxy_list() -> None:
    with pytest.raises(NotAProxyList):
        decode_lines(b"\x7fELF\x02\x01\x01\x00\x00\x00")


def test_a_line_that_is_not_utf8_is_rejected_alone() -> None:
    result = parse_lines(decode_lines(b"1.2.3.4:80\n\xff\xfe:80\n5.6.7.8:80\n"))
    assert len(result.accepted) == 2 and result.rejected[0].line == 2


def test_masked_form_hides_the_password() -> None:
    proxy = ProxyLine(1, "http", "h", 1, "user", "hunter2")
    assert proxy.masked == "http://user:***@h:1" and "hunter2" not in proxy.masked
