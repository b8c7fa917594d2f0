"""What the source systems record each month, given every customer's health that month.

Each generator draws one month of one table for all active customers at once. Health moves every signal the
practitioners' guides name, each with its own strength and noise, so that no single column gives churn away:
fewer e-mails and calls, later payments, fewer and smaller orders, support tickets about data export and
compatibility, falling logins and feature use, lower NPS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pipelines.lib.simulate.population import INVOLUNTARY, Calendar, Population, expit
from pipelines.lib.simulate.sinks import Column, pick

Columns = dict[str, Column]

WEEKEND_WEIGHT = 0.08  # B2B: little happens on Saturdays and Sundays
WORK_HOURS = (8, 18)

ORDER_HEALTH = 0.3  # log-rate change per unit of health
ORDER_AMOUNT_HEALTH = 0.1
ORDER_AMOUNT_SD = 0.5
ORDER_CATEGORIES = ("product", "service", "spare_parts", "training", "consulting")
ORDER_CATEGORY_WEIGHTS = np.array([0.40, 0.20, 0.20, 0.08, 0.12])
ORDER_CATEGORY_HEALTH = np.array([0.0, 0.6, 0.6, 0.3, 0.3])  # service and spare parts fall away first

PAYMENT_TERMS_DAYS = 30
LATE_NOISE_SD = 3.0
LATE_WHEN_UNHEALTHY = 10.0  # extra days late at the bottom of a decline
LATE_HEALTH_MIDPOINT = -0.8  # health at which half of that shift has appeared
DISTRESS_UNPAID = 0.6  # share of invoices in financial distress never paid
DISTRESS_EXTRA_DAYS = (30, 100)

INTERACTION_HEALTH = 0.5
CHANNELS = ("email", "call", "meeting")
CHANNEL_WEIGHTS = np.array([0.60, 0.27, 0.13])
DIRECTIONS = ("inbound", "outbound")
OUTBOUND_SHARE = 0.55
RESPONSE_HOURS_MEDIAN = 5.0
RESPONSE_HEALTH = 0.35  # replies slow down as health falls

TICKET_HEALTH = 0.2
TICKET_SPIKE = 1.2  # extra tickets per month at the bottom of a decline
TICKET_CATEGORIES = ("how_to", "bug", "billing", "data_export", "compatibility")
TICKET_CATEGORY_WEIGHTS = np.array([0.35, 0.30, 0.15, 0.10, 0.10])
TICKET_CATEGORY_HEALTH = np.array([0.0, 0.0, 0.0, -0.9, -0.9])  # leaving means getting the data out
PRIORITIES = ("low", "medium", "high", "urgent")
PRIORITY_WEIGHTS = np.array([0.35, 0.40, 0.20, 0.05])
RESOLUTION_HOURS_MEDIAN = np.array([40.0, 24.0, 10.0, 4.0])
CSAT_ANSWERED = 0.55

USAGE_DAY_LOGIT = 1.8  # a healthy account is active on most working days
USAGE_DAY_HEALTH = 0.7
USER_SHARE_LOGIT = -0.6  # share of licensed seats active on a given day
USER_SHARE_HEALTH = 0.45
FEATURES_AVAILABLE = 24
FEATURE_LOGIT = -0.4
FEATURE_HEALTH = 0.45
LOGINS_PER_USER_EXTRA = 0.6
PAGE_VIEWS_PER_LOGIN = 7.0
DOWNLOADS_PER_LOGIN = 0.25

SURVEY_MONTHS = (3, 6, 9, 12)
SURVEY_RESPONSE = 0.4
NPS_MEAN = 8.0
NPS_HEALTH = 1.6
NPS_NOISE_SD = 1.3
COMMENT_SHARE = 0.3
COMMENTS = {
    "detractor": (
        "Export to our new system is painful",
        "Too many bugs lately",
        "Support takes too long to answer",
        "We are evaluating alternatives",
        "Does not work with our other tools",
    ),
    "passive": ("Works, but setup was slow", "Price is on the high side", "Missing a few reports we need"),
    "promoter": ("Great support team", "Saves us a lot of time", "Very reliable"),
}
COMMENT_TEXTS = tuple(text for texts in COMMENTS.values() for text in texts)


@dataclass(frozen=True)
class Month:
    """One window month: its days, and the customers that can act in it between their first and last day."""

    index: int
    days: NDArray[np.datetime64]
    day_weights: NDArray[np.float64]
    customers: NDArray[np.int64]
    first: NDArray[np.datetime64]
    last: NDArray[np.datetime64]
    health: NDArray[np.float64]

    @classmethod
    def of(cls, pop: Population, cal: Calendar, index: int, last_day: NDArray[np.datetime64]) -> Month:
        days = cal.days(index)
        first = np.maximum(pop.created, days[0])
        last = np.minimum(last_day, days[-1])
        customers = np.flatnonzero(first <= last)
        weekend = _weekday(days) >= 5
        weights = np.where(weekend, WEEKEND_WEIGHT, 1.0)
        return cls(
            index=index,
            days=days,
            day_weights=weights / weights.sum(),
            customers=customers,
            first=first[customers],
            last=last[customers],
            health=pop.health[customers, index].astype(np.float64),
        )

    def scatter(self, rng: np.random.Generator, counts: NDArray[np.int64]) -> tuple[NDArray, NDArray]:
        """Spread each active customer's events over (mostly working) days on which the customer exists.

        Returns the local customer index and the date of each event, sorted by date so ids follow time.
        """
        local = np.repeat(np.arange(counts.size), counts)
        dates = self.days[rng.choice(self.days.size, local.size, p=self.day_weights)]
        keep = (dates >= self.first[local]) & (dates <= self.last[local])
        order = np.lexsort((local[keep], dates[keep]))
        return local[keep][order], dates[keep][order]


def _weekday(days: NDArray[np.datetime64]) -> NDArray[np.int64]:
    """Monday = 0; 1970-01-01 was a Thursday."""
    return (days.astype(np.int64) + 3) % 7


def _at_work_hours(rng: np.random.Generator, dates: NDArray[np.datetime64]) -> NDArray[np.datetime64]:
    seconds = rng.integers(WORK_HOURS[0] * 3600, WORK_HOURS[1] * 3600, dates.size)
    return dates.astype("datetime64[s]") + seconds


def _categorical(rng: np.random.Generator, weights: NDArray[np.float64]) -> NDArray[np.int64]:
    """One draw per row from row-wise (unnormalised) weights."""
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(weights.shape[0]) * cumulative[:, -1]
    return (u[:, None] >= cumulative).sum(axis=1)


def orders(rng: np.random.Generator, pop: Population, m: Month) -> tuple[NDArray, Columns]:
    """Fewer and smaller orders as health falls: longer gaps between orders, revenue trending down."""
    local, dates = m.scatter(rng, rng.poisson(pop.order_rate[m.customers] * np.exp(ORDER_HEALTH * m.health)))
    customer, health = m.customers[local], m.health[local]
    amount = pop.order_size[customer] * rng.lognormal(0.0, ORDER_AMOUNT_SD, local.size)
    weights = ORDER_CATEGORY_WEIGHTS * np.exp(ORDER_CATEGORY_HEALTH * health[:, None].clip(None, 1.0))
    return customer, {
        "order_date": dates,
        "amount": np.round(amount * np.exp(ORDER_AMOUNT_HEALTH * health), 2),
        "category": pick(ORDER_CATEGORIES, _categorical(rng, weights)),
    }


def invoices(
    rng: np.random.Generator, pop: Population, m: Month, carried: NDArray[np.float64], end: np.datetime64
) -> tuple[NDArray, Columns]:
    """One invoice on the first of the month: the contract fee plus last month's orders.

    Days late = the customer's own habit + noise + a shift of up to 10 days as health falls; in financial
    distress most invoices are never paid. A payment that would fall after ``end`` is not known yet (null);
    a voluntary leaver settles its last invoice when it leaves, an involuntary one does not pay it.
    """
    issued = m.days[0]
    local = np.flatnonzero(m.first <= issued)
    customer = m.customers[local]
    due = np.full(local.size, issued + PAYMENT_TERMS_DAYS)
    habit = pop.late_norm[customer] + rng.normal(0.0, LATE_NOISE_SD, local.size)
    distress_days = rng.uniform(*DISTRESS_EXTRA_DAYS, local.size)

    def payment(month: int) -> tuple[NDArray, NDArray]:
        health = pop.health[customer, month].astype(np.float64)
        distressed = pop.distressed[customer, month]
        late = habit + LATE_WHEN_UNHEALTHY * expit(-2.5 * (health - LATE_HEALTH_MIDPOINT))
        late += np.where(distressed, distress_days, 0.0)
        return np.maximum(due + np.round(late).astype(np.int64), issued), distressed

    # A payment follows the state of the month in which it is made: early payers settle within this month on this
    # month's state; everyone else pays (or, in distress, stops paying) on next month's. So trouble that starts
    # next month shows in the invoice now open, and nothing paid by a month end reveals a later month.
    paid, distressed = payment(m.index)
    later = paid > m.days[-1]
    if m.index + 1 < pop.health.shape[1]:
        paid_next, distressed_next = payment(m.index + 1)
        paid_next = np.maximum(paid_next, m.days[-1] + 1)  # decided next month, so paid then at the earliest
        paid, distressed = np.where(later, paid_next, paid), np.where(later, distressed_next, distressed)
    churned = pop.churned[customer]
    involuntary = pop.churn_kind[customer] == INVOLUNTARY
    after_churn = ~np.isnat(churned) & (paid > churned)
    paid = np.where(after_churn & ~involuntary, churned, paid)
    unpaid = (distressed & (rng.random(local.size) < DISTRESS_UNPAID)) | (after_churn & involuntary)
    paid[unpaid | (paid > end)] = np.datetime64("NaT")
    return customer, {
        "issued_at": np.full(local.size, issued),
        "due_date": due,
        "amount": np.round(pop.value[customer, m.index] + carried[customer], 2),
        "paid_at": paid,
    }


def interactions(rng: np.random.Generator, pop: Population, m: Month) -> tuple[NDArray, Columns]:
    """About 40% fewer e-mails, calls and meetings at the bottom of a decline, and slower replies."""
    rates = pop.interaction_rate[m.customers] * np.exp(INTERACTION_HEALTH * m.health)
    local, dates = m.scatter(rng, rng.poisson(rates))
    customer, health = m.customers[local], m.health[local]
    occurred = _at_work_hours(rng, dates)
    order = np.lexsort((customer, occurred))
    channel = rng.choice(len(CHANNELS), local.size, p=CHANNEL_WEIGHTS)
    hours = rng.lognormal(np.log(RESPONSE_HOURS_MEDIAN) - RESPONSE_HEALTH * health, 0.9)
    hours = np.where(channel == CHANNELS.index("meeting"), np.nan, np.round(hours, 1))
    return customer[order], {
        "occurred_at": occurred[order],
        "channel": pick(CHANNELS, channel[order]),
        "direction": pick(DIRECTIONS, (rng.random(local.size) < OUTBOUND_SHARE)[order]),
        "response_hours": hours[order],
    }


def tickets(
    rng: np.random.Generator, pop: Population, m: Month, end: np.datetime64
) -> tuple[NDArray, Columns]:
    """More tickets when health falls, clustered, and shifting towards data export and compatibility."""
    rates = pop.ticket_rate[m.customers] * np.exp(-TICKET_HEALTH * m.health) + TICKET_SPIKE * expit(
        -3.0 * (m.health + 1.5)
    )
    local, dates = m.scatter(rng, rng.poisson(rates))
    customer, health = m.customers[local], m.health[local]
    opened = _at_work_hours(rng, dates)
    order = np.lexsort((customer, opened))
    customer, health, opened = customer[order], health[order], opened[order]
    category = _categorical(rng, TICKET_CATEGORY_WEIGHTS * np.exp(TICKET_CATEGORY_HEALTH * health[:, None]))
    priority = rng.choice(len(PRIORITIES), customer.size, p=PRIORITY_WEIGHTS)
    hours = rng.lognormal(np.log(RESOLUTION_HOURS_MEDIAN[priority]), 1.0)
    closed = opened + np.round(hours * 3600).astype("timedelta64[s]")
    churned = pop.churned[customer]
    # A ticket still open when the customer leaves is closed with the account.
    at_churn = np.maximum((churned + 1).astype("datetime64[s]") - 1, opened)
    closed = np.where(~np.isnat(churned) & (closed > at_churn), at_churn, closed)
    closed[closed >= (end + 1).astype("datetime64[s]")] = np.datetime64("NaT")
    csat = np.clip(np.round(4.1 + 0.5 * health + rng.normal(0.0, 0.8, customer.size)), 1, 5)
    csat = np.where((rng.random(customer.size) < CSAT_ANSWERED) & ~np.isnat(closed), csat, np.nan)
    return customer, {
        "opened_at": opened,
        "closed_at": closed,
        "category": pick(TICKET_CATEGORIES, category),
        "priority": pick(PRIORITIES, priority),
        "csat": csat,
    }


def usage(rng: np.random.Generator, pop: Population, m: Month) -> tuple[NDArray, Columns]:
    """One row per customer and active day; fewer active days, users and features as health falls."""
    weekday_factor = np.where(_weekday(m.days) >= 5, WEEKEND_WEIGHT, 1.0)
    p_day = expit(USAGE_DAY_LOGIT + USAGE_DAY_HEALTH * m.health)[:, None] * weekday_factor[None, :]
    in_range = (m.days[None, :] >= m.first[:, None]) & (m.days[None, :] <= m.last[:, None])
    active = in_range & (rng.random(p_day.shape) < p_day)
    day, local = np.nonzero(active.T)  # day-major, so rows come out sorted by date
    customer, health = m.customers[local], m.health[local]
    user_share = expit(USER_SHARE_LOGIT + USER_SHARE_HEALTH * health)
    users = np.maximum(1, rng.binomial(pop.seats[customer], user_share))
    logins = users + rng.poisson(LOGINS_PER_USER_EXTRA * users)
    feature_share = expit(FEATURE_LOGIT + FEATURE_HEALTH * health)
    return customer, {
        "date": m.days[day],
        "logins": logins,
        "active_users": users,
        "features_used": np.maximum(1, rng.binomial(FEATURES_AVAILABLE, feature_share)),
        "page_views": rng.poisson(PAGE_VIEWS_PER_LOGIN * logins),
        "downloads": rng.poisson(DOWNLOADS_PER_LOGIN * logins),
    }


def surveys(rng: np.random.Generator, pop: Population, m: Month) -> tuple[NDArray, Columns]:
    """A quarterly NPS survey that some customers answer; scores fall below 7 as health falls."""
    month_of_year = int(m.days[0].astype("datetime64[M]").astype(np.int64) % 12) + 1
    response = SURVEY_RESPONSE if month_of_year in SURVEY_MONTHS else 0.0
    local, dates = m.scatter(rng, (rng.random(m.customers.size) < response).astype(np.int64))
    nps = NPS_MEAN + NPS_HEALTH * m.health[local] + rng.normal(0.0, NPS_NOISE_SD, local.size)
    nps = np.clip(np.round(nps), 0, 10).astype(np.int64)
    group = np.where(nps <= 6, 0, np.where(nps <= 8, 1, 2))  # detractor, passive, promoter
    sizes = np.array([len(texts) for texts in COMMENTS.values()])
    offsets = np.cumsum(sizes) - sizes  # where each group's comments start in COMMENT_TEXTS
    comment = offsets[group] + (rng.random(local.size) * sizes[group]).astype(np.int64)
    return m.customers[local], {
        "answered_at": dates,
        "nps": nps,
        "comment": pick(COMMENT_TEXTS, comment, null=rng.random(local.size) >= COMMENT_SHARE),
    }
