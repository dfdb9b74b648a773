"""Creates the local table from the very resource infra/ deploys, so the two never drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "retour.yaml"

# The CreateTable parameters that are plain data in the template; the rest (names, protection,
# recovery, encryption) are deployment concerns a local table does not need.
_CREATE_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")


class _CloudFormationLoader(yaml.SafeLoader):
    """A YAML loader that reads CloudFormation short-form tags (!Ref, !Sub ...) as plain data."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {f"Fn::{suffix}" if suffix != "Ref" else "Ref": value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def table_resource(template: Path = TEMPLATE) -> dict[str, Any]:
    """The Properties of the Table resource in the deployed template."""
    with template.open(encoding="utf-8") as f:
        document = yaml.load(f, Loader=_CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    properties: dict[str, Any] = document["Resources"]["Table"]["Properties"]
    return properties


def create_table_request(table_name: str, template: Path = TEMPLATE) -> dict[str, Any]:
    """The CreateTable call that makes `table_name` shaped like the deployed table."""
    properties = table_resource(template)
    request = {key: properties[key] for key in _CREATE_TABLE_KEYS if key in properties}
    request["TableName"] = table_name
    return request


def ensure_table(dynamodb: Any, table_name: str, template: Path = TEMPLATE) -> bool:
    """Create the table (and its TTL) unless it exists; True when it was created now."""
    try:
        dynamodb.describe_table(TableName=table_name)
        return False
    except dynamodb.exceptions.ResourceNotFoundException:
        pass
    dynamodb.create_table(**create_table_request(table_name, template))
    dynamodb.get_waiter("table_exists").wait(TableName=table_name)
    ttl = table_resource(template).get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )
    return True
