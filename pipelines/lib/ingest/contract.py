"""The v1 source contract in code: the one place that says which tables and columns Retention Radar reads.

The loader, the data-quality rules, the load-time validation and the docs all read this table, so a new column is
added here once.
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
    # Optional date columns: when filled they must parse (a wrong type), but an empty one is fine.
    optional_dates: tuple[str, ...] = ()
    # Numeric columns with their allowed range (None = unbounded); a filled value must parse and lie inside.
    numbers: tuple[tuple[str, float | None, float | None], ...] = ()
    # Categorical columns and the values they may take (compared lower-case and trimmed, as staging reads them).
    categories: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # (start, end) date pairs: when both are filled the end must not lie before the start.
    ordered: tuple[tuple[str, str], ...] = ()
    # Scores: whole numbers within an inclusive range (NPS 0-10); anything else is not an answer on the scale.
    scores: tuple[tuple[str, int, int], ...] = ()
    # A column naming another record of the same table by its key (accounts.parent_id: the parent account). A
    # filled one must name a record of the same delivery, not the record itself, and not lead back to it.
    parent: str | None = None
    # What the pipeline cannot see without this table, for the "tables not delivered" message.
    signals: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def event_date(self) -> str | None:
        return self.dates[0] if self.dates else None

    @property
    def has_customer(self) -> bool:
        return "customer_id" in self.required


_COUNT = (0.0, None)

CONTRACT: dict[str, TableContract] = {
    t.name: t
    for t in (
        TableContract(
            "accounts",
            "crm",
            ("customer_id", "created_at"),
            ("name", "industry", "country", "segment", "account_manager", "acquisition_cost", "parent_id"),
            key=("customer_id",),
            dates=("created_at",),
            amounts=("acquisition_cost",),
            numbers=(("acquisition_cost", None, None),),
            parent="parent_id",
            signals="the customer base itself",
        ),
        TableContract(
            "contacts",
            "crm",
            ("contact_id", "customer_id", "started_at"),
            ("ended_at", "role", "email", "name"),
            key=("contact_id",),
            dates=("started_at",),
            optional_dates=("ended_at",),
            ordered=(("started_at", "ended_at"),),
            signals="contact-person changes",
        ),
        TableContract(
            "surveys",
            "crm",
            ("customer_id", "answered_at", "nps"),
            ("comment",),
            # one answer per customer and day: a second one the same day is a duplicate delivery
            key=("customer_id", "answered_at"),
            dates=("answered_at",),
            scores=(("nps", 0, 10),),
            signals="NPS",
        ),
        TableContract(
            "contracts",
            "erp",
            ("contract_id", "customer_id", "start_date"),
            ("end_date", "status", "churn_type", "cancel_reason", "monthly_value"),
            key=("contract_id",),
            dates=("start_date",),
            amounts=("monthly_value",),
            optional_dates=("end_date",),
            numbers=(("monthly_value", None, None),),
            categories=(
                ("status", ("active", "cancelled", "expired")),
                ("churn_type", ("voluntary", "involuntary")),
            ),
            ordered=(("start_date", "end_date"),),
            signals="contract value and the contractual churn definition",
        ),
        TableContract(
            "orders",
            "erp",
            ("order_id", "customer_id", "order_date", "amount"),
            ("category",),
            key=("order_id",),
            dates=("order_date",),
            amounts=("amount",),
            numbers=(("amount", None, None),),
            signals="order frequency and revenue trend",
        ),
        TableContract(
            "invoices",
            "erp",
            ("invoice_id", "customer_id", "issued_at", "due_date", "amount"),
            ("paid_at",),
            key=("invoice_id",),
            dates=("issued_at", "due_date"),
            amounts=("amount",),
            optional_dates=("paid_at",),
            numbers=(("amount", None, None),),
            ordered=(("issued_at", "due_date"),),
            signals="payment delays",
        ),
        TableContract(
            "interactions",
            "comms",
            ("interaction_id", "customer_id", "occurred_at", "channel"),
            ("direction", "response_hours"),
            key=("interaction_id",),
            dates=("occurred_at",),
            numbers=(("response_hours", *_COUNT),),
            categories=(("channel", ("email", "call", "meeting")), ("direction", ("inbound", "outbound"))),
            signals="e-mail/call/meeting frequency and response times",
        ),
        TableContract(
            "tickets",
            "support",
            ("ticket_id", "customer_id", "opened_at"),
            ("closed_at", "category", "priority", "csat"),
            key=("ticket_id",),
            dates=("opened_at",),
            optional_dates=("closed_at",),
            numbers=(("csat", 1.0, 5.0),),
            ordered=(("opened_at", "closed_at"),),
            signals="support load and export/compatibility tickets",
        ),
        TableContract(
            "usage",
            "web",
            ("customer_id", "date"),
            ("logins", "active_users", "features_used", "page_views", "downloads"),
            key=("customer_id", "date"),
            dates=("date",),
            numbers=tuple(
                (c, *_COUNT) for c in ("logins", "active_users", "features_used", "page_views", "downloads")
            ),
            signals="logins, active users and feature use",
        ),
    )
}

REQUIRED_TABLES = ("accounts",)


def missing_tables_message(missing: list[str]) -> str:
    """One line saying which optional tables were not delivered and which signals the model goes without."""
    lost = "; ".join(f"{t} ({CONTRACT[t].signals})" for t in missing)
    return f"tables not delivered: {lost}; their features stay empty, the rest of the pipeline runs"
