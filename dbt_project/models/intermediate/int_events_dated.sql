-- One row per usable event of any source: who, when, and what kind. The common base for the data window.
with events as (
    select
        customer_id,
        order_date as event_date,
        'orders' as source_table
    from ({{ valid_rows('stg_erp__orders', ['order_id'], 'order_date') }})
    union all
    select
        customer_id,
        issued_at,
        'invoices'
    from ({{ valid_rows('stg_erp__invoices', ['invoice_id'], 'issued_at') }})
    union all
    select
        customer_id,
        occurred_at,
        'interactions'
    from ({{ valid_rows('stg_comms__interactions', ['interaction_id'], 'occurred_at') }})
    union all
    select
        customer_id,
        opened_at,
        'tickets'
    from ({{ valid_rows('stg_support__tickets', ['ticket_id'], 'opened_at') }})
    union all
    select
        customer_id,
        activity_date,
        'usage'
    from ({{ valid_rows('stg_web__usage', ['customer_id', 'activity_date'], 'activity_date') }})
    union all
    select
        customer_id,
        answered_at,
        'surveys'
    from ({{ valid_rows('stg_crm__surveys', ['customer_id', 'answered_at'], 'answered_at') }})
    union all
    select
        customer_id,
        start_date,
        'contracts'
    from ({{ valid_rows('stg_erp__contracts', ['contract_id'], 'start_date') }})
)

select * from events
