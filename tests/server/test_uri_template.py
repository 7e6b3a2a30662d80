"""Tests for mcp_sync.server.uri_template (RFC 6570)."""

import pytest

from mcp_sync.server.uri_template import UriTemplate

# RFC 6570 section 3.2 variable values.
RFC_VALUES = {
    "count": ("one", "two", "three"),
    "dom": ("example", "com"),
    "dub": "me/too",
    "hello": "Hello World!",
    "half": "50%",
    "var": "value",
    "who": "fred",
    "base": "http://example.com/home/",
    "path": "/foo/bar",
    "list": ["red", "green", "blue"],
    "keys": {"semi": ";", "dot": ".", "comma": ","},
    "v": "6",
    "x": "1024",
    "y": "768",
    "empty": "",
    "empty_keys": {},
    "undef": None,
}

RFC_EXAMPLES = [
    # 3.2.1 variable expansion
    ("{count}", "one,two,three"),
    ("{count*}", "one,two,three"),
    ("{/count}", "/one,two,three"),
    ("{/count*}", "/one/two/three"),
    ("{;count}", ";count=one,two,three"),
    ("{;count*}", ";count=one;count=two;count=three"),
    ("{?count}", "?count=one,two,three"),
    ("{?count*}", "?count=one&count=two&count=three"),
    ("{&count*}", "&count=one&count=two&count=three"),
    # 3.2.2 simple string expansion
    ("{var}", "value"),
    ("{hello}", "Hello%20World%21"),
    ("{half}", "50%25"),
    ("O{empty}X", "OX"),
    ("O{undef}X", "OX"),
    ("{x,y}", "1024,768"),
    ("{x,hello,y}", "1024,Hello%20World%21,768"),
    ("?{x,empty}", "?1024,"),
    ("?{x,undef}", "?1024"),
    ("?{undef,y}", "?768"),
    ("{var:3}", "val"),
    ("{var:30}", "value"),
    ("{list}", "red,green,blue"),
    ("{list*}", "red,green,blue"),
    ("{keys}", "semi,%3B,dot,.,comma,%2C"),
    ("{keys*}", "semi=%3B,dot=.,comma=%2C"),
    # 3.2.3 reserved expansion
    ("{+var}", "value"),
    ("{+hello}", "Hello%20World!"),
    ("{+half}", "50%25"),
    ("{base}index", "http%3A%2F%2Fexample.com%2Fhome%2Findex"),
    ("{+base}index", "http://example.com/home/index"),
    ("O{+empty}X", "OX"),
    ("O{+undef}X", "OX"),
    ("{+path}/here", "/foo/bar/here"),
    ("here?ref={+path}", "here?ref=/foo/bar"),
    ("up{+path}{var}/here", "up/foo/barvalue/here"),
    ("{+x,hello,y}", "1024,Hello%20World!,768"),
    ("{+path,x}/here", "/foo/bar,1024/here"),
    ("{+path:6}/here", "/foo/b/here"),
    ("{+list}", "red,green,blue"),
    ("{+list*}", "red,green,blue"),
    ("{+keys}", "semi,;,dot,.,comma,,"),
    ("{+keys*}", "semi=;,dot=.,comma=,"),
    # 3.2.4 fragment expansion
    ("{#var}", "#value"),
    ("{#hello}", "#Hello%20World!"),
    ("{#half}", "#50%25"),
    ("foo{#empty}", "foo#"),
    ("foo{#undef}", "foo"),
    ("{#x,hello,y}", "#1024,Hello%20World!,768"),
    ("{#path,x}/here", "#/foo/bar,1024/here"),
    ("{#path:6}/here", "#/foo/b/here"),
    ("{#list}", "#red,green,blue"),
    ("{#list*}", "#red,green,blue"),
    ("{#keys}", "#semi,;,dot,.,comma,,"),
    ("{#keys*}", "#semi=;,dot=.,comma=,"),
    # 3.2.5 label expansion
    ("{.who}", ".fred"),
    ("{.who,who}", ".fred.fred"),
    ("{.half,who}", ".50%25.fred"),
    ("www{.dom*}", "www.example.com"),
    ("X{.var}", "X.value"),
    ("X{.empty}", "X."),
    ("X{.undef}", "X"),
    ("X{.var:3}", "X.val"),
    ("X{.list}", "X.red,green,blue"),
    ("X{.list*}", "X.red.green.blue"),
    ("X{.keys}", "X.semi,%3B,dot,.,comma,%2C"),
    ("X{.keys*}", "X.semi=%3B.dot=..comma=%2C"),
    ("X{.empty_keys}", "X"),
    ("X{.empty_keys*}", "X"),
    # 3.2.6 path segment expansion
    ("{/who}", "/fred"),
    ("{/who,who}", "/fred/fred"),
    ("{/half,who}", "/50%25/fred"),
    ("{/who,dub}", "/fred/me%2Ftoo"),
    ("{/var}", "/value"),
    ("{/var,empty}", "/value/"),
    ("{/var,undef}", "/value"),
    ("{/var,x}/here", "/value/1024/here"),
    ("{/var:1,var}", "/v/value"),
    ("{/list}", "/red,green,blue"),
    ("{/list*}", "/red/green/blue"),
    ("{/list*,path:4}", "/red/green/blue/%2Ffoo"),
    ("{/keys}", "/semi,%3B,dot,.,comma,%2C"),
    ("{/keys*}", "/semi=%3B/dot=./comma=%2C"),
    # 3.2.7 path-style parameter expansion
    ("{;who}", ";who=fred"),
    ("{;half}", ";half=50%25"),
    ("{;empty}", ";empty"),
    ("{;v,empty,who}", ";v=6;empty;who=fred"),
    ("{;v,bar,who}", ";v=6;who=fred"),
    ("{;x,y}", ";x=1024;y=768"),
    ("{;x,y,empty}", ";x=1024;y=768;empty"),
    ("{;x,y,undef}", ";x=1024;y=768"),
    ("{;hello:5}", ";hello=Hello"),
    ("{;list}", ";list=red,green,blue"),
    ("{;list*}", ";list=red;list=green;list=blue"),
    ("{;keys}", ";keys=semi,%3B,dot,.,comma,%2C"),
    ("{;keys*}", ";semi=%3B;dot=.;comma=%2C"),
    # 3.2.8 form-style query expansion
    ("{?who}", "?who=fred"),
    ("{?half}", "?half=50%25"),
    ("{?x,y}", "?x=1024&y=768"),
    ("{?x,y,empty}", "?x=1024&y=768&empty="),
    ("{?x,y,undef}", "?x=1024&y=768"),
    ("{?var:3}", "?var=val"),
    ("{?list}", "?list=red,green,blue"),
    ("{?list*}", "?list=red&list=green&list=blue"),
    ("{?keys}", "?keys=semi,%3B,dot,.,comma,%2C"),
    ("{?keys*}", "?semi=%3B&dot=.&comma=%2C"),
    # 3.2.9 form-style query continuation
    ("{&who}", "&who=fred"),
    ("{&half}", "&half=50%25"),
    ("?fixed=yes{&x}", "?fixed=yes&x=1024"),
    ("{&x,y,empty}", "&x=1024&y=768&empty="),
    ("{&var:3}", "&var=val"),
    ("{&list}", "&list=red,green,blue"),
    ("{&list*}", "&list=red&list=green&list=blue"),
    ("{&keys}", "&keys=semi,%3B,dot,.,comma,%2C"),
    ("{&keys*}", "&semi=%3B&dot=.&comma=%2C"),
]


@pytest.mark.parametrize(("template", "expected"), RFC_EXAMPLES)
def test_rfc6570_section_3_2(template, expected):
    assert UriTemplate(template).expand(RFC_VALUES) == expected


# RFC 6570 section 1.2 (level examples) not already covered above.
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{+path}/here", "/foo/bar/here"),
        ("X{#var}", "X#value"),
        ("X{#hello}", "X#Hello%20World!"),
        ("map?{x,y}", "map?1024,768"),
        ("{/var,x}/here", "/value/1024/here"),
        ("{;x,y}", ";x=1024;y=768"),
        ("{?x,y,empty}", "?x=1024&y=768&empty="),
        ("/path{?x}{&y}", "/path?x=1024&y=768"),
    ],
)
def test_rfc6570_level_examples(template, expected):
    assert UriTemplate(template).expand(RFC_VALUES) == expected


def test_expand_values_and_literals():
    t = UriTemplate("file:///{+path}{?limit,raw}")
    assert t.expand({"path": "a b/c.txt", "limit": 10, "raw": True}) == (
        "file:///a%20b/c.txt?limit=10&raw=true"
    )
    assert t.expand(path="x") == "file:///x"
    assert UriTemplate("{x}").expand() == ""
    # Unicode is UTF-8 percent-encoded; prefixes count characters, not bytes.
    assert UriTemplate("{x}").expand(x="ü/é") == "%C3%BC%2F%C3%A9"
    assert UriTemplate("{x:1}").expand(x="üé") == "%C3%BC"
    # pct-encoded triplets survive reserved expansion; bare % does not.
    assert UriTemplate("{+x}").expand(x="%41%zz") == "%41%25zz"
    # Characters not allowed in a URI are encoded in literals too.
    assert UriTemplate("my docs/{x}").expand(x="a") == "my%20docs/a"


def test_prefix_on_composite_value_is_an_error():
    with pytest.raises(ValueError, match="prefix modifier"):
        UriTemplate("{list:2}").expand(list=["a", "b"])
    with pytest.raises(ValueError, match="prefix modifier"):
        UriTemplate("{keys:2}").expand(keys={"a": "b"})


def test_variables_and_dunder():
    t = UriTemplate("https://h/{a}/{+b}{/c*}{?d,e}{&a}")
    assert t.variables == ["a", "b", "c", "d", "e"]
    assert str(t) == "https://h/{a}/{+b}{/c*}{?d,e}{&a}"
    assert repr(t) == "UriTemplate('https://h/{a}/{+b}{/c*}{?d,e}{&a}')"
    assert t == UriTemplate(str(t)) and hash(t) == hash(UriTemplate(str(t)))
    assert t != UriTemplate("x")
    assert UriTemplate("plain://uri").variables == []
    assert UriTemplate.is_template("a://{b}") and not UriTemplate.is_template("a://b")


@pytest.mark.parametrize(
    "template",
    [
        "{",
        "a{b",
        "a}b",
        "{}",
        "{a,}",
        "{,a}",
        "{a b}",
        "{a-b}",
        "{=a}",
        "{!a}",
        "{@a}",
        "{|a}",
        "{a:0}",
        "{a:10000}",
        "{a:01}",
        "{a:}",
        "{a*:3}",
        "{a:3*}",
        "{a{b}}",
        "{.}",
        "{a..b}",
        "{%zz}",
    ],
)
def test_malformed_templates(template):
    with pytest.raises(ValueError, match="malformed URI template"):
        UriTemplate(template)


def test_valid_variable_names():
    assert UriTemplate("{a.b,c_d,%41x,A1:9999}").variables == ["a.b", "c_d", "%41x", "A1"]


# --------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "uri", "expected"),
    [
        ("users://{id}", "users://42", {"id": "42"}),
        ("users://{id}/profile", "users://42/profile", {"id": "42"}),
        ("users://{id}/profile", "users://a%20b/profile", {"id": "a b"}),
        ("users://{id}", "users://4/2", None),  # {var} is one segment
        ("users://{id}", "users://", None),  # ... and not empty
        ("users://{id}/profile", "users://42/other", None),
        ("repo://{owner}/{name}", "repo://octo/hello", {"owner": "octo", "name": "hello"}),
        ("x://{a,b}", "x://1,2", {"a": "1", "b": "2"}),
        ("x://{a,b}", "x://1", {"a": "1"}),
        ("x://{list*}", "x://a,b%2Cc", {"list": ["a", "b,c"]}),
        # reserved expansion spans segments
        ("file:///{+path}", "file:///a/b/c.txt", {"path": "a/b/c.txt"}),
        ("file:///{+path}", "file:///a%20b/c", {"path": "a b/c"}),
        ("file:///{+path}/meta", "file:///a/b/meta", {"path": "a/b"}),
        ("file:///{+path}", "file:///a?b=1", {"path": "a?b=1"}),
        # fragment
        ("doc://x{#section}", "doc://x#intro/part", {"section": "intro/part"}),
        ("doc://x{#section}", "doc://x", {}),
        # labels and path segments
        ("file://f{.ext}", "file://f.txt", {"ext": "txt"}),
        ("file://f{.ext}", "file://f", {}),
        ("www{.dom*}", "www.example.com", {"dom": ["example", "com"]}),
        ("api://v1{/a,b}", "api://v1/x/y", {"a": "x", "b": "y"}),
        ("api://v1{/a,b}", "api://v1/x", {"a": "x"}),
        ("api://v1{/rest*}", "api://v1/a/b%2Fc/d", {"rest": ["a", "b/c", "d"]}),
        ("api://v1{/rest*}/end", "api://v1/a/b/end", {"rest": ["a", "b"]}),
        ("api://v1{/rest*}", "api://v1", {}),
        # path-style parameters, any order
        ("m://x{;a,b}", "m://x;b=2;a=1", {"a": "1", "b": "2"}),
        ("m://x{;a,b}", "m://x;a", {"a": ""}),
        ("m://x{;list*}", "m://x;list=1;list=2", {"list": ["1", "2"]}),
        # query parameters: any order, optional, unknown ignored, decoded
        ("search://q{?q,lang}", "search://q?lang=en&q=a%20b", {"q": "a b", "lang": "en"}),
        ("search://q{?q,lang}", "search://q?q=x", {"q": "x"}),
        ("search://q{?q,lang}", "search://q", {}),
        ("search://q{?q,lang}", "search://q?q=x&other=1", {"q": "x"}),
        ("search://q{?q}{&page}", "search://q?page=2&q=x", {"q": "x", "page": "2"}),
        ("search://q{?tag*}", "search://q?tag=a&tag=b", {"tag": ["a", "b"]}),
        ("search://q{?tags}", "search://q?tags=a,b", {"tags": "a,b"}),
        ("search://q{?q}", "search://q?q=", {"q": ""}),
        ("s://q?fixed=yes{&x}", "s://q?fixed=yes&x=1", {"x": "1"}),
        ("s://{+path}{?q}", "s://a/b?q=1", {"path": "a/b", "q": "1"}),
        ("s://{name}{?q}", "s://n?q=1", {"name": "n", "q": "1"}),
        ("s://{name}", "s://n?q=1", None),
        # repeated variable must agree
        ("r://{x}/{x}", "r://a/a", {"x": "a"}),
        ("r://{x}/{x}", "r://a/b", None),
        # literals are matched exactly (raw or encoded form)
        ("my docs/{x}", "my docs/a", {"x": "a"}),
        ("my docs/{x}", "my%20docs/a", {"x": "a"}),
        ("a.b/{x}", "aXb/c", None),
        # UTF-8 decoding
        ("u://{x}", "u://%C3%BC", {"x": "ü"}),
    ],
)
def test_match(template, uri, expected):
    assert UriTemplate(template).match(uri) == expected


@pytest.mark.parametrize(
    ("template", "values"),
    [
        ("users://{id}/posts/{post}", {"id": "a b", "post": "7"}),
        ("file:///{+path}", {"path": "dir/sub dir/ü.txt"}),
        ("api://v1{/rest*}{?q,lang}", {"rest": ["a", "b/c"], "q": "x&y", "lang": "en"}),
        ("m://x{;a,b}{?c*}", {"a": "1", "b": "", "c": ["p", "q"]}),
        ("w://www{.dom*}", {"dom": ["example", "com"]}),
    ],
)
def test_expand_then_match_round_trips(template, values):
    t = UriTemplate(template)
    assert t.match(t.expand(values)) == values
