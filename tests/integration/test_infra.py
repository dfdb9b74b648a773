"""The deployable stages: `make package` for dev and prod, valid templates, least-privilege IAM."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelib.domain.staff import Role
from devstack.tables import _CloudFormationLoader, create_table_request

pytestmark = pytest.mark.package

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent
CFN_LINT = Path(sys.executable).with_name("cfn-lint")
STAGES = ("dev", "prod")
# Chalice names the runtime after the interpreter that packages (the Makefile's PYTHON).
LAMBDA_RUNTIME = "python3.13"
# Bytecode is per interpreter version: add_bytecode.py writes it for the runtime's.
RUNTIME_CACHE_TAG = "cpython-313"
# A cold build downloads every wheel; leave room for a slow registry (as test_package.py).
PACKAGE_TIMEOUT_SECONDS = 900

# API Gateway answers 504 after 29 s: a function allowed to run longer could still be writing
# while the client, told it failed, retries beside it.
API_GATEWAY_TIMEOUT_SECONDS = 29
# The refund worker (issue 7) until .chalice/config.json configures it: Stripe's client gives up
# after 80 s in the worst case of its retries, ours is set to fail faster than that and retry.
DEFAULT_WORKER_TIMEOUT_SECONDS = 30
# AWS: a queue's visibility timeout should be six times the consuming function's timeout.
VISIBILITY_FACTOR = 6

# Services holding the merchant's data: no wildcard action or resource may reach them.
DATA_SERVICES = ("dynamodb", "s3", "sqs", "ses", "secretsmanager", "cognito-idp")
# Object keys under one folder of the bucket: the label PDFs, and the shoppers' photos (photos).
ALLOWED_WILDCARDS = (re.compile(r"^\$\{LabelBucket\.Arn\}/labels/\*$"),
                     re.compile(r"^\$\{LabelBucket\.Arn\}/returns/\*$"))

# botocore method -> IAM action, for the DynamoDB calls the code may make.
DYNAMODB_ACTIONS = {
    "get_item": "dynamodb:GetItem", "put_item": "dynamodb:PutItem",
    "update_item": "dynamodb:UpdateItem", "delete_item": "dynamodb:DeleteItem",
    "query": "dynamodb:Query", "scan": "dynamodb:Scan",
    "batch_get_item": "dynamodb:BatchGetItem", "batch_write_item": "dynamodb:BatchWriteItem",
}
# A transaction is authorised as its parts: {"Put": ...} needs dynamodb:PutItem, and so on.
TRANSACTION_PARTS = {
    "Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem", "ConditionCheck": "dynamodb:ConditionCheckItem",
}


@dataclass(frozen=True)
class Build:
    """One `make package STAGE=...` run on a copy of the repo."""

    stage: str
    directory: Path
    output: str

    @property
    def template_path(self) -> Path:
        return self.directory / "sam.yaml"

    @property
    def zip_path(self) -> Path:
        return self.directory / "deployment.zip"

    def template(self) -> dict[str, Any]:
        return load_template(self.template_path)


def load_template(path: Path) -> dict[str, Any]:
    """A CloudFormation template, YAML (short tags read as their long form) or JSON."""
    with path.open(encoding="utf-8") as f:
        document: dict[str, Any] = yaml.load(f, Loader=_CloudFormationLoader)  # noqa: S506
    return document


def _copy_project(target: Path) -> None:
    # Chalice reuses .chalice/deployments/<hash>.zip; a copy without it builds from scratch, and
    # the repo's own build/ is left alone. The copy keeps vendor/templates as the same link.
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "deployments")
    for name in ("app.py", "requirements.txt", "requirements-dev.txt", "Makefile"):
        shutil.copy2(REPO / name, target / name)
    for name in ("chalicelib", "templates", "vendor", "infra", ".chalice"):
        shutil.copytree(REPO / name, target / name, symlinks=True, ignore=ignore)
    (target / "devstack").mkdir()
    shutil.copy2(REPO / "devstack" / "debian-packages.sh", target / "devstack")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("project")
    _copy_project(target)
    return target


@pytest.fixture(scope="module", params=STAGES)
def build(request: pytest.FixtureRequest, project: Path) -> Build:
    stage: str = request.param
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    # VENV points at this suite's virtualenv, whose stamp is current: setup installs nothing.
    result = subprocess.run(
        # Pruned as the pipeline may ship it, so the locale test below covers that build too.
        ["make", "-s", "package", f"STAGE={stage}", f"VENV={VENV}", "PRUNE=yes"],
        cwd=project, env=env, capture_output=True, text=True, timeout=PACKAGE_TIMEOUT_SECONDS,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"make package STAGE={stage} failed:\n{output}"
    return Build(stage=stage, directory=project / "build" / stage, output=output)


def _cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CFN_LINT), str(path)], capture_output=True, text=True, timeout=300)


def _as_text(value: Any) -> str:
    """A policy value as text: intrinsic functions kept as their template string or name."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (key, inner), = value.items()
        if key == "Ref":
            return f"${{{inner}}}"
        if key == "Fn::GetAtt":
            return "${" + (".".join(inner) if isinstance(inner, list) else inner) + "}"
        if key == "Fn::Sub":
            return _as_text(inner[0] if isinstance(inner, list) else inner)
    return json.dumps(value, sort_keys=True)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (resource name, statement) of every IAM role and policy in `template`."""
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            documents = [p["PolicyDocument"] for p in properties.get("Policies", [])]
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents = [properties["PolicyDocument"]]
        else:
            continue
        for document in documents:
            for statement in _as_list(document["Statement"]):
                yield name, statement


def _wildcards_on_data(statement: dict[str, Any]) -> list[str]:
    """What in an Allow statement reaches a data service through a wildcard."""
    if statement.get("Effect") != "Allow":
        return []
    actions = [str(a) for a in _as_list(statement.get("Action", []))]
    data_actions = [a for a in actions if a == "*" or a.split(":", 1)[0] in DATA_SERVICES]
    if not data_actions:
        return []
    problems = [f"action {a}" for a in data_actions if "*" in a or "?" in a]
    if "NotAction" in statement or "NotResource" in statement:
        problems.append("NotAction/NotResource")
    for resource in map(_as_text, _as_list(statement.get("Resource", []))):
        if ("*" in resource or "?" in resource) and not any(p.match(resource) for p in ALLOWED_WILDCARDS):
            problems.append(f"resource {resource}")
    return problems


def _policy_file(stage: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((REPO / ".chalice" / f"policy-{stage}.json").read_text())
    return document


def _granted_dynamodb_actions(template: dict[str, Any]) -> set[str]:
    return {
        action
        for _, statement in _statements(template)
        for action in _as_list(statement.get("Action", []))
        if str(action).startswith("dynamodb:")
    }


def _dynamodb_actions_the_code_uses() -> set[str]:
    used: set[str] = set()
    for path in (REPO / "chalicelib").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for method in re.findall(r"\._client\.(\w+)\(", source):
            if method in DYNAMODB_ACTIONS:
                used.add(DYNAMODB_ACTIONS[method])
        if "transact_write_items(" in source:
            used |= {action for part, action in TRANSACTION_PARTS.items() if f'"{part}":' in source}
    return used


def _worker_timeout(stage: str) -> int:
    config = json.loads((REPO / ".chalice" / "config.json").read_text())
    for scope in (config["stages"][stage], config):
        worker = scope.get("lambda_functions", {}).get("refund_worker", {})
        if "lambda_timeout" in worker:
            return int(worker["lambda_timeout"])
    return DEFAULT_WORKER_TIMEOUT_SECONDS


# --- make package -------------------------------------------------------------------------


def test_make_package_builds_one_template_and_a_zip(build: Build) -> None:
    assert build.template_path.is_file(), build.output
    assert build.zip_path.is_file(), build.output
    resources = build.template()["Resources"]
    # The functions and API from Chalice, the rest from infra/retour.yaml, in one template.
    for name in ("APIHandler", "RestAPI", "ApiHandlerRole", "Table", "LabelBucket", "EmailIdentity",
                 "RefundQueue", "RefundDeadLetterQueue", "RefundDeadLetterAlarm",
                 "AdminApiKeySecret", "SigningKeySecret", "StripeApiKeySecret", "StripeWebhookSecret"):
        assert name in resources, name


def test_every_function_runs_on_the_python313_runtime(build: Build) -> None:
    template = build.template()
    default = template.get("Globals", {}).get("Function", {}).get("Runtime")
    functions = {
        name: resource["Properties"].get("Runtime", default)
        for name, resource in template["Resources"].items()
        if resource["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    }
    assert functions
    assert all(runtime == LAMBDA_RUNTIME for runtime in functions.values()), functions


def test_cfn_lint_passes_on_the_merged_template(build: Build) -> None:
    result = _cfn_lint(build.template_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_passes_on_the_deploy_role_template() -> None:
    result = _cfn_lint(REPO / "infra" / "deploy-role.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_ships_with_unchecked_hash_bytecode(build: Build) -> None:
    with zipfile.ZipFile(build.zip_path) as archive:
        names = set(archive.namelist())
        sources = [n for n in names if n.endswith(".py")]
        missing = []
        for source in sources:
            folder, _, module = source.rpartition("/")
            pyc = f"{folder}/__pycache__/{module[:-3]}.{RUNTIME_CACHE_TAG}.pyc".lstrip("/")
            if pyc not in names:
                missing.append(source)
        # Only a file that does not compile for 3.13 may lack bytecode; our own code never.
        assert not [m for m in missing if m == "app.py" or m.startswith("chalicelib/")], missing
        assert len(missing) < len(sources) // 100, missing[:20]
        header = archive.read(f"chalicelib/__pycache__/bootstrap.{RUNTIME_CACHE_TAG}.pyc")[4:8]
        # PEP 552 flags: 0b01 = hash-based, not checked against the source on import.
        assert int.from_bytes(header, "little") == 0b01


def test_babel_still_formats_every_supported_locale(build: Build, tmp_path: Path) -> None:
    with zipfile.ZipFile(build.zip_path) as archive:
        archive.extractall(tmp_path)
    code = (
        "import datetime\n"
        "from chalicelib.adapters.babel_formatting import format_date, format_money\n"
        "from chalicelib.domain.locale import SUPPORTED_LOCALES\n"
        "from chalicelib.domain.money import Money\n"
        "for locale in SUPPORTED_LOCALES:\n"
        "    format_date(datetime.date(2026, 11, 23), locale)\n"
        "    format_money(Money(minor=3300, currency='JPY'), locale)\n"
        "import babel; print(babel.__file__)"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(tmp_path)), "babel was not loaded from the package"


def test_every_aws_client_the_code_builds_works_from_the_pruned_package(build: Build, tmp_path: Path) -> None:
    services = set(re.findall(r'aws_client\(settings, "([a-z0-9-]+)"', (REPO / "chalicelib" / "bootstrap.py").read_text()))
    assert {"cognito-idp", "dynamodb", "ses", "sqs", "s3", "secretsmanager"} <= services, services
    with zipfile.ZipFile(build.zip_path) as archive:
        archive.extractall(tmp_path)
    code = (
        "import boto3, botocore\n"
        f"for service in {sorted(services)!r}:\n"
        "    boto3.session.Session(region_name='eu-west-1', aws_access_key_id='a',"
        " aws_secret_access_key='b').client(service)\n"
        "print(botocore.__file__)"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(tmp_path)), "botocore was not loaded from the package"


def test_a_label_drawn_from_the_package_embeds_the_packaged_font(build: Build, tmp_path: Path) -> None:
    with zipfile.ZipFile(build.zip_path) as archive:
        assert "chalicelib/fonts/wqy-microhei.ttc" in archive.namelist()
        assert "chalicelib/fonts/LICENSE-Apache-2.0.txt" in archive.namelist()
        assert "chalicelib/fonts/ipaexg.ttf" in archive.namelist()
        assert "chalicelib/fonts/LICENSE-IPA-Font-License-v1.0.txt" in archive.namelist()
        archive.extractall(tmp_path)
    code = (
        "import datetime, sys\n"
        "from chalicelib.adapters.reportlab_labels import FONT_FILE, JA_FONT_FILE, render_label\n"
        "from chalicelib.domain.order import Address\n"
        "from chalicelib.services.label_document import LabelDocument, LabelLine\n"
        "home = Address('山田 愛子', '神宮前1-2-3', '渋谷区', '150-0001', 'JP', region='東京都')\n"
        "sys.stdout.buffer.write(render_label(LabelDocument(\n"
        "    rma='R-7K3M-9QX2', order_number='1001', store_name='Retour', return_to=home, ship_from=home,\n"
        "    customer_name='山田 愛子', status_url='https://retour.invalid/r', locale='ja',\n"
        "    lines=(LabelLine('リネンシャツ', 'SHIRT', 1, '破損している'),),\n"
        "    generated_on=datetime.date(2026, 11, 23))))\n"
        "sys.stderr.write(str(FONT_FILE) + '\\n' + str(JA_FONT_FILE))"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
    paths = result.stderr.decode().splitlines()
    assert paths and all(path.startswith(str(tmp_path)) for path in paths), "a font was not read from the package"
    fonts = subprocess.run(["pdffonts", "-"], input=result.stdout, capture_output=True, check=True).stdout.decode()
    rows = fonts.splitlines()[2:]
    assert rows and all(" yes yes yes " in row for row in rows), fonts  # embedded, subset, unicode
    assert any("IPAexGothic" in row for row in rows), fonts  # the Japanese label's kanji and kana


# --- IAM ----------------------------------------------------------------------------------


def test_no_role_in_the_package_reaches_data_through_a_wildcard(build: Build) -> None:
    problems = {
        f"{name}/{statement.get('Sid', '?')}": found
        for name, statement in _statements(build.template())
        if (found := _wildcards_on_data(statement))
    }
    assert not problems, problems


@pytest.mark.parametrize("stage", STAGES)
def test_no_chalice_policy_file_reaches_data_through_a_wildcard(stage: str) -> None:
    problems = {
        statement.get("Sid", "?"): found
        for statement in _as_list(_policy_file(stage)["Statement"])
        if (found := _wildcards_on_data(statement))
    }
    assert not problems, problems


def test_the_wildcard_check_catches_what_it_must() -> None:
    assert _wildcards_on_data({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "x"})
    assert _wildcards_on_data({"Effect": "Allow", "Action": "*", "Resource": "x"})
    assert _wildcards_on_data({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    assert _wildcards_on_data(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${LabelBucket.Arn}/*"}}
    )
    assert not _wildcards_on_data(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${LabelBucket.Arn}/labels/*"}}
    )


def test_the_packaged_role_is_the_policy_file_of_its_stage(build: Build) -> None:
    # Chalice copies .chalice/policy-<stage>.json verbatim; nothing in the merge replaces it.
    role = build.template()["Resources"]["ApiHandlerRole"]["Properties"]
    documents = [p["PolicyDocument"] for p in role["Policies"]]
    assert documents == [_policy_file(build.stage)]


def test_dev_and_prod_grant_the_same_actions_on_their_own_resources() -> None:
    # Resources are named through the stack (Ref, GetAtt), so one document serves both stages.
    assert _policy_file("dev") == _policy_file("prod")


def test_the_role_grants_exactly_the_dynamodb_calls_the_code_makes(build: Build) -> None:
    granted = _granted_dynamodb_actions(build.template())
    used = _dynamodb_actions_the_code_uses()
    assert used <= granted, f"the code calls, the role refuses: {sorted(used - granted)}"
    assert granted <= used, f"granted but never called: {sorted(granted - used)}"


# --- timeouts -----------------------------------------------------------------------------


def test_api_functions_give_up_before_api_gateway(build: Build) -> None:
    resources = build.template()["Resources"]
    api_functions = [
        resource for name, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function" and name == "APIHandler"
    ]
    assert api_functions
    for function in api_functions:
        assert function["Properties"]["Timeout"] < API_GATEWAY_TIMEOUT_SECONDS


def test_a_refund_is_never_visible_to_two_workers(build: Build) -> None:
    queue = build.template()["Resources"]["RefundQueue"]["Properties"]
    assert queue["VisibilityTimeout"] == VISIBILITY_FACTOR * _worker_timeout(build.stage)
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 1


# --- the API's access log -----------------------------------------------------------------

# What API Gateway may write per request: none of these names the path as requested, its query
# string, a header or the caller (tokens and emails travel in paths and queries).
ACCESS_LOG_VARIABLES = {
    "$context.requestId", "$context.requestTimeEpoch", "$context.httpMethod", "$context.resourcePath",
    "$context.status", "$context.responseLatency", "$context.integrationLatency",
    "$context.responseLength", "$context.error.responseType",
}
# Variables that would write a token or an email: the path, overrides, the request's own values.
LEAKING_VARIABLES = ("$context.path", "$context.requestOverride", "$context.identity", "$input", "$method",
                     "$context.authorizer", "$context.domainPrefix")


def _access_log_setting(template: dict[str, Any]) -> dict[str, Any]:
    properties = template["Resources"]["RestAPI"]["Properties"]
    assert "AccessLogSetting" in properties, "the API's stage writes no access log"
    setting: dict[str, Any] = properties["AccessLogSetting"]
    return setting


def test_the_api_access_log_writes_the_route_never_the_path_or_its_query(build: Build) -> None:
    format_ = _access_log_setting(build.template())["Format"]
    variables = set(re.findall(r"\$[A-Za-z][A-Za-z0-9_.]*", format_))
    leaking = sorted(v for v in variables if v.startswith(LEAKING_VARIABLES) or "query" in v.lower()
                     or "token" in v.lower())
    assert not leaking, f"the access log would write {leaking}"
    assert variables <= ACCESS_LOG_VARIABLES, f"new variables to review: {sorted(variables - ACCESS_LOG_VARIABLES)}"
    line = json.loads(format_)  # one JSON object per request, as our own logs
    assert line["route"] == "$context.resourcePath"
    assert {"method", "status", "requestId"} <= set(line)
    # Execution logs write each request's path parameters, query string and (with data trace) body.
    for settings in build.template()["Resources"]["RestAPI"]["Properties"].get("MethodSettings", []):
        assert settings.get("LoggingLevel", "OFF") == "OFF" and not settings.get("DataTraceEnabled"), settings


def test_the_api_access_log_goes_to_a_log_group_that_forgets(build: Build) -> None:
    template = build.template()
    destination = _access_log_setting(template)["DestinationArn"]
    assert set(destination) == {"Fn::GetAtt"}, destination
    group = template["Resources"][destination["Fn::GetAtt"][0]]
    assert group["Type"] == "AWS::Logs::LogGroup"
    retention = group["Properties"]["RetentionInDays"]
    days = retention["Fn::If"][1:] if isinstance(retention, dict) else [retention]
    assert days and all(isinstance(d, int) and 1 <= d <= 400 for d in days), retention


def test_the_access_log_check_catches_what_it_must() -> None:
    for leaking in ("$context.path", "$context.requestOverride.querystring.token", "$input.params('email')",
                    "$context.identity.sourceIp", "$method.request.querystring.link"):
        assert leaking.startswith(LEAKING_VARIABLES) or "query" in leaking.lower()
    assert "$context.resourcePath" in ACCESS_LOG_VARIABLES
    assert not "$context.resourcePath".startswith(LEAKING_VARIABLES)


# --- what the local stack reads -----------------------------------------------------------


def test_the_local_stack_still_builds_its_table_from_the_merge_template() -> None:
    request = create_table_request("retour-test")
    assert request["BillingMode"] == "PAY_PER_REQUEST"
    assert {i["IndexName"] for i in request["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2", "gsi3"}
    assert load_template(REPO / "infra" / "retour.yaml")["Resources"]["Table"]["Properties"][
        "TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_every_function_gets_the_stacks_table_and_public_address(build: Build) -> None:
    # A function left out of infra/retour.yaml's overrides runs on .chalice/config.json's defaults:
    # another table's name, and emailed links to the wrong address.
    functions = {name: resource for name, resource in build.template()["Resources"].items()
                 if resource["Type"] == "AWS::Serverless::Function"}
    assert len(functions) >= 7, sorted(functions)
    for name, function in functions.items():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        assert variables.get("RETOUR_TABLE_NAME") == {"Ref": "Table"}, name
        assert variables.get("RETOUR_PUBLIC_BASE_URL") == {"Ref": "PublicBaseUrl"}, name


# --- staff accounts (Cognito) -------------------------------------------------------------


def _staff_resources() -> dict[str, Any]:
    resources: dict[str, Any] = load_template(REPO / "infra" / "retour.yaml")["Resources"]
    return resources


def test_the_staff_pool_takes_only_accounts_an_owner_creates_with_strong_passwords() -> None:
    pool = _staff_resources()["StaffUserPool"]["Properties"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    policy = pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(policy[f"Require{kind}"] for kind in ("Uppercase", "Lowercase", "Numbers", "Symbols"))
    assert (pool["MfaConfiguration"], pool["EnabledMfas"]) == ("OPTIONAL", ["SOFTWARE_TOKEN_MFA"])
    assert pool["AccountRecoverySetting"]["RecoveryMechanisms"] == [{"Name": "verified_email", "Priority": 1}]
    assert pool["DeletionProtection"] == {"Fn::If": ["IsProd", "ACTIVE", "INACTIVE"]}


def test_the_staff_pools_groups_are_the_consoles_roles() -> None:
    groups = {r["Properties"]["GroupName"] for r in _staff_resources().values()
              if r.get("Type") == "AWS::Cognito::UserPoolGroup"
              and r["Properties"]["UserPoolId"] == {"Ref": "StaffUserPool"}}
    assert groups == {role.value for role in Role}


def test_the_staff_client_signs_in_server_side_and_tells_no_one_who_has_an_account() -> None:
    client = _staff_resources()["StaffUserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert sorted(client["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["TokenValidityUnits"]["AccessToken"] == "minutes" and client["AccessTokenValidity"] <= 60


def test_the_api_function_gets_the_stacks_staff_pool_and_client(build: Build) -> None:
    variables = build.template()["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["RETOUR_STAFF_USER_POOL_ID"] == {"Ref": "StaffUserPool"}
    assert variables["RETOUR_STAFF_CLIENT_ID"] == {"Ref": "StaffUserPoolClient"}


def test_the_role_grants_exactly_the_cognito_admin_calls_the_code_makes_on_the_staff_pool_only() -> None:
    source = (REPO / "chalicelib" / "adapters" / "cognito_staff.py").read_text()
    # InitiateAuth, RespondToAuthChallenge and the software-token calls are Cognito's public
    # API (authorised by the password, session or access token), never by IAM.
    calls = set(re.findall(r"\.(admin_[a-z_]+)\(", source)) | set(re.findall(r'get_paginator\("(list_users)"\)', source))
    used = {"cognito-idp:" + "".join(part.capitalize() for part in call.split("_")) for call in calls}
    used = {action.replace("Mfa", "MFA") for action in used}
    statements = [s for s in _as_list(_policy_file("prod")["Statement"])
                  if any(str(a).startswith("cognito-idp:") for a in _as_list(s["Action"]))]
    granted = {a for s in statements for a in _as_list(s["Action"])}
    assert granted == used
    assert [s["Resource"] for s in statements] == [{"Fn::GetAtt": ["StaffUserPool", "Arn"]}]


# --- SnapStart ----------------------------------------------------------------------------

# The functions that answer people (pages, the API, Stripe's webhooks) start from a snapshot;
# the jobs and the refund worker answer no one waiting and start on demand.
SNAPSTART_FUNCTIONS = {"APIHandler"}


def _integration_uris(template: dict[str, Any]) -> list[str]:
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    return [_as_text(operation["x-amazon-apigateway-integration"]["uri"])
            for operations in paths.values() for operation in operations.values()
            if isinstance(operation, dict) and "x-amazon-apigateway-integration" in operation]


def test_the_functions_serving_people_snapshot_published_versions_behind_an_alias(build: Build) -> None:
    functions = {name: resource["Properties"] for name, resource in build.template()["Resources"].items()
                 if resource["Type"] == "AWS::Serverless::Function"}
    snapshotted = {name for name, p in functions.items() if p.get("SnapStart") == {"ApplyOn": "PublishedVersions"}}
    assert snapshotted == SNAPSTART_FUNCTIONS
    for name in SNAPSTART_FUNCTIONS:
        assert functions[name]["AutoPublishAlias"] == "live"
        # A changed setting (not only changed code) publishes a version that is snapshotted anew.
        assert functions[name]["AutoPublishAliasAllProperties"] is True


def test_api_gateway_invokes_the_alias_never_latest(build: Build) -> None:
    template = build.template()
    uris = _integration_uris(template)
    assert len(uris) >= 40  # every route of the app
    # SAM names the alias of `AutoPublishAlias: live` on APIHandler "APIHandlerAliaslive".
    assert all("functions/${APIHandlerAliaslive}/invocations" in uri for uri in uris), uris[:3]
    permission = template["Resources"]["APIHandlerInvokePermission"]["Properties"]
    assert permission["FunctionName"] == {"Ref": "APIHandler.Alias"}
