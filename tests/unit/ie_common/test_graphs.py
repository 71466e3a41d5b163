"""ie_common.graphs: the panels' charts as inline SVG, and Prometheus's
API over TLS with a login (ie-graphs, ie-usage-report, the console's
admin overview)."""

import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from ie_common import graphs

END = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
AT = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def series(metric, values):
    start = (END - timedelta(hours=24)).timestamp()
    return {"metric": metric, "values": [[start + 300 * i, str(v)] for i, v in enumerate(values)]}


def test_the_lines_scale_from_zero_to_the_highest_value_over_the_day():
    start, end = (END - timedelta(hours=24)).timestamp(), END.timestamp()
    drawn = graphs.chart([series({"host": "gs01"}, [0, 10])], start, end, "")
    svg = ET.fromstring(drawn.split("<ul")[0])
    (line,) = svg.iter(f"{SVG}polyline")
    (x0, y0), (x1, y1) = (map(float, p.split(",")) for p in line.get("points").split())
    assert x0 == graphs.PAD and y0 == graphs.HEIGHT - 20  # the first sample, at 0
    assert y1 == 10.0 and x1 < 60  # the highest at the top; 5 minutes along
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    now = datetime.fromtimestamp(END.timestamp()).strftime("%H:%M")  # the host's own time
    assert "10" in labels and "0" in labels and now in labels
    newest = max(
        (t for t in svg.iter(f"{SVG}text") if t.text == now), key=lambda t: float(t.get("x"))
    )
    assert newest.get("text-anchor") == "end"  # ends at the right edge, not cut off by it


def test_ratios_are_percent_and_no_data_says_so():
    start, end = (END - timedelta(hours=24)).timestamp(), END.timestamp()
    drawn = graphs.chart([series({}, [0.25, 0.5])], start, end, "ratio")
    assert ">50%</text>" in drawn
    assert graphs.chart([], start, end, "") == '<p class="none">no data</p>'
    assert graphs.chart([series({}, ["NaN"])], start, end, "") == '<p class="none">no data</p>'


def test_a_sample_that_is_not_a_finite_number_is_left_out():
    start, end = (END - timedelta(hours=24)).timestamp(), END.timestamp()
    samples = [[start, "1"], [start + 300, "+Inf"], [start + 600, "x"], ["y", "2"], [start], None,
               [start + 900, "2"]]  # fmt: skip
    assert graphs.points(samples) == [(start, 1.0), (start + 900, 2.0)]
    drawn = graphs.chart([{"metric": {}, "values": samples}], start, end, "")
    (line,) = ET.fromstring(drawn.split("<ul")[0]).iter(f"{SVG}polyline")
    assert len(line.get("points").split()) == 2


def test_the_legend_names_each_series_escaped_with_no_inline_style():
    start, end = (END - timedelta(hours=24)).timestamp(), END.timestamp()
    drawn = graphs.chart(
        [series({"user": "student1"}, [1]), series({"user": '<i>{{ "x" }}</i>'}, [2])],
        start, end, "",
    )  # fmt: skip
    legend = ET.fromstring(drawn[drawn.index("<ul") :])
    items = legend.findall("li")
    assert [li.find("svg/rect").get("fill") for li in items] == list(graphs.COLORS[:2])
    assert "".join(items[0].itertext()).strip() == "student1"
    assert "&lt;i&gt;&#123;&#123; &quot;x&quot; &#125;&#125;&lt;/i&gt;" in drawn
    assert "style=" not in drawn  # the console's CSP refuses inline styles


def test_every_panel_has_a_section_a_title_and_a_known_unit():
    assert len({p.title for p in graphs.PANELS}) == len(graphs.PANELS)
    assert {p.section for p in graphs.PANELS} == {
        "Cluster", "Ceph", "Slurm", "Backups", "Students", "GPUs"}  # fmt: skip
    assert {p.unit for p in graphs.PANELS} <= {"", "ratio", "h", "s"}


class Answer(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_query_asks_over_tls_with_the_login(monkeypatch):
    got = {}

    def urlopen(request, context, timeout):
        got["url"], got["auth"], got["context"] = (
            request.full_url, request.get_header("Authorization"), context,
        )  # fmt: skip
        body = b'{"data": {"result": [{"metric": {"user": "student1"}, "value": [0, "3"]}]}}'
        return Answer(body)

    monkeypatch.setattr(graphs.urllib.request, "urlopen", urlopen)
    p = graphs.Prometheus(
        "https://127.0.0.1:9090/", "admin", "pw", "/etc/ssl/certs/ca-certificates.crt"
    )
    assert p.query("up", AT) == {"student1": 3.0}
    assert got["url"].startswith("https://127.0.0.1:9090/api/v1/query?query=up&time=1796")
    assert got["auth"] == "Basic YWRtaW46cHc="
    assert got["context"].verify_mode.name == "CERT_REQUIRED"


def test_a_range_query_asks_for_the_window_and_step_and_gives_the_series(monkeypatch):
    got = {}

    def urlopen(request, context, timeout):
        got["url"], got["timeout"] = request.full_url, timeout
        return Answer(b'{"data": {"result": [{"metric": {"host": "gs01"}, "values": [[1, "2"]]}]}}')

    monkeypatch.setattr(graphs.urllib.request, "urlopen", urlopen)
    p = graphs.Prometheus("https://m:9090", "console", "pw", "/etc/ssl/certs/ca-certificates.crt")
    found = p.query_range("up", END - timedelta(hours=24), END, 600)
    assert found == [{"metric": {"host": "gs01"}, "values": [[1, "2"]]}]
    assert got["url"] == (
        "https://m:9090/api/v1/query_range?query=up"
        f"&start={(END - timedelta(hours=24)).timestamp():.0f}&end={END.timestamp():.0f}&step=600"
    )
    assert got["timeout"] == 60


def test_connect_reads_the_password_from_its_file(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    p = graphs.connect("https://m:9090", "admin", str(secret), "/etc/ssl/certs/ca-certificates.crt")
    assert p.headers == {"Authorization": "Basic YWRtaW46czNjcmV0"}
