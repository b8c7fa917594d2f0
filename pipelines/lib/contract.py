"""The v1 source contract in code: the one place that says which tables and columns Retention Radar reads.

The loader, the data-quality rules and the docs all read this table, so a new column is added here once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableContract:
    name: str
    system: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    # Date columns that must parse and must not lie in the future; the first one dates the record.
    dates: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def event_date(self) -> str | None:
        return self.dates[0] if self.dates else None

    @property
    def has_customer(self) -> bool:
        return "customer_id" in self.required


CONTRACT: dict[str, TableContract] = {
    t.name: t
    for t in (
        TableContract(
            "accounts",
            "crm",
            ("customer_id", "created_at"),
            ("name", "industry", "country", "segment", "account_manager", "acquisition_cost"),
            key=("customer_id",),
            dates=("created_at",),
            amounts=("acquisition_cost",),
        ),
        TableContract(
            "contacts",
            "crm",
            ("contact_id", "customer_id", "started_at"),
            ("ended_at", "role", "email", "name"),
            key=("contact_id",),
            dates=("started_at",),
        ),
        TableContract(
            "surveys",
            "crm",
            ("customer_id", "answered_at", "nps"),
            ("comment",),
            dates=("answered_at",),
        ),
        TableContract(
            "contracts",
            "erp",
            ("contract_id", "customer_id", "start_date"),
            ("end_date", "status", "churn_type", "cancel_reason", "monthly_value"),
            key=("contract_id",),
            dates=("start_date",),
            amounts=("monthly_value",),
        ),
        TableContract(
            "orders",
            "erp",
            ("order_id", "customer_id", "order_date", "amount"),
            ("category",),
            key=("order_id",),
            dates=("order_date",),
            amounts=("amount",),
        ),
        TableContract(
            "invoices",
            "erp",
            ("invoice_id", "customer_id", "issued_at", "due_date", "amount"),
            ("paid_at",),
            key=("invoice_id",),
            dates=("issued_at", "due_date"),
            amounts=("amount",),
        ),
        TableContract(
            "interactions",
            "comms",
            ("interaction_id", "customer_id", "occurred_at", "channel"),
            ("direction", "response_hours"),
            key=("interaction_id",),
            dates=("occurred_at",),
        ),
        TableContract(
            "tickets",
            "support",
            ("ticket_id", "customer_id", "opened_at"),
            ("closed_at", "category", "priority", "csat"),
            key=("ticket_id",),
            dates=("opened_at",),
        ),
        TableContract(
            "usage",
            "web",
            ("customer_id", "date"),
            ("logins", "active_users", "features_used", "page_views", "downloads"),
            key=("customer_id", "date"),
            dates=("date",),
        ),
    )
}

REQUIRED_TABLES = ("accounts",)
