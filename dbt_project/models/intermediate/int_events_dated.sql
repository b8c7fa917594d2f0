-- One row per usable event of any source: who, when, and what kind. The common base for the data window.
select
    customer_id,
    order_date as event_date,
    'orders' as source_table
from {{ ref('int_orders_validated') }}
union all
select
    customer_id,
    issued_at as event_date,
    'invoices' as source_table
from {{ ref('int_invoices_validated') }}
union all
select
    customer_id,
    occurred_at as event_date,
    'interactions' as source_table
from {{ ref('int_interactions_validated') }}
union all
select
    customer_id,
    opened_at as event_date,
    'tickets' as source_table
from {{ ref('int_tickets_validated') }}
union all
select
    customer_id,
    activity_date as event_date,
    'usage' as source_table
from {{ ref('int_usage_validated') }}
union all
select
    customer_id,
    answered_at as event_date,
    'surveys' as source_table
from {{ ref('int_surveys_validated') }}
union all
select
    customer_id,
    start_date as event_date,
    'contracts' as source_table
from {{ ref('int_contracts_validated') }}
