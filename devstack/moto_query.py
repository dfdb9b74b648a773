"""moto's DynamoDB Query, made to read only the partition it asks for, as DynamoDB does.

moto 5.2 answers every Query by listing and sorting every item of the table (`Table.all_items`),
for the base table and for a global secondary index alike, so a Query took longer the fuller the
table: local scale figures measured moto rather than our access paths, and busy test tables
slowed every test. `install()` gives moto's Query code only the items of the asked partition:

- a base-table Query (or an LSI's) gets the items of moto's own partition, `table.items[hash]`;
- a GSI Query gets the items whose index hash-key attribute holds the asked value, found in a
  map (attribute, value) -> item keys kept on the Table object. Every write reaches moto's items
  through `Table.put_item`, `Table.delete_item` or the backend's `update_item` (which changes an
  item in place); each is wrapped to re-index the one key it touched once it has run, whether it
  succeeded or not. A failed transaction puts back deep copies of its tables, and the map, being
  an attribute of the table, comes back with them; a table that is new, restored or has other
  GSIs than its map knows builds the map again on first use.

Everything after choosing the candidates (key conditions, order, ScanIndexForward, Limit,
ExclusiveStartKey and LastEvaluatedKey, filters, projection) is still moto's code, which now gets
the candidates where it called `self.all_items()`, so the answers are unchanged:
tests/integration/test_query_partitions.py compares them with a stock moto server's.
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Callable, Iterator
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import GlobalSecondaryIndex, Table

ItemKey = tuple[DynamoType, DynamoType | None]
IndexEntry = tuple[str, DynamoType]
# Index keys are strings, numbers or binary; a value of another type is in no index.
_KEY_TYPES = frozenset({"S", "N", "B"})
_MAP_ATTRIBUTE = "_retour_gsi_keys"

# The table whose Query runs now and its candidates: Table.all_items answers with them.
_narrowed: contextvars.ContextVar[tuple[Table, list[Item]] | None] = contextvars.ContextVar(
    "retour_query_candidates", default=None)
_stock: dict[str, Callable[..., Any]] = {}


class GsiKeys:
    """Which item keys of one table hold each value of each GSI hash-key attribute."""

    def __init__(self, table: Table) -> None:
        self.attributes = _gsi_hash_attributes(table)
        self.keys: dict[IndexEntry, set[ItemKey]] = {}
        self.entries: dict[ItemKey, list[IndexEntry]] = {}
        for item in _stored_items(table):
            self._add((item.hash_key, item.range_key), item)

    def reindex(self, table: Table, key: ItemKey) -> None:
        """Make the map agree with what `table` holds at `key` now."""
        for entry in self.entries.pop(key, ()):
            holders = self.keys[entry]
            holders.discard(key)
            if not holders:
                del self.keys[entry]
        item = _stored_item(table, key)
        if item is not None:
            self._add(key, item)

    def items_with(self, table: Table, attribute: str, value: DynamoType) -> list[Item]:
        found = (_stored_item(table, key) for key in self.keys.get((attribute, value), ()))
        return [item for item in found if item is not None]

    def _add(self, key: ItemKey, item: Item) -> None:
        entries = [(name, value) for name in self.attributes
                   if (value := item.attrs.get(name)) is not None and value.type in _KEY_TYPES]
        if entries:
            self.entries[key] = entries
            for entry in entries:
                self.keys.setdefault(entry, set()).add(key)


def _gsi_hash_attributes(table: Table) -> frozenset[str]:
    return frozenset(key["AttributeName"] for index in table.global_indexes
                     for key in index.schema if key["KeyType"] == "HASH")


def _gsi_keys(table: Table) -> GsiKeys:
    keys: GsiKeys | None = table.__dict__.get(_MAP_ATTRIBUTE)
    if keys is None or keys.attributes != _gsi_hash_attributes(table):
        keys = GsiKeys(table)
        setattr(table, _MAP_ATTRIBUTE, keys)
    return keys


def _stored_items(table: Table) -> Iterator[Item]:
    for held in list(table.items.values()):
        if isinstance(held, Item):  # a table without a sort key holds items directly
            yield held
        else:
            yield from (item for item in held.values() if isinstance(item, Item))


def _stored_item(table: Table, key: ItemKey) -> Item | None:
    hash_value, range_value = key
    held = table.items.get(hash_value)  # .get: moto's items is a defaultdict
    if table.range_key_attr is not None and isinstance(held, dict):
        held = held.get(range_value) if range_value is not None else None
    return held if isinstance(held, Item) else None


def _partition(table: Table, hash_value: DynamoType) -> list[Item]:
    held = table.items.get(hash_value)
    if isinstance(held, dict):
        return [item for item in held.values() if isinstance(item, Item)]
    return [held] if isinstance(held, Item) else []


def _key_of(table: Table, attributes: dict[str, Any]) -> ItemKey | None:
    """The key moto stores a written item under (None when the request had no valid key)."""
    try:
        hash_value = DynamoType(attributes[table.hash_key_attr])
        if table.range_key_attr is None:
            return hash_value, None
        if table.range_key_attr not in attributes:
            return hash_value, None  # moto's update_item on a hash-only key
        return hash_value, DynamoType(attributes[table.range_key_attr])
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


def reindex(table: Table | None, key: ItemKey | None) -> None:
    """Make `table`'s GSI map agree with what it holds at `key` now: after every write here, and
    after code that stores into `table.items` itself (the scale benchmark's bulk load)."""
    if table is not None and key is not None:
        _gsi_keys(table).reindex(table, key)


def candidates(table: Table, hash_key: DynamoType | None, index_name: str | None,
               hash_key_conditions: list[tuple[str, DynamoType]] | None) -> list[Item] | None:
    """The items a Query can return, as DynamoDB would read them (None: let moto look at all)."""
    if not index_name:
        return None if hash_key is None else _partition(table, hash_key)
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    if index is None or not hash_key_conditions:
        return None  # moto's own validation answers
    attribute, value = hash_key_conditions[0]
    if value.type not in _KEY_TYPES:
        return None
    if attribute == table.hash_key_attr:  # a local index, or a global one on the table's hash key
        return _partition(table, value)
    if not isinstance(index, GlobalSecondaryIndex):
        return None
    return _gsi_keys(table).items_with(table, attribute, value)


def install() -> None:
    """Patch moto's DynamoDB models in this process (idempotent)."""
    if _stock:
        return
    _stock.update(query=Table.query, all_items=Table.all_items, put_item=Table.put_item,
                  delete_item=Table.delete_item, update_item=DynamoDBBackend.update_item)
    signature = inspect.signature(Table.query)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        asked = signature.bind(self, *args, **kwargs).arguments
        narrowed = candidates(self, asked.get("hash_key"), asked.get("index_name"),
                              asked.get("hash_key_conditions"))
        if narrowed is None:
            return _stock["query"](self, *args, **kwargs)
        token = _narrowed.set((self, narrowed))
        try:
            return _stock["query"](self, *args, **kwargs)
        finally:
            _narrowed.reset(token)

    def all_items(self: Table) -> list[Item]:
        narrowed = _narrowed.get()
        if narrowed is None or narrowed[0] is not self:
            return _stock["all_items"](self)  # type: ignore[no-any-return]
        # moto's own order for its list of every item, so that its stable sorts that follow
        # see the candidates in the same order as before.
        return sorted(narrowed[1], key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)

    def put_item(self: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return _stock["put_item"](self, item_attrs, *args, **kwargs)
        finally:
            reindex(self, _key_of(self, item_attrs))

    def delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None, *args: Any,
                    **kwargs: Any) -> Any:
        try:
            return _stock["delete_item"](self, hash_key, range_key, *args, **kwargs)
        finally:
            reindex(self, (hash_key, range_key))

    def update_item(self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any,
                    **kwargs: Any) -> Any:
        try:
            return _stock["update_item"](self, table_name, key, *args, **kwargs)
        finally:
            table = self.tables.get(table_name)
            reindex(table, _key_of(table, key) if table is not None else None)

    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.put_item = put_item  # type: ignore[method-assign]
    Table.delete_item = delete_item  # type: ignore[method-assign]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign]


def uninstall() -> None:
    """Put moto's own methods back (for tests that patch in their own process)."""
    if not _stock:
        return
    for name in ("query", "all_items", "put_item", "delete_item"):
        setattr(Table, name, _stock[name])
    DynamoDBBackend.update_item = _stock["update_item"]  # type: ignore[method-assign]
    _stock.clear()
