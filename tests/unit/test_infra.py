"""infra/template.yaml (least-privilege roles, queue settings, routes, outputs) and the packaging
rules of infra/bundle.py and infra/package.py."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from functions.gateway import Handler, LocalContext, to_event
from functions.search import make_handler
from infra import bundle, package
from stacsift.errors import InvalidParameter
from stacsift.settings import SearchSettings
from tests.unit import cfn

TEMPLATE = cfn.load()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
PARAMS = {
    "AWS::Partition": "aws",
    "AWS::AccountId": "123456789012",
    "BucketName": "",
    "DataBucket": "data",
    "IndexRootPrefix": "stacsift/",
    "WatchPrefix": "catalog/",
    "PresignAllow": "",
}
CREATED = {"CreateBucket": True, "HasAllow": False, "HasPublicUrl": False, "HasTokenKey": False}
INDEX = "arn:aws:s3:::data/stacsift/*"
WATCHED = "arn:aws:s3:::data/catalog/*"


def statements(
    name: str, params: dict[str, Any] = PARAMS, conditions: dict[str, bool] = CREATED
) -> list[dict[str, Any]]:
    policies = RESOURCES[name]["Properties"]["Policies"]
    found = [s for p in policies for s in cfn.evaluate(p["Statement"], params, conditions)]
    assert found, f"{name} has no statements"
    return found


def grants(name: str, **kwargs: Any) -> set[tuple[str, str]]:
    """(action, resource) pairs of a function's own policies."""
    pairs = set()
    for statement in statements(name, **kwargs):
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        resources = statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in [resources] if isinstance(resources, str) else resources:
                pairs.add((action, resource))
    return pairs


def test_search_reads_only_the_index_root() -> None:
    assert grants("SearchFunction") == {("s3:GetObject", INDEX)}


def test_presign_reads_the_index_and_exactly_the_allow_list() -> None:
    allow = {
        "PresignAllow": "cogs-bucket/cogs/2024,other",
    }
    pairs = grants(
        "PresignFunction", params=PARAMS | allow, conditions=CREATED | {"HasAllow": True}
    )
    assert pairs == {
        ("s3:GetObject", INDEX),
        ("s3:GetObject", "arn:aws:s3:::cogs-bucket/cogs/2024/*"),
        ("s3:GetObject", "arn:aws:s3:::other/*"),
    }
    env = RESOURCES["PresignFunction"]["Properties"]["Environment"]["Variables"]
    text = cfn.evaluate(env["STACSIFT_PRESIGN_ALLOW"], PARAMS | allow, CREATED | {"HasAllow": True})
    assert text == "cogs-bucket/cogs/2024,other"


def test_presign_without_an_allow_list_signs_the_watched_prefix() -> None:
    assert grants("PresignFunction") == {("s3:GetObject", INDEX), ("s3:GetObject", WATCHED)}
    env = RESOURCES["PresignFunction"]["Properties"]["Environment"]["Variables"]
    assert cfn.evaluate(env["STACSIFT_PRESIGN_ALLOW"], PARAMS, CREATED) == "data/catalog/"


@pytest.mark.parametrize("name", ["ReindexFunction", "ReconcileFunction"])
def test_builders_write_only_the_index_root_and_read_the_watched_prefix(name: str) -> None:
    pairs = grants(name)
    writes = {r for a, r in pairs if a in ("s3:PutObject", "s3:DeleteObject")}
    assert writes == {INDEX}
    reads = {r for a, r in pairs if a == "s3:GetObject"}
    assert reads == {INDEX, WATCHED}
    listing = [s for s in statements(name) if s["Action"] == "s3:ListBucket"]
    assert [s["Resource"] for s in listing] == ["arn:aws:s3:::data"]
    assert listing[0]["Condition"] == {"StringLike": {"s3:prefix": ["catalog/*", "stacsift/*"]}}
    assert {a for a, _ in pairs} <= {
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:ListBucket",
    }


def test_no_function_is_granted_a_wildcard() -> None:
    for name, resource in RESOURCES.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for action, target in grants(name):
            assert "*" not in action, (name, action)
            assert target.startswith("arn:aws:s3:::data"), (name, target)


def test_queue_visibility_is_six_function_timeouts_plus_the_batching_window() -> None:
    reindex = RESOURCES["ReindexFunction"]["Properties"]
    source = reindex["Events"]["Objects"]["Properties"]
    queue = RESOURCES["Queue"]["Properties"]
    needed = 6 * reindex["Timeout"] + source["MaximumBatchingWindowInSeconds"]
    assert queue["VisibilityTimeout"] >= needed
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["DeadLetterQueue", "Arn"]
    }
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["ScalingConfig"]["MaximumConcurrency"] >= 2


def test_bucket_notifications_cover_the_watched_json_both_ways() -> None:
    configs = RESOURCES["DataBucket"]["Properties"]["NotificationConfiguration"]
    seen = set()
    for config in configs["QueueConfigurations"]:
        rules = {r["Name"]: r["Value"] for r in config["Filter"]["S3Key"]["Rules"]}
        assert rules["prefix"] == {"Ref": "WatchPrefix"}
        seen.add((config["Event"], rules["suffix"]))
    events = ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
    assert seen == {(e, s) for e in events for s in (".json", ".geojson", ".ndjson")}
    assert "QueuePolicy" in RESOURCES["DataBucket"]["DependsOn"]


def test_http_api_sends_sign_to_presign_and_the_rest_to_search() -> None:
    routes = {}
    for resource in RESOURCES.values():
        if resource["Type"] == "AWS::ApiGatewayV2::Route":
            integration = resource["Properties"]["Target"]["Fn::Sub"].split("${")[1][:-1]
            uri = RESOURCES[integration]["Properties"]["IntegrationUri"]
            routes[resource["Properties"]["RouteKey"]] = uri["Ref"]
    assert routes == {
        "$default": "SearchFunction.Alias",
        "ANY /sign": "PresignFunction.Alias",
        "ANY /sign/{proxy+}": "PresignFunction.Alias",
    }
    invokable = {
        r["Properties"]["FunctionName"]["Ref"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::Lambda::Permission"
    }
    assert invokable == {"SearchFunction.Alias", "PresignFunction.Alias"}
    assert RESOURCES["HttpApi"]["Properties"]["CorsConfiguration"]["AllowOrigins"] == ["*"]


def test_search_uses_snapstart_and_the_token_key_parameter_is_secret() -> None:
    search = RESOURCES["SearchFunction"]["Properties"]
    assert search["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert search["AutoPublishAlias"]
    assert TEMPLATE["Parameters"]["TokenKey"]["NoEcho"] is True
    env = search["Environment"]["Variables"]
    assert env["STACSIFT_TOKEN_KEY"] == {
        "Fn::If": ["HasTokenKey", {"Ref": "TokenKey"}, {"Ref": "AWS::NoValue"}]
    }


def test_every_function_logs_to_a_group_with_retention() -> None:
    functions = {n for n, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
    groups = [r for r in RESOURCES.values() if r["Type"] == "AWS::Logs::LogGroup"]
    named = {g["Properties"]["LogGroupName"]["Fn::Sub"].rsplit("${", 1)[1][:-1] for g in groups}
    assert named == functions
    assert all(g["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"} for g in groups)


def test_outputs_name_what_a_user_needs() -> None:
    assert {"ApiUrl", "QueueUrl", "Bucket", "IndexRoot", "WatchPrefix"} <= set(TEMPLATE["Outputs"])


def test_serving_zips_leave_out_the_builder_and_the_runtime() -> None:
    for name in ("search", "presign"):
        function = next(f for f in package.FUNCTIONS if f.name == name)
        names = {package._name(spec) for spec in package.requirements(function)}
        assert not names & {"pyarrow", "pystac", "boto3", "stac-geoparquet"}, names
        assert "index_builder" not in function.packages
    reindex = next(f for f in package.FUNCTIONS if f.name == "reindex")
    names = {package._name(spec) for spec in package.requirements(reindex)}
    assert {"pyarrow", "pystac", "tantivy"} <= names
    assert "boto3" not in names


def test_strip_leaves_out_what_never_loads(tmp_path: Path) -> None:
    keep = [
        "pyarrow/parquet/core.py",
        "pyarrow/libarrow.so.2600",
        "pyarrow/lib.cpython-312-x86_64-linux-gnu.so",
        "pkg/tests_helper.py",
    ]
    drop = [
        "pyarrow/libarrow_flight.so.2600",
        "pyarrow/libarrow.so",
        "pyarrow/libarrow_python.so.2600.1.0",
        "pyarrow/include/arrow/api.h",
        "pkg/tests/test_a.py",
        "pkg/__pycache__/a.cpython-312.pyc",
        "pyogrio/__init__.py",
    ]
    for name in keep + drop:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * 10)
    assert bundle.strip(tmp_path) == 10 * len(drop)
    left = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert left == set(keep)


def test_a_zip_over_the_unzipped_limit_is_refused(tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "big.bin").write_bytes(b"\0" * 5000)
    dest = tmp_path / "f.zip"
    with pytest.raises(bundle.TooLarge, match="5,000 bytes unzipped"):
        bundle.write_zip(code, dest, limit=4999)
    assert not dest.exists()
    sizes = bundle.write_zip(code, dest, limit=5000)
    assert sizes.unzipped == 5000
    assert sizes.zipped == dest.stat().st_size < 5000
    with zipfile.ZipFile(dest) as archive:
        assert archive.namelist() == ["big.bin"]


def test_links_use_the_public_url_when_one_is_set(tmp_path: Path) -> None:
    public = "http://127.0.0.1:4566/_aws/execute-api/abcd1234"
    env = {"STACSIFT_ROOT": str(tmp_path), "STACSIFT_PUBLIC_URL": public + "/"}
    settings = SearchSettings.from_env(env)
    assert settings.public_url == public
    handler: Handler = make_handler(settings)
    event = to_event("GET", "/api", {"host": "abcd1234.execute-api.localhost"}, b"", "::1")
    body = json.loads(handler(event, LocalContext())["body"])
    assert body["servers"] == [{"url": public}]
    with pytest.raises(InvalidParameter, match="STACSIFT_PUBLIC_URL"):
        SearchSettings.from_env(env | {"STACSIFT_PUBLIC_URL": "javascript:alert(1)"})


def test_the_count_limit_is_a_positive_number_of_matches(tmp_path: Path) -> None:
    env = {"STACSIFT_ROOT": str(tmp_path)}
    assert SearchSettings.from_env(env).count_limit == 1_000
    assert SearchSettings.from_env(env | {"STACSIFT_COUNT_LIMIT": "25000"}).count_limit == 25_000
    for bad in ("0", "-5", "1e4", "many"):
        with pytest.raises(InvalidParameter, match="STACSIFT_COUNT_LIMIT"):
            SearchSettings.from_env(env | {"STACSIFT_COUNT_LIMIT": bad})
