"""The customer and product archive in the single table: customers, phone look-ups, installed products.

Items (keys built in ``keys``):

- a customer: pk ``CUSTOMERS``, sk ``CUSTOMER#<id>`` — one partition of small records, so the desk's
  list is a Query and a name search is the same Query with a filter (no Scan of the table);
- a phone pointer per customer phone: pk ``PHONE#<e164>``, sk ``CUSTOMER#<id>``;
- an installed product: pk ``PRODUCT#<serial>``, sk ``PRODUCT`` (created with ``attribute_not_exists``,
  which is what makes serial numbers unique), and a copy under ``CUSTOMER#<id>`` / ``PRODUCT#<serial>``
  so a customer's products are one Query.

- a nameplate label (QR code): pk ``LABEL#<id>``, sk ``LABEL`` — found by the id a scanned code carries;
  kept after it is withdrawn, so an old print is told apart from a code that never existed; and the
  label in use for a product: pk ``PRODUCT#<serial>``, sk ``LABEL`` — created with
  ``attribute_not_exists``, so two first downloads at once agree on one label; deleted on withdrawal.

Every record and its pointers/copies are written in one transaction conditioned on the record's
``version``, so a look-up never points at a phone or product the record no longer has.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_items import item_data, to_item
from chalicelib.domain.archive import Customer, InstalledProduct
from chalicelib.domain.nameplates import ProductLabel
from chalicelib.domain.ticket import Ticket
from chalicelib.services.ports import SerialTaken, StaleRecord


def search_text(customer: Customer) -> str:
    """What a name search looks in: name and contact person, case-folded."""
    return " ".join(filter(None, (customer.name, customer.contact_person))).casefold()


class DynamoArchive:
    """Implements ``CustomerArchive`` and ``LabelStore``."""

    def __init__(self, table_name: str, *, one_statement: bool = True):
        """``one_statement``: a new report's look-up as one PartiQL statement (AWS); False: a GetItem and a
        Query (the local stand-in: moto answers a PartiQL select by reading every item of every table)."""
        self._table = table_name
        self._one_statement = one_statement

    @property
    def _ddb(self) -> Any:
        return client("dynamodb")

    # -- customers -----------------------------------------------------------------------------

    def customer(self, customer_id: str) -> Customer | None:
        item = self._ddb.get_item(
            TableName=self._table, Key=to_item(pk=keys.CUSTOMERS_PK, sk=keys.customer_sk(customer_id)),
            ConsistentRead=True,
        ).get("Item")
        return Customer.model_validate(item_data(item)) if item else None

    def customers(self, *, after: str | None = None, limit: int = 50) -> tuple[list[Customer], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item(**{":pk": keys.CUSTOMERS_PK}),
            "Limit": limit,
        }
        if after:
            request["ExclusiveStartKey"] = to_item(pk=keys.CUSTOMERS_PK, sk=keys.customer_sk(after))
        response = self._ddb.query(**request)
        found = [Customer.model_validate(item_data(i)) for i in response["Items"]]
        more = "LastEvaluatedKey" in response and len(found) == limit
        return found, (found[-1].id if more and found else None)

    def search_names(self, text: str, limit: int = 50) -> list[Customer]:
        # Reads the customers' partition with a filter: fine for thousands of customers (small items);
        # at hundreds of thousands a name index would be needed (docs/dynamodb.md).
        pages = self._ddb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            FilterExpression="contains(#search, :text)",
            ExpressionAttributeNames={"#search": "search"},  # a reserved word
            ExpressionAttributeValues=to_item(**{":pk": keys.CUSTOMERS_PK, ":text": text.casefold()}),
        )
        found: list[Customer] = []
        for page in pages:
            found += [Customer.model_validate(item_data(i)) for i in page["Items"]]
            if len(found) >= limit:
                break
        return found[:limit]

    def customer_ids_by_phone(self, e164: str) -> list[str]:
        response = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item(**{":pk": keys.phone_pk(e164)}),
        )
        return [i["sk"]["S"].removeprefix(keys.CUSTOMER_PREFIX) for i in response["Items"]]

    def for_report(self, serial_number: str | None, e164: str) -> tuple[InstalledProduct | None, list[str]]:
        """One PartiQL statement naming both partitions (the product's and the phone's pointers): an equality
        on the partition key in each branch of the OR, so DynamoDB reads the two partitions, never the table
        (and the functions' roles deny any statement that would scan it)."""
        if not self._one_statement:
            return self.product(serial_number) if serial_number else None, self.customer_ids_by_phone(e164)
        partitions = [keys.phone_pk(e164), *([keys.product_pk(serial_number)] if serial_number else [])]
        request: dict[str, Any] = {
            "Statement": f'SELECT * FROM "{self._table}" WHERE ' + " OR ".join("pk = ?" for _ in partitions),
            "Parameters": [{"S": pk} for pk in partitions],
            "ConsistentRead": True,
        }
        product, ids = None, []
        while True:
            response = self._ddb.execute_statement(**request)
            for item in response["Items"]:
                pk, sk = item["pk"]["S"], item["sk"]["S"]
                if pk == keys.phone_pk(e164):
                    ids.append(sk.removeprefix(keys.CUSTOMER_PREFIX))
                elif sk == keys.PRODUCT_SK:
                    product = InstalledProduct.model_validate(item_data(item))
            if "NextToken" not in response:
                return product, sorted(ids)
            request["NextToken"] = response["NextToken"]

    def save_customer(self, customer: Customer, previous: Customer | None) -> None:
        old_phones = set(previous.phones) if previous else set()
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        pk=keys.CUSTOMERS_PK, sk=keys.customer_sk(customer.id), entity="customer",
                        version=customer.version, search=search_text(customer),
                        data=customer.model_dump(mode="json"),
                    ),
                    **self._condition(previous.version if previous else None),
                }
            },
            *(
                {"Delete": {"TableName": self._table,
                            "Key": to_item(pk=keys.phone_pk(phone), sk=keys.customer_sk(customer.id))}}
                for phone in sorted(old_phones - set(customer.phones))
            ),
            *(
                {"Put": {"TableName": self._table,
                         "Item": to_item(pk=keys.phone_pk(phone), sk=keys.customer_sk(customer.id), entity="phone")}}
                for phone in sorted(set(customer.phones) - old_phones)
            ),
        ]
        if not self._try_transact(items):
            raise StaleRecord(customer.id)

    # -- installed products --------------------------------------------------------------------

    def product(self, serial_number: str) -> InstalledProduct | None:
        item = self._ddb.get_item(
            TableName=self._table, Key=to_item(pk=keys.product_pk(serial_number), sk=keys.PRODUCT_SK),
            ConsistentRead=True,
        ).get("Item")
        return InstalledProduct.model_validate(item_data(item)) if item else None

    def products_of(self, customer_id: str) -> list[InstalledProduct]:
        pages = self._ddb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item(**{":pk": keys.customer_pk(customer_id), ":prefix": keys.PRODUCT_PREFIX}),
        )
        return [InstalledProduct.model_validate(item_data(i)) for page in pages for i in page["Items"]]

    def save_product(self, product: InstalledProduct, previous: InstalledProduct | None) -> None:
        data = product.model_dump(mode="json")
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(pk=keys.product_pk(product.serial_number), sk=keys.PRODUCT_SK, entity="product",
                                    version=product.version, data=data),
                    **self._condition(previous.version if previous else None),
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(pk=keys.customer_pk(product.customer_id),
                                    sk=keys.customer_product_sk(product.serial_number), entity="customer_product",
                                    data=data),
                }
            },
        ]
        if previous and previous.customer_id != product.customer_id:
            # The product changed hands: it leaves the old customer's list in the same transaction.
            items.append({"Delete": {"TableName": self._table, "Key": to_item(
                pk=keys.customer_pk(previous.customer_id), sk=keys.customer_product_sk(product.serial_number))}})
        if not self._try_transact(items):
            raise (StaleRecord if previous else SerialTaken)(product.serial_number)

    # -- tickets linked to a customer ----------------------------------------------------------

    def tickets_of(self, customer_id: str, limit: int = 50) -> list[Ticket]:
        response = self._ddb.query(
            TableName=self._table,
            IndexName=keys.GSI_CUSTOMER,
            KeyConditionExpression="customer_pk = :pk",
            ExpressionAttributeValues=to_item(**{":pk": keys.customer_pk(customer_id)}),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [Ticket.model_validate(item_data(i)) for i in response["Items"]]

    # -- nameplate labels ----------------------------------------------------------------------

    def _label_at(self, pk: str) -> ProductLabel | None:
        item = self._ddb.get_item(
            TableName=self._table, Key=to_item(pk=pk, sk=keys.LABEL_SK), ConsistentRead=True
        ).get("Item")
        return ProductLabel.model_validate(item_data(item)) if item else None

    def label(self, label_id: str) -> ProductLabel | None:
        return self._label_at(keys.label_pk(label_id))

    def in_use(self, serial_number: str) -> ProductLabel | None:
        return self._label_at(keys.product_pk(serial_number))

    def issue(self, label: ProductLabel) -> bool:
        data = label.model_dump(mode="json")
        return self._try_transact([
            {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": to_item(pk=keys.label_pk(label.id), sk=keys.LABEL_SK, entity="label", data=data)}},
            {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": to_item(pk=keys.product_pk(label.serial_number), sk=keys.LABEL_SK,
                                     entity="product_label", label_id=label.id, data=data)}},
        ])

    def withdraw(self, label: ProductLabel) -> bool:
        return self._try_transact([
            {"Put": {"TableName": self._table, "ConditionExpression": "attribute_exists(pk)",
                     "Item": to_item(pk=keys.label_pk(label.id), sk=keys.LABEL_SK, entity="label",
                                     data=label.model_dump(mode="json"))}},
            {"Delete": {"TableName": self._table,
                        "Key": to_item(pk=keys.product_pk(label.serial_number), sk=keys.LABEL_SK),
                        "ConditionExpression": "label_id = :id",
                        "ExpressionAttributeValues": to_item(**{":id": label.id})}},
        ])

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _condition(expected_version: int | None) -> dict[str, Any]:
        if expected_version is None:
            return {"ConditionExpression": "attribute_not_exists(pk)"}
        return {
            "ConditionExpression": "#v = :expected",
            "ExpressionAttributeNames": {"#v": "version"},
            "ExpressionAttributeValues": to_item(**{":expected": expected_version}),
        }

    def _try_transact(self, items: list[dict[str, Any]]) -> bool:
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True
