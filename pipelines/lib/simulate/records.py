"""The slowly changing tables (accounts, contracts, contacts) and the truth, derived from the population.

Contracts carry the churn definition: a churned customer's last contract ends on its churn date, and a
customer is active exactly when it holds a contract with status ``active``. Contacts record the hand-over of
the main contact, which happens far more often when a relationship is deteriorating.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from pipelines.lib.simulate.population import (
    ACCOUNT_MANAGERS,
    COUNTRIES,
    INDUSTRIES,
    INVOLUNTARY,
    SEGMENTS,
    SHOCK,
    Calendar,
    Population,
)
from pipelines.lib.simulate.sinks import Column, pick

Columns = dict[str, Column]

NAME_PREFIXES = (
    "Nord",
    "Alpen",
    "Rhein",
    "Delta",
    "Falken",
    "Linden",
    "Berg",
    "Hansa",
    "Isar",
    "Elbe",
    "Sonnen",
    "Stern",
    "Blau",
    "Eichen",
    "Kontor",
    "Vektor",
)
NAME_NOUNS = (
    "Systems",
    "Logistik",
    "Solutions",
    "Werke",
    "Consulting",
    "Handel",
    "Technik",
    "Digital",
    "Partners",
)
LEGAL_FORMS = {"DE": "GmbH", "AT": "GmbH", "CH": "AG", "NL": "B.V.", "FR": "SAS", "GB": "Ltd", "US": "Inc"}
FIRST_NAMES = (
    "anna",
    "lukas",
    "marie",
    "jonas",
    "laura",
    "felix",
    "sophie",
    "paul",
    "lea",
    "max",
    "julia",
    "tim",
    "sarah",
    "david",
    "nina",
    "jan",
    "clara",
    "tom",
    "emma",
    "noah",
    "lena",
    "ben",
    "mia",
    "elias",
)
LAST_NAMES = (
    "mueller",
    "schmidt",
    "schneider",
    "fischer",
    "weber",
    "meyer",
    "wagner",
    "becker",
    "schulz",
    "hoffmann",
    "koch",
    "richter",
    "klein",
    "wolf",
    "neumann",
    "schwarz",
    "braun",
    "zimmermann",
    "hartmann",
    "krause",
)
CONTACT_ROLES = ("decision_maker", "key_user", "accounting")  # slot 0 is the main counterpart
EXTRA_CONTACT_SHARE = 0.5  # chance for each of the other roles to be known
HANDOVER_DAYS = 14  # the successor starts within this many days after the predecessor leaves

STATUSES = ("active", "cancelled", "expired")
CHURN_TYPES = ("voluntary", "involuntary")
INVOLUNTARY_EXPIRED_SHARE = 0.4  # the rest is terminated (cancelled) by us for non-payment
CANCEL_REASONS = (
    "switched to a competitor",
    "budget cuts",
    "no longer needed",
    "missing features or integrations",
    "poor support experience",
    "too expensive",
)
SHOCK_REASONS = ("acquired by a group with another supplier", "new management consolidated suppliers")
INVOLUNTARY_REASONS = ("terminated for unpaid invoices", "direct debit failed repeatedly")
REASONS = (*CANCEL_REASONS, *SHOCK_REASONS, *INVOLUNTARY_REASONS)


def accounts(rng: np.random.Generator, pop: Population) -> Columns:
    legal = tuple(LEGAL_FORMS[c] for c in COUNTRIES)
    name = pc.binary_join_element_wise(
        pick(NAME_PREFIXES, rng.integers(0, len(NAME_PREFIXES), pop.size)),
        pick(NAME_NOUNS, rng.integers(0, len(NAME_NOUNS), pop.size)),
        pick(legal, pop.country),
        " ",
    )
    return {
        "created_at": pop.created,
        "name": name,
        "industry": pick(INDUSTRIES, pop.industry),
        "country": pick(COUNTRIES, pop.country),
        "segment": pick(SEGMENTS, pop.segment),
        "account_manager": pick(ACCOUNT_MANAGERS, pop.manager),
        "acquisition_cost": pop.acquisition_cost,
    }


# Account hierarchies: this share of customers belongs to a parent account (a group's subsidiaries), under one
# parent per PARENT_SIZE of them; parents are customers themselves and have no parent.
CHILD_SHARE = 0.12
PARENT_SIZE = 8


def parents(rng: np.random.Generator, pop: Population) -> NDArray[np.int64]:
    """Each customer's parent (its index), -1 for none. A child's parent was created no later than the child, so a
    delivery cut at an earlier date never names a parent it does not yet hold. From its own stream: the other
    tables draw as they did before hierarchies existed."""
    n = pop.size
    n_parents = max(1, round(n * CHILD_SHARE / PARENT_SIZE)) if n >= 2 else 0
    n_children = min(round(n * CHILD_SHARE), n - n_parents)
    order = rng.permutation(n)
    parent_pool, child_pool = order[:n_parents], order[n_parents : n_parents + n_children]
    by_age = parent_pool[np.argsort(pop.created[parent_pool], kind="stable")]
    older = np.searchsorted(pop.created[by_age], pop.created[child_pool], side="right")
    pick_one = np.floor(rng.random(child_pool.size) * older).astype(np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    has = older > 0  # a child older than every parent stays on its own
    parent[child_pool[has]] = by_age[pick_one[has]]
    return parent


def contracts(rng: np.random.Generator, pop: Population) -> tuple[NDArray, Columns]:
    """One contract from creation, a new one at every up- or downgrade, the last one ending at churn."""
    changed, on, new_value = pop.changes
    customer = np.concatenate([np.arange(pop.size), changed])
    start = np.concatenate([pop.created, on])
    value = np.concatenate([pop.base_value, new_value])
    order = np.lexsort((start, customer))
    customer, start, value = customer[order], start[order], value[order]
    last = np.append(customer[1:] != customer[:-1], True)
    churned, kind = pop.churned[customer], pop.churn_kind[customer]
    ended = last & ~np.isnat(churned)
    involuntary = ended & (kind == INVOLUNTARY)
    status = np.where(last & ~ended, 0, 2)  # a superseded contract has expired
    status[ended & ~involuntary] = 1
    status[involuntary] = np.where(rng.random(involuntary.sum()) < INVOLUNTARY_EXPIRED_SHARE, 2, 1)
    # An index into REASONS, drawn from the part of the list that matches how the customer left.
    draw = rng.random(customer.size)
    reason = np.select(
        [involuntary, kind == SHOCK],
        [
            len(CANCEL_REASONS) + len(SHOCK_REASONS) + draw * len(INVOLUNTARY_REASONS),
            len(CANCEL_REASONS) + draw * len(SHOCK_REASONS),
        ],
        draw * len(CANCEL_REASONS),
    ).astype(np.int64)
    end_date = np.where(last, churned, np.append(start[1:], start[-1:]) - 1)
    t = np.lexsort((customer, start))  # ids follow time
    return customer[t], {
        "start_date": start[t],
        "end_date": end_date[t],
        "status": pick(STATUSES, status[t]),
        "churn_type": pick(CHURN_TYPES, involuntary[t], null=~ended[t]),
        "cancel_reason": pick(REASONS, reason[t], null=~ended[t]),
        "monthly_value": np.round(value[t], 2),
    }


def contacts(rng: np.random.Generator, pop: Population, end: np.datetime64) -> tuple[NDArray, Columns]:
    """Contacts known from the account's creation; a hand-over ends the main contact and starts a new one."""
    slots = 1 + rng.binomial(len(CONTACT_ROLES) - 1, EXTRA_CONTACT_SHARE, pop.size)
    initial = np.repeat(np.arange(pop.size), slots)
    left, on = pop.handovers
    customer = np.concatenate([initial, left])
    slot = np.concatenate([np.arange(initial.size) - np.repeat(np.cumsum(slots) - slots, slots), 0 * left])
    successor_start = np.minimum(on + rng.integers(0, HANDOVER_DAYS + 1, on.size), pop.last_day(end)[left])
    start = np.concatenate([pop.created[initial], successor_start])
    predecessor_left = np.concatenate([np.full(initial.size, np.datetime64("NaT", "D")), on])
    order = np.lexsort((start, slot, customer))
    customer, slot, start = customer[order], slot[order], start[order]
    predecessor_left = predecessor_left[order]
    succeeded = np.append((customer[1:] == customer[:-1]) & (slot[1:] == slot[:-1]), False)
    left_on = np.maximum(np.append(predecessor_left[1:], start[-1:]), start)
    ended = np.where(succeeded, left_on, np.datetime64("NaT", "D"))
    t = np.lexsort((slot, customer, start))  # ids follow time
    customer, slot, start, ended = customer[t], slot[t], start[t], ended[t]
    first = pick(FIRST_NAMES, rng.integers(0, len(FIRST_NAMES), customer.size))
    last = pick(LAST_NAMES, rng.integers(0, len(LAST_NAMES), customer.size))
    number = pc.utf8_lpad(pa.array(customer + 1).cast(pa.string()), width=4, padding="0")
    return customer, {
        "started_at": start,
        "ended_at": ended,
        "role": pick(CONTACT_ROLES, slot),
        "email": pc.binary_join_element_wise(first, ".", last, "@company", number, ".example", ""),
        "name": pc.binary_join_element_wise(pc.utf8_capitalize(first), pc.utf8_capitalize(last), " "),
    }


def churn_probability(pop: Population, cal: Calendar) -> tuple[NDArray, NDArray, NDArray]:
    """(customer, month end, P(churn within the horizon | state then)) for every customer holding a contract
    at the month end."""
    month, customer = np.nonzero(~np.isnan(pop.p_churn.T))
    return customer, cal.month_ends[month], pop.p_churn[customer, month]
