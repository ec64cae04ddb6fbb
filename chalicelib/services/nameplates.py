"""Nameplate QR codes (扫码报修): the office prints a code per installed product; a customer scans it and
reports a fault with the archive's facts already filled in.

A code is the URL ``<base>/q/<signed label id>``. The files (PNG, SVG, a PDF sheet of labels) are
written to the private bucket and handed out by a short-lived link, like reports and forms, so no
binary body crosses API Gateway.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from chalicelib.domain.archive import Customer, InstalledProduct, serial_key
from chalicelib.domain.nameplates import ProductLabel, new_label
from chalicelib.domain.permissions import Actor, Work, check_work, name_of
from chalicelib.domain.warranty import Warranty
from chalicelib.services.archive import UnknownProduct
from chalicelib.services.ports import BadLink, Clock, CustomerArchive, FileStore

CodeFormat = Literal["png", "svg"]
_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
_FILE_NAME = re.compile(r"[^\w.-]+")


class LabelStore(Protocol):
    def label(self, label_id: str) -> ProductLabel | None: ...

    def in_use(self, serial_number: str) -> ProductLabel | None:
        """The product's label in use, if it has one."""

    def issue(self, label: ProductLabel) -> bool:
        """Stores a new label as its product's one in use; False if the product has one already."""

    def withdraw(self, label: ProductLabel) -> bool:
        """Stores ``label`` (marked withdrawn) and frees its product; False if it was no longer in use."""


class LabelSigner(Protocol):
    def sign(self, label_id: str) -> str: ...

    def verify(self, token: str) -> str:
        """The label id in a token; raises ``BadLink`` if the token is not one we signed."""


class ForgedCode(Exception):
    """The scanned code is not one we made (or was copied wrong)."""


class CodeWithdrawn(Exception):
    """A code we made, no longer in use: withdrawn, replaced, or its product left the archive."""


@dataclass(frozen=True)
class NameplateConfig:
    public_base_url: str
    timezone: str
    download_seconds: int = 300


@dataclass(frozen=True)
class ScannedProduct:
    """What a scan fills in and locks on the report form."""

    product: InstalledProduct
    customer: Customer
    warranty: Warranty


class NameplateService:
    def __init__(
        self, archive: CustomerArchive, labels: LabelStore, signer: LabelSigner, files: FileStore, clock: Clock,
        config: NameplateConfig,
    ):
        self._archive = archive
        self._labels = labels
        self._signer = signer
        self._files = files
        self._clock = clock
        self._config = config

    def scan_url(self, token: str) -> str:
        return f"{self._config.public_base_url.rstrip('/')}/q/{token}"

    # -- the office --------------------------------------------------------------------------------

    def label_in_use(self, serial_number: str) -> ProductLabel | None:
        return self._labels.in_use(serial_key(serial_number) or "")

    def scan_url_of(self, label: ProductLabel) -> str:
        return self.scan_url(self._signer.sign(label.id))

    def code_url(self, serial_number: str, *, actor: Actor) -> str:
        """The URL a product's code carries; its first code is issued now, by ``actor``: a reader of the
        archive (``domain/permissions.py``)."""
        check_work(actor, Work.PRINT_NAMEPLATES)
        return self.scan_url_of(self._label_for(self._product(serial_number), name_of(actor)))

    def code_file(self, serial_number: str, kind: CodeFormat, *, actor: Actor) -> str:
        """A short-lived link to the product's code as a PNG or SVG file."""
        check_work(actor, Work.PRINT_NAMEPLATES)
        # Codes and label sheets (QR, PDF, the font) load when one is drawn, not at a cold start.
        from chalicelib.services import label_sheet

        product = self._product(serial_number)
        url = self.code_url(product.serial_number, actor=actor)
        data = label_sheet.code_png(url) if kind == "png" else label_sheet.code_svg(url, product.serial_number)
        return self._stored(f"labels/codes/{_digest(url)}/{_file_name(product.serial_number)}.{kind}", data, kind)

    def sheet_file(self, customer_id: str, *, actor: Actor, footer: str = "") -> str | None:
        """A short-lived link to a PDF of labels for every product of the customer (None: it has none)."""
        check_work(actor, Work.PRINT_NAMEPLATES)
        products = self._archive.products_of(customer_id)
        if not products:
            return None
        from chalicelib.services import label_sheet

        labels = [
            label_sheet.Label(self.code_url(p.serial_number, actor=actor), (p.model, p.serial_number))
            for p in products
        ]
        data = label_sheet.label_sheet_pdf(labels, footer)
        return self._stored(f"labels/sheets/{_digest(customer_id)}/labels-{_file_name(customer_id)}.pdf", data, "pdf")

    def withdraw(self, serial_number: str, *, actor: Actor) -> bool:
        """Takes the product's code out of use (every print of it then shows a notice); the next download
        issues a new one. False if it had none in use. ``actor``: an editor of the archive."""
        check_work(actor, Work.WITHDRAW_NAMEPLATE)
        label = self.label_in_use(serial_number)
        if label is None:
            return False
        return self._labels.withdraw(label.withdrawn(self._clock.now(), name_of(actor)))

    # -- the customer's scan -----------------------------------------------------------------------

    def scan(self, token: str) -> ScannedProduct:
        """Raises ``ForgedCode`` for a code we never made, ``CodeWithdrawn`` for one no longer in use."""
        try:
            label_id = self._signer.verify(token)
        except BadLink:
            raise ForgedCode(token) from None
        label = self._labels.label(label_id)
        if label is None:
            # Signed by us but not on file: a label of a wiped table, say. Still not a forgery.
            raise CodeWithdrawn(label_id)
        current = self._labels.in_use(label.serial_number)
        product = self._archive.product(label.serial_number)
        customer = self._archive.customer(product.customer_id) if product else None
        if current is None or current.id != label.id or product is None or customer is None:
            raise CodeWithdrawn(label_id)
        return ScannedProduct(product, customer, product.warranty(self.today()))

    def today(self) -> date:
        return self._clock.now().astimezone(ZoneInfo(self._config.timezone)).date()

    # -- helpers -----------------------------------------------------------------------------------

    def _product(self, serial_number: str) -> InstalledProduct:
        product = self._archive.product(serial_key(serial_number) or "")
        if product is None:
            raise UnknownProduct(serial_number)
        return product

    def _label_for(self, product: InstalledProduct, actor: str) -> ProductLabel:
        for _ in range(3):
            label = self._labels.in_use(product.serial_number)
            if label is not None:
                return label
            label = new_label(product.serial_number, self._clock.now(), actor)
            if self._labels.issue(label):
                return label
            # Someone issued one at the same moment: theirs is the one in use.
        raise RuntimeError(f"no label could be issued for {product.serial_number}")

    def _stored(self, key: str, data: bytes, kind: str) -> str:
        self._files.put(key, data, _TYPES[kind])
        return self._files.presigned_download(key, self._config.download_seconds)


def _digest(text: str) -> str:
    # Keys of files made from a code's URL stay unguessable without spelling out the URL.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _file_name(text: str) -> str:
    return _FILE_NAME.sub("_", text).strip("._") or "label"
